"""Sandbox payment gateway: a stand-in for a Chinese online payment channel (PAY-3, PAY-6,
PAY-7), run as its own process::

    safegrid-sandbox gateway --host 127.0.0.1 --port P --notify-url URL --db PATH
        [--keys-dir DIR] [--retry-base SECONDS] [--retry-max SECONDS] [--workers N]

It keeps its own SQLite state (orders, deliveries) in ``--db``, so a delivery owed to
SafeGrid survives a restart of either process, and it keeps POSTing a callback until
SafeGrid answers with the exact body ``success`` (backoff ``retry-base * 2**attempt``,
capped at ``retry-max``).

Signatures (RSA2 = SHA256withRSA, PKCS#1 v1.5, 2048-bit keys, as Alipay/WeChat Pay v3):
the signed string is every parameter except ``sign`` and ``sign_type``, with a non-empty
value, sorted by name and joined as ``k=v&k=v`` (UTF-8); ``sign`` is its base64 signature.
SafeGrid signs order requests with its merchant key; the gateway signs callbacks with its
own key. Keys: ``safegrid.payments.online.keys`` (dev keypairs are generated under ``--keys-dir``
— default ``var/payment-keys`` — on first use and are refused when SAFEGRID_ENV=prod).

Endpoints
---------
Merchant API (server to server, request signed by the merchant key):

``POST /gateway/orders`` (form) ``merchant_id, merchant_order_no, amount ("100.00"),
    subject, return_url, timestamp, sign_type=RSA2, sign`` →
    ``200 {"merchant_order_no", "pay_url", "status": "created"|"paid"}``; the same
    ``merchant_order_no`` again with the same amount is idempotent (same answer), with
    another amount ``409``; bad signature ``401``; bad field ``422 {"field"}``.
``GET /gateway/orders/{merchant_order_no}`` → ``{"merchant_order_no", "amount", "status",
    "trade_no"}`` (status query; 404 if unknown).

Customer pages (what the browser sees):

``GET /pay/{merchant_order_no}`` — the cashier page: amount, subject, 确认支付 / Confirm
    payment and 取消 / Cancel buttons.
``POST /pay/{merchant_order_no}`` (form ``action=pay|cancel``) → pays (queues the signed
    callback) and ``303`` to the order's ``return_url?merchant_order_no=…``.

Control API (tests and load scripts; never part of a real channel):

``POST /control/orders/{merchant_order_no}/pay`` (JSON, optional ``{"report_amount":
    "10.00"}``) → ``{"trade_no", "amount", "reported_amount"}``; paying a paid order
    returns the same trade (idempotent).
``POST /control/tamper`` JSON ``{"report_amount": "10.00"}`` — from now on every payment
    reports that amount in its callback (pay 100, report 10); ``{"report_amount": null}``
    switches tampering off. ``GET /control/tamper`` → current mode.
``GET /control/deliveries`` → ``[{"merchant_order_no", "trade_no", "amount",
    "reported_amount", "delivered", "attempts", "last_status", "last_error"}]`` (``amount``
    is what the customer paid; ``delivered`` is true once SafeGrid answered ``success``).
    Optional query ``?delivered=true|false``.
``POST /control/deliveries/{trade_no}/resend`` → sends the same signed callback again once
    more, now (duplicate-callback tests); ``{"status", "body"}`` of SafeGrid's answer.
``POST /control/callbacks/sign`` JSON ``{params}`` → ``{params + sign_type + sign}``
    (load scripts building callbacks of their own).
``GET /control/health`` → ``{"status": "ok", "pending": n, "delivered": n}``.

SafeGrid's side: the notify URL is ``POST /api/payments/online/callbacks/sandbox`` (form
fields ``merchant_id, merchant_order_no, trade_no, amount, trade_status=TRADE_SUCCESS,
paid_at, notify_id, sign_type, sign``); it answers ``success`` (first time and repeats) or
a 4xx JSON error naming the field. Its order service (``safegrid.payments.online.orders``) creates
the gateway order through ``safegrid.payments.online.channels.SandboxChannel``.

Modules: ``store`` (SQLite state), ``core`` (orders, payments, deliveries), ``notifier``
(retrying delivery thread), ``server`` (the HTTP app), ``page`` (the HTML), ``cli``.
"""
