"""``safegrid demo generate``: a whole realistic utility, its core in one audited
transaction, its year of history month by month after it (``demo/history.py``).

The generator acts as the named system actor ``demo-generator`` through one writing
unit of work, so the demo appears in the audit chain like any other change (AUD-1),
and a failure half-way through the core leaves an empty database rather than half a
utility; a failure in the history leaves whole months, and running it again resumes.

Every random draw comes from generators seeded by ``seed`` — one per phase, so adding
a column to staff does not reshuffle every customer — never from the global RNG.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from rich.progress import Progress
from sqlalchemy import select

from safegrid.applications import demo as applications_demo
from safegrid.bootstrap import Platform
from safegrid.demo import archive, billing, history, lifecycle, organisation
from safegrid.demo import portal as portal_demo
from safegrid.demo.geography import ZHEJIANG
from safegrid.fieldwork import demo as field_demo
from safegrid.hall import demo as hall_demo
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError
from safegrid.secops.catalog import do_install_defaults
from safegrid.security.actor import Actor
from safegrid.security.passwords import hasher
from safegrid.terminals import demo as terminal_demo

ACTOR_NAME = "demo-generator"


class DemoDataExistsError(ConflictError):
    """The database already holds an org tree; the demo only fills an empty one."""


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    seed: int
    units: int
    staff: int
    reading_areas: int
    residents: int
    enterprises: int
    key_customers: int
    meters: int
    readings: int
    first_day: date
    last_day: date
    seconds: float
    # Readings of the window: planned until the history is filled, then written.
    bills: int = 0  # issued for every complete month of the readings (demo/billing.py)
    payments: int = 0  # bank direct-debit payments of those bills (demo/payments.py)

    @property
    def customers(self) -> int:
        return self.residents + self.enterprises

    def note(self) -> str:
        return (
            f"seed={self.seed} units={self.units} staff={self.staff} "
            f"reading_areas={self.reading_areas} customers={self.customers} "
            f"(residents={self.residents} enterprises={self.enterprises} "
            f"key={self.key_customers}) meters={self.meters} readings={self.readings} "
            f"days={self.first_day.isoformat()}..{self.last_day.isoformat()}"
        )


def demo_exists(platform: Platform) -> bool:
    """True once any org unit exists — the demo, or a real utility's tree."""
    with platform.uow(Actor.system(ACTOR_NAME, channel="cli"), readonly=True) as uow:
        return uow.session.scalars(select(OrgUnit.id).limit(1)).first() is not None


def _phase_rng(seed: int, phase: str) -> random.Random:
    # String seeds are hashed with SHA-512, so they do not depend on PYTHONHASHSEED.
    return random.Random(f"safegrid-demo:{seed}:{phase}")


def _phase(progress: Progress | None, label: str, total: int) -> Callable[[int], None]:
    """One progress bar per phase; a no-op when called without a console (tests)."""
    if progress is None:
        return lambda _n: None
    task = progress.add_task(label, total=total)
    return lambda n: progress.advance(task, n)


