"""Channel settlement files (REC-5): fetched T+1 from the channel, the channel's RSA2
signature verified with its public key (as for its callbacks), the CSV checked against the
signed totals, stored once per channel and day. A forged or inconsistent file is refused
with a clear error and an audit entry, and nothing of it is stored.

The three-way check then runs inside the month's matching: SafeGrid's online payments ↔
the file's trades (``trade`` items), and the day's net (gross − fees) ↔ the bank entry
(``channel`` groups are booked net of the file's fees).
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol, cast

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Table, insert

from safegrid.payments.online import signing
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.platform.integrity import conflict_on
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation.models import ChannelSettlement, SettlementLine
from safegrid.security.policy import Perm

HEADER: Final = ["trade_no", "merchant_order_no", "amount", "fee", "paid_at", "status"]


class SettlementSource(Protocol):
    """What the fetch needs of a channel adapter (SandboxChannel has both)."""

    @property
    def gateway_public(self) -> rsa.RSAPublicKey: ...

    @property
    def client(self) -> Any: ...


def _money(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationProblem(
            f"{where}: 金额格式错误 / malformed amount {text!r}", field="content"
        ) from None
    if value != value.quantize(Decimal("0.01")):
        raise ValidationProblem(f"{where}: 金额精度超过分 / finer than a fen", field="content")
    return value


def check(params: dict[str, str], key: rsa.RSAPublicKey) -> list[dict[str, Any]]:
    """The verified lines of a settlement file, or a ValidationProblem naming the problem."""
    if not signing.verify(params, key):
        raise ValidationProblem(
            "对账单签名无效（伪造或被改动）/ settlement file signature is invalid (forged or altered)",
            field="sign",
        )
    rows = list(csv.reader(io.StringIO(params.get("content", ""))))
    if not rows or rows[0] != HEADER:
        raise ValidationProblem(
            f"line 1: 表头应为 / header must be {','.join(HEADER)}", field="content"
        )
    lines: list[dict[str, Any]] = []
    for n, row in enumerate(rows[1:], 2):
        if len(row) != len(HEADER):
            raise ValidationProblem(
                f"line {n}: 列数不对 / expected {len(HEADER)} columns", field="content"
            )
        trade_no, order_no, amount, fee, paid_at, status = row
        if status != "TRADE_SUCCESS":
            continue
        try:
            paid = datetime.fromisoformat(paid_at)
        except ValueError:
            raise ValidationProblem(
                f"line {n}: 时间格式错误 / malformed paid_at", field="content"
            ) from None
        lines.append({
            "trade_no": trade_no, "merchant_order_no": order_no,
            "amount": _money(amount, f"line {n}"), "fee": _money(fee, f"line {n}"), "paid_at": paid,
        })  # fmt: skip
    gross: Decimal = sum((x["amount"] for x in lines), Decimal(0))
    fees: Decimal = sum((x["fee"] for x in lines), Decimal(0))
    stated = {k: _money(params.get(k, ""), k) for k in ("gross", "fee", "net")}
    if (
        int(params.get("count", "-1")) != len(lines)
        or stated["gross"] != gross
        or stated["fee"] != fees
        or stated["net"] != gross - fees
    ):
        raise ValidationProblem(
            f"对账单合计与明细不符 / totals do not add up: {len(lines)} lines, gross {gross}, fee {fees}",
            field="content",
        )
    return lines


def do_fetch(
    uow: UnitOfWork, source: SettlementSource, channel: str, merchant_id: str, day: date
) -> int:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to fetch settlement files")
    resp = source.client.get(
        f"/gateway/settlements/{day.isoformat()}", params={"merchant_id": merchant_id}
    )
    if resp.status_code != 200:
        raise ValidationProblem(
            f"渠道返回 {resp.status_code} / channel answered {resp.status_code}", field="channel"
        )
    params = {k: str(v) for k, v in resp.json().items()}
    try:
        lines = check(params, source.gateway_public)
    except ValidationProblem as exc:
        with uow.fresh() as failed:  # the refusal is on record; nothing of the file is stored
            failed.audit(
                "recon.settlement_refused", object_type="recon_settlement",
                object_id=f"{channel}:{day.isoformat()}", after={"problem": exc.message},
            )  # fmt: skip
            failed.commit()
        raise
    if params.get("settle_date") != day.isoformat() or params.get("merchant_id") != merchant_id:
        raise ValidationProblem(
            "对账单日期或商户号不符 / settlement file is for another day or merchant",
            field="settle_date",
        )
    with uow:
        settlement = ChannelSettlement(
            channel=channel, settle_date=day, merchant_id=merchant_id, count=len(lines),
            gross=Decimal(params["gross"]), fee=Decimal(params["fee"]), net=Decimal(params["net"]),
            content_sha256=hashlib.sha256(params["content"].encode()).hexdigest(), fetched_at=clock.now(),
        )  # fmt: skip
        uow.session.add(settlement)
        with conflict_on(
            "uq_recon_settlements_day",
            ConflictError(
                f"{channel} {day} 对账单已导入 / settlement file already fetched",
                field="settle_date",
            ),
        ):
            uow.session.flush()
        if lines:
            uow.session.execute(
                insert(cast(Table, SettlementLine.__table__)),
                [{**x, "settlement_id": settlement.id, "channel": channel} for x in lines],
            )
        uow.audit(
            "recon.settlement_fetched", object_type="recon_settlement", object_id=settlement.id,
            after={"channel": channel, "day": day.isoformat(), "count": len(lines), "net": params["net"],
                   "sha256": settlement.content_sha256},
        )  # fmt: skip
        uow.commit()
        return settlement.id
