"""Fixtures of the 业扩 application tests (helpers in ``support``)."""

from __future__ import annotations

import pytest

from tests.fixtures.world import World
from tests.integration.applications.support import Applying, make_applying


@pytest.fixture
def applying(world: World) -> Applying:
    return make_applying(world)
