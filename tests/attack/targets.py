"""What the attack runs aim at (issue 12), as data: the routes sqlmap probes and the
operations schemathesis leaves out, each with its reason. Extend the lists here; the tests
(tests/attack/) and the larger run (scripts/attack-run.sh) read them.

Placeholders in sqlmap targets: ``{customer_id}``, ``{meter_id}``, ``{unit_id}``,
``{account_id}``, ``{tariff_id}`` are filled from the seeded data; ``*`` marks where sqlmap
injects (sqlmap also tests every query parameter, and at level 2 the Cookie header)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class SqlTarget:
    domain: str
    method: str
    url: str  # path and query, with placeholders
    data: str | None = None  # a JSON body for POST
    token: str = "county"  # county | province | auditor | none
    console: bool = False  # the session goes in the sg_session cookie, not a bearer


SQLMAP_TARGETS: tuple[SqlTarget, ...] = (
    SqlTarget(
        "auth", "POST", "/api/auth/token", '{"username":"x","password":"y","otp":"1"}', "none"
    ),
    SqlTarget("customers", "GET", "/api/customers?q=test&kind=resident&org_unit_id={unit_id}"),
    SqlTarget("customers", "GET", "/api/customers/{customer_id}*"),
    SqlTarget("customers", "GET", "/api/meters?reading_area_id=1"),
    SqlTarget("org", "GET", "/api/org/units/{unit_id}*"),
    SqlTarget("staff", "GET", "/api/staff/{account_id}*", token="province"),
    SqlTarget(
        "datause",
        "GET",
        "/api/datause/access-logs?staff=x&customer_id={customer_id}",
        token="auditor",
    ),
    SqlTarget("readings", "GET", "/api/meters/{meter_id}/readings*"),
    SqlTarget("tariffs", "GET", "/api/tariffs/{tariff_id}*"),
    SqlTarget("billing", "GET", "/api/bills?account_id=1&period=2026-01&run_id=1"),
    SqlTarget("collection", "GET", "/api/collection/notices?status=pending"),
    SqlTarget("payments", "GET", "/api/payments?account_number=3301000001&receipt_no=R1&key=k"),
    SqlTarget("counter", "GET", "/api/counter/receipts?status=recorded&hall_id={unit_id}"),
    SqlTarget("notifications", "GET", "/api/notifications?status=queued&topic=bill"),
    SqlTarget("terminals", "GET", "/api/terminals?status=active", token="province"),
    SqlTarget("console", "GET", "/customers?q=test", console=True),
    # Issues 14-18 (hall, field work, analytics, reconciliation, security operations).
    SqlTarget("hall", "GET", "/api/hall/faults?status=open"),
    SqlTarget("hall", "GET", "/api/hall/halls/{unit_id}/monitor*"),
    SqlTarget("fieldwork", "GET", "/api/workorders?live_only=true"),
    SqlTarget("analytics", "GET", "/api/analytics/theft/scores?period=2026-01&limit=10"),
    SqlTarget("reconciliation", "GET", "/reconciliation?period=2026-01&colour=red", console=True),
    SqlTarget("secops", "GET", "/secops/detections?done=1", console=True),
)

# Operations schemathesis does not call, as (method, path regex, reason).
SCHEMATHESIS_SKIPS: tuple[tuple[str, str, str], ...] = (
    ("POST", r"^/api/auth/logout$", "revokes the token the run itself uses"),
    ("DELETE", r"^/api/auth/sessions/", "may revoke the run's own session (ids are small)"),
    (
        "POST",
        r"^/api/auth/password$",
        "wrong current passwords count as login failures and would lock the run's own accounts",
    ),
    ("POST", r"^/api/governance/departures$", "freezes accounts, the run's own included"),
    ("POST", r"^/api/billing/runs$", "a bill run per generated period: slow, nothing to bill"),
    ("POST", r"^/api/billing/reprices$", "re-pricing walks every billed month: slow"),
)
