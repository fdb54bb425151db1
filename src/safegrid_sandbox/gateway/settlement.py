"""The gateway's daily settlement file (对账单, REC-5): every order paid on a Beijing day,
one CSV line each (trade number, merchant order, amount, fee, paid time, status), with the
day's totals, signed by the gateway's key like its callbacks. The channel then pays the
day's net (gross − fees) to the merchant's bank account as one sum.

``GET /gateway/settlements/{YYYY-MM-DD}`` → JSON ``{merchant_id, settle_date, count,
gross, fee, net, content, sign_type, sign}`` (amounts in yuan; ``content`` is the CSV).
The fee is ``fee_ppm`` millionths of each amount, rounded half up to the fen (default
6000 = 0.6 %; the control mode ``fee_ppm`` changes it).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from safegrid_sandbox.gateway.core import GatewayError, SandboxGateway, fen_text

BEIJING = ZoneInfo("Asia/Shanghai")
DEFAULT_FEE_PPM = 6000
FEE_MODE = "fee_ppm"
HEADER = ["trade_no", "merchant_order_no", "amount", "fee", "paid_at", "status"]


def daily_file(gateway: SandboxGateway, merchant_id: str, settle_date: str) -> dict[str, str]:
    try:
        day = date.fromisoformat(settle_date)
    except ValueError:
        raise GatewayError(422, "settle_date must be YYYY-MM-DD", "settle_date") from None
    start = datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC).timestamp()
    end = start + timedelta(days=1).total_seconds()
    ppm = int(gateway.store.mode(FEE_MODE) or DEFAULT_FEE_PPM)
    with gateway.store.transaction() as conn:
        rows = conn.execute(
            "SELECT trade_no, merchant_order_no, amount_fen, paid_at FROM orders "
            "WHERE merchant_id = ? AND status = 'paid' AND paid_at >= ? AND paid_at < ? "
            "ORDER BY paid_at, trade_no",
            (merchant_id, start, end),
        ).fetchall()
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(HEADER)
    gross = fees = 0
    for trade_no, order_no, fen, paid_at in rows:
        fee = (fen * ppm + 500_000) // 1_000_000
        gross, fees = gross + fen, fees + fee
        paid = (
            datetime.fromtimestamp(paid_at, UTC).astimezone(BEIJING).isoformat(timespec="seconds")
        )
        out.writerow([trade_no, order_no, fen_text(fen), fen_text(fee), paid, "TRADE_SUCCESS"])
    return gateway.sign(
        {
            "merchant_id": merchant_id,
            "settle_date": day.isoformat(),
            "count": str(len(rows)),
            "gross": fen_text(gross),
            "fee": fen_text(fees),
            "net": fen_text(gross - fees),
            "content": buf.getvalue(),
        }
    )
