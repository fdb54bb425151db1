"""The cashier page a customer sees on the sandbox gateway (Chinese with English)."""

from __future__ import annotations

from html import escape

from safegrid_sandbox.gateway.core import fen_text
from safegrid_sandbox.gateway.store import Order

_STYLE = (
    "body{font-family:sans-serif;background:#f3f5f7;margin:0}"
    "main{max-width:420px;margin:48px auto;background:#fff;padding:28px;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:20px;margin:0 0 4px}.sandbox{color:#b35c00;font-size:13px}"
    ".amount{font-size:34px;font-weight:bold;margin:18px 0}"
    "button{font-size:16px;padding:10px 22px;margin-right:10px;border-radius:4px;border:0}"
    ".pay{background:#1677ff;color:#fff}.cancel{background:#ddd}"
    "dt{color:#666;font-size:13px}dd{margin:0 0 10px}"
)


def pay_page(order: Order) -> str:
    no = escape(order.merchant_order_no)
    if order.status == "created":
        actions = (
            f'<form method="post" action="/pay/{no}">'
            '<button class="pay" name="action" value="pay" type="submit" id="confirm-pay">'
            "确认支付 / Confirm payment</button>"
            '<button class="cancel" name="action" value="cancel" type="submit">'
            "取消 / Cancel</button></form>"
        )
    else:
        state = {"paid": "已支付 / Paid", "cancelled": "已取消 / Cancelled"}[order.status]
        actions = f'<p id="order-state">{state}</p>'
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>收银台 / Checkout — Sandbox</title>"
        f"<style>{_STYLE}</style></head><body><main>"
        "<h1>收银台 / Checkout</h1>"
        '<div class="sandbox">沙箱支付网关，不会扣款 / Sandbox gateway — no real money moves</div>'
        f'<div class="amount">¥ <span id="pay-amount">{fen_text(order.amount_fen)}</span></div>'
        f"<dl><dt>商品 / Subject</dt><dd>{escape(order.subject)}</dd>"
        f"<dt>商户订单号 / Order no.</dt><dd>{no}</dd></dl>"
        f"{actions}</main></body></html>"
    )


def message_page(text: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>Sandbox</title><style>{_STYLE}</style></head><body><main>"
        f"<p>{escape(text)}</p></main></body></html>"
    )
