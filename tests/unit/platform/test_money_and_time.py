"""House rules 3 and 4: Decimal money at fen precision; aware datetimes only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from safegrid.platform.clock import FixedClock
from safegrid.platform.db import UTCDateTime
from safegrid.platform.money import Money, to_fen


def test_money_rounds_half_up_once() -> None:
    assert to_fen(Decimal("0.005")) == Decimal("0.01")
    assert to_fen(Decimal("173.395")) == Decimal("173.40")


def test_money_refuses_float_and_subfen() -> None:
    with pytest.raises(TypeError):
        to_fen(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fen precision"):
        Money().process_bind_param(Decimal("1.005"), None)


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_settings_refuse_placeholder_secret_outside_dev() -> None:
    from pydantic import ValidationError

    from safegrid.config import Settings

    with pytest.raises(ValidationError, match="SAFEGRID_SECRET_KEY"):
        Settings(env="prod", secret_key="changeme")
    with pytest.raises(ValidationError, match="SAFEGRID_SECRET_KEY"):
        Settings(env="test")
    assert Settings(env="dev").secret_key  # the demo runs with the placeholder
    assert Settings(env="prod", secret_key="x" * 40).env == "prod"
