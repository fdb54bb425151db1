"""HALL-3: the board reader shows an event committed after a later one (PostgreSQL hands
out ids at insert, not at commit) and gives up a gap left by a rollback after a while."""

from __future__ import annotations

from typing import NamedTuple

from safegrid.hall.board_stream import GAP_WAIT, _Cursor


class Row(NamedTuple):
    id: int


def test_hall_3_board_reader_fills_gaps_then_forgets_rollbacks() -> None:
    cursor = _Cursor()
    cursor.last = 10
    assert [r.id for r in cursor.advance([Row(11), Row(13), Row(15)], now=0.0)] == [11, 13, 15]
    assert sorted(cursor.gaps) == [12, 14]
    # 12 commits late: read again (the query asks for the gaps too), handed out once.
    assert [r.id for r in cursor.advance([Row(12), Row(16)], now=1.0)] == [12, 16]
    assert [r.id for r in cursor.advance([Row(12)], now=1.5)] == []
    assert sorted(cursor.gaps) == [14]
    assert cursor.advance([], now=GAP_WAIT + 0.1) == []
    assert cursor.gaps == {} and cursor.last == 16  # 14 was rolled back: given up
