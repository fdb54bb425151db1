"""The sandbox gateway's HTTP app (endpoint list: the package docstring)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from safegrid_sandbox.gateway.core import GatewayError, SandboxGateway, fen_text
from safegrid_sandbox.gateway.notifier import Notifier, Sender
from safegrid_sandbox.gateway.page import message_page, pay_page
from safegrid_sandbox.gateway.settlement import daily_file
from safegrid_sandbox.gateway.store import Delivery


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "merchant_order_no": d.merchant_order_no,
        "trade_no": d.trade_no,
        "amount": fen_text(d.amount_fen),
        "reported_amount": fen_text(d.reported_fen),
        "delivered": d.delivered,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
    }


def create_gateway_app(
    gateway: SandboxGateway, notify_url: str, *, workers: int = 16, send: Sender | None = None
) -> FastAPI:
    notifier = Notifier(gateway, notify_url, workers=workers, send=send)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        notifier.start()
        try:
            yield
        finally:
            notifier.stop()

    app = FastAPI(title="SafeGrid sandbox payment gateway", lifespan=lifespan, docs_url=None)
    app.state.gateway = gateway
    app.state.notifier = notifier

    @app.exception_handler(GatewayError)
    def _error(_request: Request, exc: GatewayError) -> Response:
        return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=exc.status)

    @app.post("/gateway/orders")
    async def create_order(request: Request) -> dict[str, str]:
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
        order = gateway.create_order(params)
        pay_url = str(request.url_for("pay_page", merchant_order_no=order.merchant_order_no))
        return {
            "merchant_order_no": order.merchant_order_no,
            "pay_url": pay_url,
            "status": order.status,
        }

    @app.get("/gateway/settlements/{settle_date}")
    def settlement_file(settle_date: str, merchant_id: str) -> dict[str, str]:
        return daily_file(gateway, merchant_id, settle_date)

    @app.get("/gateway/orders/{merchant_order_no}")
    def order_status(merchant_order_no: str) -> dict[str, Any]:
        order = gateway.store.order(merchant_order_no)
        if order is None:
            raise GatewayError(404, "unknown order", "merchant_order_no")
        return {
            "merchant_order_no": order.merchant_order_no,
            "amount": fen_text(order.amount_fen),
            "status": order.status,
            "trade_no": order.trade_no,
        }

    @app.get("/pay/{merchant_order_no}", response_class=HTMLResponse, name="pay_page")
    def show_pay_page(merchant_order_no: str) -> HTMLResponse:
        order = gateway.store.order(merchant_order_no)
        if order is None:
            return HTMLResponse(message_page("订单不存在 / unknown order"), status_code=404)
        return HTMLResponse(pay_page(order))

    @app.post("/pay/{merchant_order_no}")
    async def submit_pay_page(merchant_order_no: str, request: Request) -> Response:
        order = gateway.store.order(merchant_order_no)
        if order is None:
            return HTMLResponse(message_page("订单不存在 / unknown order"), status_code=404)
        action = str((await request.form()).get("action", ""))
        if action == "cancel":
            gateway.cancel(merchant_order_no)
        elif action == "pay":
            gateway.pay(merchant_order_no)
            notifier.wake()
        else:
            raise GatewayError(422, "action must be pay or cancel", "action")
        back = _with_query(order.return_url, merchant_order_no=merchant_order_no)
        return RedirectResponse(back, status_code=303)

    @app.post("/control/orders/{merchant_order_no}/pay")
    async def control_pay(merchant_order_no: str, request: Request) -> dict[str, str]:
        body = await _json(request)
        report = body.get("report_amount")
        d = gateway.pay(merchant_order_no, None if report is None else str(report))
        notifier.wake()
        return {
            "trade_no": d.trade_no,
            "amount": fen_text(d.amount_fen),
            "reported_amount": fen_text(d.reported_fen),
        }

    @app.get("/control/tamper")
    def get_tamper() -> dict[str, str | None]:
        mode = gateway.store.mode("tamper_report_fen")
        return {"report_amount": fen_text(int(mode)) if mode else None}

    @app.post("/control/tamper")
    async def set_tamper(request: Request) -> dict[str, str | None]:
        report = (await _json(request)).get("report_amount")
        fen = gateway.set_tamper(None if report is None else str(report))
        return {"report_amount": None if fen is None else fen_text(fen)}

    @app.get("/control/deliveries")
    def list_deliveries(delivered: bool | None = None) -> list[dict[str, Any]]:
        return [_delivery_json(d) for d in gateway.store.deliveries(delivered)]

    @app.post("/control/deliveries/{trade_no}/resend")
    def resend(trade_no: str) -> dict[str, Any]:
        d = gateway.store.delivery(trade_no)
        if d is None:
            raise GatewayError(404, "unknown trade", "trade_no")
        send = notifier.send
        try:
            status, text = send(notify_url, json.loads(d.body))
        except Exception as exc:
            return {"status": None, "body": f"{type(exc).__name__}: {exc}"}
        return {"status": status, "body": text}

    @app.post("/control/callbacks/sign")
    async def sign(request: Request) -> dict[str, str]:
        body = await _json(request)
        return gateway.sign({str(k): str(v) for k, v in body.items()})

    @app.get("/control/health")
    def health() -> dict[str, Any]:
        pending, delivered = gateway.store.counts()
        return {"status": "ok", "pending": pending, "delivered": delivered}

    return app


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise GatewayError(422, "body is not JSON", "body") from None
    if not isinstance(data, dict):
        raise GatewayError(422, "body must be a JSON object", "body")
    return data
