"""Shared pieces of the security-operations tests: the default playbooks installed."""

from __future__ import annotations

import pytest

from safegrid.secops.catalog import do_install_defaults
from tests.fixtures.world import World


@pytest.fixture
def books(world: World) -> World:
    do_install_defaults(world.platform.uow(world.system()))
    return world
