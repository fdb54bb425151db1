"""Demo terminals (DATA-7): two handhelds per station, issued to the station's meter reader.

Their secrets and upload keys are generated and thrown away — a secret is shown once, at
registration, and the demo has no one to show it to — so these stand for devices already
out in the field. To drive the flow end to end, register one more with
``safegrid terminals register`` (it prints the credentials) and run
``safegrid terminals simulate``; ``safegrid demo logins`` prints the exact commands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit, UnitKind
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Post
from safegrid.terminals import keys
from safegrid.terminals.models import Terminal, TerminalStatus

PER_STATION = 2
MODELS = ("HT-800", "PDA-X5")


def seed_terminals(session: Session, now: datetime, registered_by: str) -> int:
    stations = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.STATION).order_by(OrgUnit.id)
    ).all()
    n = 0
    for station in stations:
        reader_id = session.scalar(
            select(StaffAccount.id)
            .where(StaffAccount.org_unit_id == station.id, StaffAccount.post == Post.METER_READER)
            .order_by(StaffAccount.id)
            .limit(1)
        )
        if reader_id is None:
            continue
        for k in range(PER_STATION):
            n += 1
            session.add(
                Terminal(
                    code=f"FT-DEMO{n:05d}",
                    serial_no=f"{station.code.upper()}-{k + 1:02d}",
                    model=MODELS[k % len(MODELS)],
                    org_unit_id=station.id,
                    reader_id=reader_id,
                    status=TerminalStatus.ACTIVE,
                    secret_digest=keys.secret_digest(keys.new_secret()),
                    upload_key=keys.encode(keys.new_upload_key()),
                    registered_at=now,
                    registered_by=registered_by,
                )
            )
    session.flush()
    return n


def how_to_try(admin: str, reader: str) -> list[str]:
    """The commands ``safegrid demo logins`` prints."""
    return [
        "现场终端 / field terminal (DATA-7): register one — its credentials are printed once —",
        f"  safegrid terminals register --as {admin} --reader {reader} "
        "--serial-no DEMO-0001 --model HT-800",
        "  then act as the handheld against the running server (code: safegrid demo otp USER):",
        "  safegrid terminals simulate --terminal-id FT-… --secret … --key … "
        f"--reader {reader} --password … --otp … --reading ASSET_NO=REGISTER",
        "  and mark it lost in the console (/terminals) to watch the wipe being fetched.",
    ]
