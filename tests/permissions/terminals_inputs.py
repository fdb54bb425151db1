"""Inside/outside terminals and example bodies for the terminal registry routes (DATA-7):
a terminal of the caller's station and one of the other county's, each assigned to a
meter reader of its own station."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from safegrid.security.policy import Post
from safegrid.terminals.schemas import TerminalCreate
from safegrid.terminals.services import do_register_terminal
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx


def _serial() -> str:
    return f"PERM-{secrets.token_hex(5)}"


def _terminal(w: World, unit: str) -> int:
    reader = w.staff(Post.METER_READER, unit)
    creds = do_register_terminal(
        w.platform.uow(w.system()),
        TerminalCreate(
            serial_no=_serial(), model="HT-800", org_unit_id=w.units[unit], reader_id=reader.id
        ),
    )
    return creds.terminal.id


def _terminal_pair(w: World, s: Staff) -> tuple[int, int]:
    return _terminal(w, "stationA"), _terminal(w, "stationB")


def _create(c: Ctx) -> dict[str, Any]:
    reader = c.world.staff(Post.METER_READER, "stationA")
    return {
        "serial_no": _serial(),
        "model": "HT-800",
        "org_unit_id": str(c.world.units["stationA"]),
        "reader_id": str(reader.id),
    }


TERMINALS_PARAMS = {"terminal_id": _terminal_pair}
TERMINALS_BODIES = {
    "POST /api/terminals": lambda c: {
        "json": TerminalCreate.model_validate(_create(c)).model_dump()
    },
    "POST /api/terminals/{terminal_id}/lost": lambda c: {"json": {"reason": "遗失在现场"}},
    "POST /terminals/new": lambda c: {"data": _create(c)},
    "POST /terminals/{terminal_id}/lost": lambda c: {"data": {"reason": "遗失在现场"}},
}
