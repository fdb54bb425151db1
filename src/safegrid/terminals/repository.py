"""Queries of the terminal registry. Staff queries run in the caller's scope (ORG-2);
lookups on behalf of an authenticated terminal name the terminal by id and skip the scope
on purpose, because the terminal itself — not a staff member's region — is the principal."""

from __future__ import annotations

from sqlalchemy import func, select

from safegrid.org.models import OrgUnit
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped
from safegrid.terminals.models import (
    CommandStatus,
    Terminal,
    TerminalCommand,
    TerminalStatus,
    TerminalUpload,
)

RECENT_UPLOADS = 50


class TerminalRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    # -- staff (scoped) -----------------------------------------------------------------
    def search(
        self, status: TerminalStatus | None, paging: PageQuery
    ) -> tuple[list[tuple[Terminal, str | None]], int]:
        stmt = select(Terminal, StaffAccount.username).outerjoin(
            StaffAccount, StaffAccount.id == Terminal.reader_id
        )
        if status is not None:
            stmt = stmt.where(Terminal.status == status)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.execute(
            stmt.order_by(Terminal.id.desc()).offset(paging.offset).limit(paging.size)
        ).all()
        return [(t, name) for t, name in rows], total

    def get(self, terminal_id: int) -> Terminal | None:
        return self.session.scalars(select(Terminal).where(Terminal.id == terminal_id)).first()

    def unit(self, org_unit_id: int) -> OrgUnit | None:
        return self.session.scalars(select(OrgUnit).where(OrgUnit.id == org_unit_id)).first()

    def staff(self, account_id: int) -> StaffAccount | None:
        return self.session.scalars(
            select(StaffAccount).where(StaffAccount.id == account_id)
        ).first()

    def username(self, account_id: int) -> str | None:
        # The reader's name is shown even if he moved out of the viewer's region.
        return self.session.scalar(
            select(StaffAccount.username).where(StaffAccount.id == account_id),
            execution_options=unscoped("the reader's name, even after he moved region"),
        )

    def serial_taken(self, serial_no: str) -> bool:
        return (
            self.session.scalar(
                select(Terminal.id).where(Terminal.serial_no == serial_no),
                execution_options=unscoped("serial numbers are unique utility-wide"),
            )
            is not None
        )

    def commands(self, terminal_id: int) -> list[TerminalCommand]:
        return list(
            self.session.scalars(
                select(TerminalCommand)
                .where(TerminalCommand.terminal_id == terminal_id)
                .order_by(TerminalCommand.id.desc())
            ).all()
        )

    def uploads(self, terminal_id: int, limit: int = RECENT_UPLOADS) -> list[TerminalUpload]:
        return list(
            self.session.scalars(
                select(TerminalUpload)
                .where(TerminalUpload.terminal_id == terminal_id)
                .order_by(TerminalUpload.id.desc())
                .limit(limit)
            ).all()
        )

    def readers(self) -> list[StaffAccount]:
        """Meter readers the caller may assign a terminal to (his region)."""
        return list(
            self.session.scalars(
                select(StaffAccount)
                .where(
                    StaffAccount.post == Post.METER_READER,
                    StaffAccount.status == AccountStatus.ACTIVE,
                )
                .order_by(StaffAccount.username)
            ).all()
        )

    # -- the terminal itself (by id, unscoped) ------------------------------------------
    def by_code(self, code: str) -> Terminal | None:
        return self.session.scalars(
            select(Terminal).where(Terminal.code == code),
            execution_options=unscoped("a terminal signs in by code, before any scope"),
        ).first()

    def own(self, terminal_id: int) -> Terminal:
        return self.session.scalars(
            select(Terminal).where(Terminal.id == terminal_id),
            execution_options=unscoped("the calling terminal's own row"),
        ).one()

    def org_path(self, org_unit_id: int) -> str:
        return self.session.scalars(
            select(OrgUnit.path).where(OrgUnit.id == org_unit_id),
            execution_options=unscoped("the unit path a scope is built from"),
        ).one()

    def pending_commands(self, terminal_id: int) -> list[TerminalCommand]:
        return list(
            self.session.scalars(
                select(TerminalCommand)
                .where(
                    TerminalCommand.terminal_id == terminal_id,
                    TerminalCommand.status != CommandStatus.ACKNOWLEDGED,
                )
                .order_by(TerminalCommand.id),
                execution_options=unscoped("the calling terminal's own pending commands"),
            ).all()
        )

    def own_command(self, terminal_id: int, command_id: int) -> TerminalCommand | None:
        return self.session.scalars(
            select(TerminalCommand).where(
                TerminalCommand.id == command_id, TerminalCommand.terminal_id == terminal_id
            ),
            execution_options=unscoped("the calling terminal's own command"),
        ).first()

    def upload(self, terminal_id: int, batch_id: str) -> TerminalUpload | None:
        return self.session.scalars(
            select(TerminalUpload).where(
                TerminalUpload.terminal_id == terminal_id, TerminalUpload.batch_id == batch_id
            ),
            execution_options=unscoped("the calling terminal's own upload batch"),
        ).first()
