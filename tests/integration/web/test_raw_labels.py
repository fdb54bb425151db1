"""Clean Chinese (issue 13): no console page shows staff a raw code (an enum value such as
``counter_cash``), an English sentence left untranslated, or a "中文 / English" pair. Every
post's start page and every console page without path parameters are rendered, in Chinese,
over a small utility with work in it, and their visible text is scanned."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import safegrid
from safegrid.app import create_app
from safegrid.customers.models import Account
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.platform import jobs
from safegrid.readings.validation import FLAG_NAMES
from safegrid.security.guards import SESSION_COOKIE, Guard
from safegrid.security.models import AuditEntry
from safegrid.security.policy import POLICY, Post
from safegrid.security.scope import unscoped
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World
from tests.permissions.routes import route_cases

# Pages that are not console pages for staff, or that answer with a redirect/file.
SKIP = {
    "/logout",
    "/login",
    "/login/verify",
    "/docs",
    "/portal/pay",
    # The signed report's file: a download that needs ?period= and ?kind=, not a page.
    "/reconciliation/report/file",
}
# Words that are the same in both languages on screen: product and unit names, formats.
ALLOWED_ASCII = re.compile(
    r"^(SafeGrid|API|SM4|SM3|TOTP|kWh|kVA|CSV|Excel|AMI|PDF|PNG|JPEG|HMAC|OpenAPI|ID|"
    r"YYYY-MM(-DD)?|[A-Z0-9-]+|[\w.@-]+\.[\w.@-]+)$"
)
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")
PAIR = re.compile(r"[\u4e00-\u9fff][^/]* / [A-Za-z]")


def _enum_values() -> set[str]:
    """Every value of every string enum the platform stores (statuses, channels, kinds)."""
    values: set[str] = set()
    for info in pkgutil.walk_packages(safegrid.__path__, "safegrid."):
        if not info.name.endswith(".models"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, enum.StrEnum) and obj is not enum.StrEnum:
                values.update(str(m.value) for m in obj)
    return values


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def problems(html: str, raw_values: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for text in parser.nodes:
        if text in raw_values:
            found.append(f"raw code {text!r}")
        elif PAIR.search(text):
            found.append(f"two languages {text!r}")
        elif ENGLISH_WORDS.search(text) and not ALLOWED_ASCII.match(text):
            found.append(f"untranslated {text!r}")
    return found


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    get_counter_settings.cache_clear()
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def test_problems_are_found() -> None:
    raw = {"counter_cash"}
    assert problems("<td>counter_cash</td>", raw) == ["raw code 'counter_cash'"]
    assert problems("<p>户号不存在 / account not found</p>", raw)
    assert problems("<p>Nothing waiting here</p>", raw)
    assert problems("<td>柜台现金</td><script>counter_cash</script>", raw) == []


def test_no_console_page_shows_a_raw_code_or_untranslated_text(desk: Desk) -> None:
    world = desk.world
    raw_values = _enum_values() | set(FLAG_NAMES)  # reading flags are codes too
    # Work on the pages: an account with a bill, a counter payment waiting for its check.
    account_no, bill_id = desk.account(bill="52.00")
    receipt = desk.pay(account_no, "52.00")
    with world.platform.uow(world.system(), readonly=True) as uow:
        customer_id = uow.session.scalar(
            select(Account.customer_id).where(Account.number == account_no)
        )
        # The audit page names each action: a code on screen is one without a label.
        actions = set(
            uow.session.scalars(
                select(AuditEntry.action).distinct(), execution_options=unscoped("audit codes")
            )
        )
    assert {"counter.payment_recorded", "customer.register"} <= actions
    raw_values |= {a for a in actions if ".test_" not in a}  # not the fixtures' own
    # /jobs names every job and its recent runs: a job name or a trigger is a code too.
    run = jobs.run_job(world.platform, "events.purge")
    raw_values |= set(jobs.load()) | {run.trigger}
    app = create_app(world.platform)
    clients: dict[Post, TestClient] = {}
    for post in Post:
        unit = "countyA" if post != Post.METER_READER else "stationA"
        client = TestClient(app)
        client.cookies.set(SESSION_COOKIE, world.token(world.staff(post, unit), "console"))
        client.cookies.set(LANG_COOKIE, "zh")
        clients[post] = client

    failures: list[str] = []
    for post, client in clients.items():  # every post's start page and menu
        page = client.get("/")
        assert page.status_code == 200, post
        failures += [f"{post} /: {p}" for p in problems(page.text, raw_values)]
    pages = sorted(
        {
            case.path
            for case in route_cases(app)
            if case.method == "GET"
            and not case.params
            and isinstance(case.guard, Guard)
            and case.guard.kind == "page"
            and case.path not in SKIP
        }
    )
    assert len(pages) > 30
    for path in pages:
        perm = next(c.guard.perm for c in route_cases(app) if c.path == path and c.method == "GET")
        post = next(p for p in Post if perm is None or perm in POLICY[p])
        page = clients[post].get(path)
        if page.status_code != 200:
            failures.append(f"{post} {path}: status {page.status_code}")
            continue
        failures += [f"{post} {path}: {p}" for p in problems(page.text, raw_values)]
    # Pages of one record, where most codes are shown (as the posts that open them).
    for post, path in (
        (Post.HALL_MANAGER, f"/customers/{customer_id}"),
        (Post.FINANCE, f"/bills/{bill_id}"),
        (Post.CASHIER, f"/counter/receipts/{receipt.id}"),
        (Post.FINANCE, f"/payments/trace/{receipt.payment_id}"),
    ):
        page = clients[post].get(path)
        assert page.status_code == 200, path
        if "/counter/receipts/" in path:  # the amount in capitals, signed by real names
            assert "伍拾贰元整" in page.text and "测试" in page.text
        failures += [f"{post} {path}: {p}" for p in problems(page.text, raw_values)]
    assert failures == [], "\n".join(failures)
