"""PAY-7: a crash at any point loses no payment. Paid callbacks arrive from the sandbox
gateway (its own process) while the SafeGrid server (``safegrid serve``) is SIGKILLed and
restarted three times; afterwards every delivered payment is recorded exactly once, none is
lost, and ledger totals equal bill write-offs plus credits. Small size here; the large run
is ``benchmarks/payments_crash.py``. PostgreSQL only."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import payments_crash

from safegrid.bootstrap import Platform


def test_pay_7_sigkilled_server_loses_and_doubles_no_payment(
    platform: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if platform.settings.is_sqlite:
        pytest.skip(
            "PAY-7 crash test runs on PostgreSQL only (SAFEGRID_DATABASE_URL): a killed "
            "server's transactions must be rolled back by a database server"
        )
    report = payments_crash.run(platform, tmp_path, orders=30, accounts=5, kills=3)
    out = capsys.readouterr().out
    assert report.kills == 3
    assert report.orders == 30 and report.delivered == 30, out
    assert report.payments == 30 and report.doubled == 0 and report.lost == 0, out
    assert report.wrong_amount == 0, out
    assert report.totals.holds and report.totals.payments == 30, out
    assert report.totals.captured == report.totals.written_off + report.totals.credit
