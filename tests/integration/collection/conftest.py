"""A fixed business day for collection tests: due dates, notice periods and late fees are
all about days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(datetime(2026, 11, 2, 10, 0, tzinfo=BUSINESS_TZ))
    clock.set_clock(fixed)
    yield fixed
    clock.set_clock(clock.SystemClock())
