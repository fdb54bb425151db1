"""Statement import (REC-1): bank accounts and the all-or-nothing import of a file.

The file is parsed and checked completely (``formats.read``) before the unit of work
begins; then every statement is stored with its entries in one transaction. A statement
seen before is refused by the database (unique account + statement reference, unique
content SHA-256), never by a look-up first, and the whole file with it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Final, cast

from sqlalchemy import Table, insert, select

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    PermissionDeniedError,
    SafeGridError,
    ValidationProblem,
)
from safegrid.platform.integrity import conflict_on
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import formats
from safegrid.reconciliation.currencies import is_known
from safegrid.reconciliation.events import StatementImported
from safegrid.reconciliation.models import BankAccount, BankStatement, StatementEntry
from safegrid.reconciliation.statement import ParsedEntry, ParsedFile
from safegrid.security.policy import Perm

REFERENCE_ORDER: Final = (
    "end_to_end_id", "reference", "acct_svcr_ref", "customer_reference", "bank_reference",
    "proprietary", "remittance",
)  # fmt: skip
SAME_REF: Final = "uq_recon_statements_ref"
SAME_CONTENT: Final = "uq_recon_statements_content_sha256"


@dataclasses.dataclass(frozen=True)
class ImportResult:
    format: str
    statement_ids: list[int]
    entries: int


def main_reference(entry: ParsedEntry) -> str | None:
    for key in REFERENCE_ORDER:
        value = entry.references.get(key)
        if value:
            return value.split(",")[0][:140]
    return None


def do_register_bank_account(
    uow: UnitOfWork, *, account_no: str, bank_name: str, currency: str, org_unit_id: int
) -> int:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to manage reconciliation")
    if not is_known(currency):
        raise ValidationProblem(f"未知币种 / unknown currency {currency!r}", field="currency")
    with uow:
        # Scoped: a unit outside the actor's subtree is not found (ORG-2).
        if uow.session.scalars(select(OrgUnit.id).where(OrgUnit.id == org_unit_id)).first() is None:
            raise ValidationProblem("组织单位不存在 / unknown org unit", field="org_unit_id")
        account = BankAccount(
            account_no=account_no.replace(" ", ""),
            bank_name=bank_name,
            currency=currency,
            org_unit_id=org_unit_id,
            created_at=clock.now(),
            created_by=uow.actor.username,
        )
        uow.session.add(account)
        with conflict_on(
            "uq_recon_bank_accounts_account_no",
            ConflictError(
                f"银行账户已登记 / bank account {account_no} already registered", field="account_no"
            ),
        ):
            uow.session.flush()
        uow.audit(
            "recon.bank_account_registered",
            object_type="recon_bank_account",
            object_id=account.id,
            org_unit_id=org_unit_id,
            after={"account_no": account.account_no, "bank": bank_name, "currency": currency},
        )
        uow.commit()
        return account.id


def do_import_statements(
    uow: UnitOfWork, filename: str, data: bytes, *, bank: str | None = None
) -> ImportResult:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to import statements")
    try:
        parsed = formats.read(filename, data, bank=bank)
        with uow:
            ids = _store(uow, filename, parsed)
            uow.commit()
    except SafeGridError as exc:
        refused(uow, "recon.statement_refused", filename, exc)
        raise
    return ImportResult(parsed.format, ids, sum(len(s.entries) for s in parsed.statements))


def refused(uow: UnitOfWork, action: str, what: str, exc: SafeGridError) -> None:
    """A refusal on record (who, what, why) in a transaction of its own: the refused change
    itself left nothing behind."""
    with uow.fresh() as log:
        log.audit(
            action, object_type="recon", object_id=what[:64], after={"problem": exc.message[:500]}
        )
        log.commit()


def _store(uow: UnitOfWork, filename: str, parsed: ParsedFile) -> list[int]:
    session = uow.session
    numbers = {s.account for s in parsed.statements}
    # Scoped: an account of another unit is not found, exactly like an unknown one (ORG-2).
    accounts = {
        a.account_no: a
        for a in session.scalars(select(BankAccount).where(BankAccount.account_no.in_(numbers)))
    }
    ids = []
    now = clock.now()
    for s in parsed.statements:
        account = accounts.get(s.account)
        if account is None:
            raise ValidationProblem(
                f"{s.where}: 账户 {s.account} 未在您的单位登记 / account {s.account} is not "
                f"registered in your unit",
                field="account",
            )
        if account.currency != s.currency:
            raise ValidationProblem(
                f"{s.where}: 对账单币种 {s.currency} 与账户币种 {account.currency} 不一致 / "
                f"statement in {s.currency}, account in {account.currency}",
                field="currency",
            )
        days = sorted(d for e in s.entries for d in (e.booking_date or e.value_date,) if d)
        statement = BankStatement(
            org_unit_id=account.org_unit_id,
            bank_account_id=account.id,
            statement_ref=s.statement_ref[:120],
            content_sha256=s.content_hash(),
            format=parsed.format,
            filename=filename[:200],
            currency=s.currency,
            opening_balance=s.opening_balance,
            closing_balance=s.closing_balance,
            entry_count=len(s.entries),
            first_day=days[0] if days else None,
            last_day=days[-1] if days else None,
            imported_at=now,
            imported_by=uow.actor.username,
        )
        session.add(statement)
        duplicate = ConflictError(
            f"{s.where}: 对账单 {s.statement_ref}（账户 {s.account}）已导入过 / statement "
            f"{s.statement_ref} of account {s.account} was already imported",
            field="statement",
        )
        with conflict_on(SAME_REF, duplicate), conflict_on(SAME_CONTENT, duplicate):
            session.flush()
        if s.entries:
            session.execute(
                insert(cast(Table, StatementEntry.__table__)),
                [_entry_row(statement, account, n, e) for n, e in enumerate(s.entries, 1)],
            )
        uow.audit(
            "recon.statement_imported",
            object_type="recon_statement",
            object_id=statement.id,
            org_unit_id=account.org_unit_id,
            after={
                "account": s.account,
                "statement": statement.statement_ref,
                "format": parsed.format,
                "entries": len(s.entries),
                "sha256": statement.content_sha256,
            },
        )
        uow.emit(
            StatementImported(statement.id, s.account, statement.statement_ref, len(s.entries))
        )
        ids.append(statement.id)
    return ids


def _entry_row(
    statement: BankStatement, account: BankAccount, n: int, e: ParsedEntry
) -> dict[str, Any]:
    return {
        "statement_id": statement.id,
        "bank_account_id": account.id,
        "org_unit_id": account.org_unit_id,
        "position": n,
        "amount": e.amount,
        "currency": e.currency,
        "booking_date": e.booking_date,
        "value_date": e.value_date or e.booking_date,
        "reference": main_reference(e),
        "references_json": json.dumps(e.references, ensure_ascii=False),
    }