def generate(
    platform: Platform,
    *,
    seed: int = 2026,
    customers: int = 20_000,
    days: int = 365,
    progress: Progress | None = None,
    with_history: bool = True,
) -> DemoSummary:
    """Fill an empty database with the demo utility; raise :class:`DemoDataExistsError`
    if it is not empty. Readings end yesterday (Asia/Shanghai business day).

    The core (org, staff, customers, tariffs, the planned history) is one transaction;
    the history — readings, bills, payments, month by month — follows unless
    ``with_history`` is false, in which case ``safegrid demo history`` fills it later
    (``make demo`` runs it in the background while the console serves)."""
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be at least 1")
    started = time.perf_counter()
    now = clock.now()
    last_day = clock.business_day(now) - timedelta(days=1)
    first_day = last_day - timedelta(days=days - 1)
    settings = platform.settings
    # Hashed once and shared: Argon2 is deliberately slow and every account has this password.
    password_hash = hasher(settings.argon2_time_cost, settings.argon2_memory_kib).hash(
        organisation.DEMO_PASSWORD
    )
    actor = Actor.system(ACTOR_NAME, channel="cli")
    with platform.uow(actor) as uow:
        session = uow.session
        # Checked inside the write transaction (it holds the write lock), not only before it.
        if session.scalars(select(OrgUnit.id).limit(1)).first() is not None:
            raise DemoDataExistsError("演示数据已存在 / the database already holds an org tree")

        step = _phase(progress, "组织与员工 / org & staff", 3)
        tree = organisation.create_org_tree(session)
        step(1)
        staff_ids = organisation.create_staff(
            session, tree, _phase_rng(seed, "staff"), password_hash, now
        )
        lifecycle.seed_training(session, staff_ids, now, actor.username)
        step(1)
        area_ids = organisation.create_reading_areas(session, tree, staff_ids)
        step(1)
        terminal_demo.seed_terminals(session, now, actor.username)
        hall_demo.seed_halls(session, _phase_rng(seed, "halls"), now, actor.username, last_day)

        plans, counts = archive.create_customers(
            session,
            tree,
            area_ids,
            _phase_rng(seed, "customers"),
            total=customers,
            first_day=first_day,
            now=now,
            advance=_phase(progress, "客户档案 / customers", customers),
        )

        planned = history.plan_history(session, seed, first_day, last_day, plans)
        summary = DemoSummary(
            seed=seed,
            units=len(tree.unit_ids),
            staff=len(staff_ids),
            reading_areas=sum(len(a) for a in area_ids.values()),
            residents=counts.residents,
            enterprises=counts.enterprises,
            key_customers=counts.key_customers,
            meters=len(plans),
            readings=planned,
            first_day=first_day,
            last_day=last_day,
            seconds=0.0,
        )
        uow.audit(
            "demo.generate",
            object_type="demo",
            object_id=ZHEJIANG.code,
            org_unit_id=tree.province_id,
            note=summary.note(),
        )
        uow.commit()
    # Prices before anyone signs in: the tariff pages and bill explanations need them.
    billing.seed_tariffs(platform)
    # Kits, tests and a few planned orders per station (FLD-1..5): seconds, not minutes.
    field_demo.seed_field_work(platform)
    # 业扩 applications at every step in every county (HALL-6): under a second.
    applications_demo.seed_applications(platform)
    # The response playbooks (OPS-2), so the security officer can run one at once.
    do_install_defaults(platform.uow(actor))
    # A few portal customers with bound accounts (HALL-6): a handful of rows.
    portal_demo.seed_portal_customers(platform)
    if not with_history:
        return dataclasses.replace(summary, seconds=time.perf_counter() - started)
    done = complete_history(platform, progress)
    return finished_summary(summary, done, time.perf_counter() - started)


def finished_summary(
    summary: DemoSummary, done: history.HistoryTotals | None, seconds: float
) -> DemoSummary:
    if done is None:
        return dataclasses.replace(summary, seconds=seconds)
    return dataclasses.replace(
        summary, readings=done.readings, bills=done.bills, payments=done.payments, seconds=seconds
    )


def complete_history(
    platform: Platform, progress: Progress | None = None
) -> history.HistoryTotals | None:
    """Fill the planned history not filled yet (``demo/history.py``), with one progress
    bar per kind of row when run from a console."""
    if progress is None:
        return history.complete_history(platform)
    with platform.uow(Actor.system(ACTOR_NAME, channel="cli"), readonly=True) as uow:
        state = history.history_progress(uow.session)
    if state is None:
        return None
    bars = {
        "months": progress.add_task("历史月份 / months of history", total=state.months),
        "readings": progress.add_task("日冻结读数 / daily readings", total=None),
        "bills": progress.add_task("核算出账 / monthly bills", total=None),
        "payments": progress.add_task("缴费销账 / payments", total=None),
    }
    progress.advance(bars["months"], state.done)
    return history.complete_history(platform, lambda what, n: progress.advance(bars[what], n))
