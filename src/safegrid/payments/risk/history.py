"""The engine's hot history: sliding windows per device, IP and account, in memory.

The database (``risk_events``, append-only) is the source of truth; this is a per-process,
per-database replica of its recent part, so a decision counts without aggregate queries
(ADR 0011):

- On first use (a new process, or after a rule change widens the windows) it loads the
  events of the longest window, and the suspension events of the last 31 days.
- This process's own events reach it without a query: a unit of work that records events
  tracks them (:mod:`safegrid.payments.risk.own_events`); its later decisions count them
  at once, and they join the shared windows when — and only if — it commits. Rolled back
  (or rolled back to a savepoint), they are never counted.
- Other processes' events are *tailed* when the last look is older than the staleness
  bound (50 ms; :func:`configure`), not before every decision: one indexed query for the
  ids above the highest seen, plus the "holes" below it — ids skipped because their
  transaction had not committed yet (PostgreSQL hands out ids before commit), asked again
  for ``HOLE_TTL`` seconds.

Exactness. In one process, on SQLite, counts are exact: writers are serialised by the
database lock, and a decision that finds another session of this process between its
commit and its commit hook tails first. Across processes a decision may miss what other
processes committed in the last 50 ms (the bound): a burst spread over several
processes can exceed a threshold by the requests the others took in that time. Under
PostgreSQL, in addition, two decisions at the same moment do not see each other's
uncommitted row (also true of the naive SQL rules). ``configure(staleness=0)`` tails
before every decision (the previous behaviour: exact across processes on SQLite).
"""

from __future__ import annotations

import bisect
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

from sqlalchemy import Engine, bindparam, event, or_, select, text, union_all
from sqlalchemy.orm import Session

from safegrid.payments.risk.models import EventKind, RiskEvent
from safegrid.payments.risk.rules import RuleSet, active_rules
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

HOLE_TTL: Final = 60.0  # seconds a skipped id is asked for again
MAX_HOLES: Final = 1_000
SUSPENSION_LOOKBACK: Final = 31 * 86_400.0
PRUNE_EVERY: Final = 20_000  # applied events between two prunes of expired entries
PENDING: Final = "risk_pending_events"  # session.info: id → own uncommitted event
_settings: dict[str, Any] = {"staleness": 0.05, "timer": time.monotonic}

_COLUMNS = (
    RiskEvent.id,
    RiskEvent.kind,
    RiskEvent.account_id,
    RiskEvent.amount,
    RiskEvent.device_id,
    RiskEvent.ip,
    RiskEvent.at,
    RiskEvent.until,
    RiskEvent.source,
    RiskEvent.payment_id,
)
_NO_ID: Final = 1 << 62
_PROBE: Final = text("SELECT id FROM risk_events WHERE id >= :lo AND id < :hi")
_PROBE_HOLES: Final = text(
    "SELECT id FROM risk_events WHERE id >= :lo AND id < :hi"
    " UNION ALL SELECT id FROM risk_events WHERE id IN :holes"
).bindparams(bindparam("holes", expanding=True))
K = TypeVar("K", str, int)
Table = Literal["device", "ip", "account"]


def configure(
    *, staleness: float | None = None, timer: Callable[[], float] | None = None
) -> dict[str, Any]:
    """Set how stale other processes' events may be (seconds) and the monotonic timer that
    measures it (tests inject one). Returns the previous settings."""
    previous = dict(_settings)
    if staleness is not None:
        _settings["staleness"] = max(0.0, staleness)
    if timer is not None:
        _settings["timer"] = timer
    return previous


def restore(previous: dict[str, Any]) -> None:
    _settings.update(previous)


def _tick() -> float:
    timer: Callable[[], float] = _settings["timer"]
    return timer()


@dataclass
class Paid:
    at: float
    amount: Decimal
    payment_id: int | None

    def __lt__(self, other: Paid) -> bool:
        return self.at < other.at


@dataclass(frozen=True)
class EventRow:
    """An event as the history applies it (a ``risk_events`` row, or one being written)."""

    id: int
    kind: str
    at: datetime
    account_id: int | None = None
    amount: Decimal | None = None
    device_id: str | None = None
    ip: str | None = None
    until: datetime | None = None
    source: str | None = None
    payment_id: int | None = None


@dataclass
class HotHistory:
    horizon: float = 0.0  # seconds of request/paid history loaded
    latest: float = 0.0  # the newest event time applied (pruning is relative to it)
    loaded: bool = False
    rules: RuleSet | None = None
    sqlite: bool = False
    overlay: bool = False  # one session's own uncommitted events (own_events.Overlay)
    max_id: int = 0
    tailed_at: float = float("-inf")  # timer reading of the last tail
    # (kind, at) of the row ``max_id``: if it changes, the table was emptied and refilled
    # (a restore) and the history starts over.
    max_sig: tuple[str, str] | None = None
    holes: dict[int, float] = field(default_factory=dict)
    # Request/paid entries at or after ``floor`` (epoch seconds) are all here; ids of the
    # few older ones a tail brought in (late commits) so a widening load skips them.
    floor: float = 0.0
    below_floor: set[int] = field(default_factory=set)
    # Ids of this process's sessions that are committing: whoever sees the row first (a
    # tail, once it is visible, or the session's commit hook) applies it, exactly once.
    committing: set[int] = field(default_factory=set)
    # Own committed ids above ``max_id``, applied by the commit hook: the tail skips them.
    own_applied: set[int] = field(default_factory=set)
    device: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ip: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    account: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    paid: dict[int, list[Paid]] = field(default_factory=lambda: defaultdict(list))
    # account → source ("case:7", "decision:12") → suspended until (epoch seconds)
    suspensions: dict[int, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    # account → last time a reviewer lifted its suspension: pattern rules count after it.
    cleared: dict[int, float] = field(default_factory=dict)
    lifted: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # overlay
    units: dict[int, int] = field(default_factory=dict)  # account → org unit (cache)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _applied: int = 0

    # --- counting (what ``decide`` reads; own_events.Overlay answers the same) ----------
    @staticmethod
    def count(series: list[float], at: float, window: float) -> int:
        """Entries in (at - window, at]."""
        return bisect.bisect_right(series, at) - bisect.bisect_right(series, at - window)

    def velocity(self, table: Table, key: str | int, at: float, window: float) -> int:
        if table == "device":
            series = self.device.get(str(key))
        elif table == "ip":
            series = self.ip.get(str(key))
        else:
            series = self.account.get(int(key))
        return self.count(series, at, window) if series else 0

    def paid_in(self, account_id: int, at: float, window: float) -> list[Paid]:
        series = self.paid.get(account_id, [])
        start = max(at - window, self.cleared.get(account_id, float("-inf")))
        lo = bisect.bisect_right(series, Paid(start, Decimal(0), None))
        hi = bisect.bisect_right(series, Paid(at, Decimal(0), None))
        return series[lo:hi]

    def suspension_sources(self, account_id: int) -> dict[str, float]:
        return dict(self.suspensions.get(account_id, {}))

    def suspended_until(self, account_id: int, at: float) -> float | None:
        until = max(self.suspension_sources(account_id).values(), default=None)
        return until if until is not None and until > at else None

    # --- applying events ----------------------------------------------------------------
    def apply(self, row: Any) -> None:
        kind, account_id, at = row.kind, row.account_id, row.at.timestamp()
        self.latest = max(self.latest, at)
        if at < self.floor and kind in (EventKind.PAYMENT, EventKind.PAID):
            self.below_floor.add(row.id)
        if kind == EventKind.PAYMENT:
            if row.device_id:
                bisect.insort(self.device[row.device_id], at)
            if row.ip:
                bisect.insort(self.ip[row.ip], at)
            if account_id is not None:
                bisect.insort(self.account[account_id], at)
        elif kind == EventKind.PAID and account_id is not None:
            bisect.insort(self.paid[account_id], Paid(at, row.amount, row.payment_id))
        elif kind == EventKind.SUSPENDED and account_id is not None and row.until is not None:
            self.suspensions[account_id][row.source or ""] = row.until.timestamp()
        elif kind == EventKind.LIFTED and account_id is not None:
            self.suspensions[account_id].pop(row.source or "", None)
            self.cleared[account_id] = max(at, self.cleared.get(account_id, at))
            if self.overlay:
                self.lifted[account_id].add(row.source or "")
        elif kind == EventKind.RULES:
            self.rules = None  # reload at the next decision
        self._applied += 1

    def committed(self, rows: list[EventRow]) -> None:
        """A session of this process committed ``rows`` (its commit hook, under the lock)."""
        for row in sorted(rows, key=lambda r: r.id):
            if row.id not in self.committing:
                continue  # a tail saw it committed first and applied it
            self.committing.discard(row.id)
            self.holes.pop(row.id, None)
            if row.id == self.max_id + 1:  # no one else's id in between: nothing to re-read
                self.max_id, self.max_sig = row.id, _sig(row)
            elif row.id > self.max_id:
                self.own_applied.add(row.id)
            if self.loaded:
                self.apply(row)
        if self._applied >= PRUNE_EVERY:
            self.prune()

    def not_committed(self, ids: list[int]) -> None:
        """A commit failed: if it reached the database after all, the tail finds the rows."""
        stamp = _tick()
        for i in ids:
            if i in self.committing:
                self.committing.discard(i)
                self.holes[i] = stamp

    def _take(self, row: Any, own: dict[int, Any]) -> bool:
        """Whether a row read from the table is applied now (see ``committing``)."""
        if row.id in own:
            return False  # this session's, not committed: its commit hook applies it
        if row.id in self.own_applied:
            self.own_applied.discard(row.id)
            return False
        self.committing.discard(row.id)  # visible to us, so committed: ours to apply
        return True

    # --- loading and tailing ------------------------------------------------------------
    def _reset(self, rules: RuleSet) -> None:
        self.rules, self.horizon = rules, rules.longest_window_minutes * 60.0
        self.max_id, self.latest, self._applied = 0, 0.0, 0
        for table in (self.holes, self.device, self.ip, self.account, self.paid):
            table.clear()
        for other in (self.suspensions, self.cleared, self.units, self.own_applied):
            other.clear()
        self.floor = 0.0
        self.below_floor.clear()

    def load(self, session: Session, rules: RuleSet, now: datetime) -> None:
        """(Re)build from the database: the longest window of requests and payments."""
        self._reset(rules)
        since = datetime.fromtimestamp(now.timestamp() - self.horizon, tz=now.tzinfo)
        old = datetime.fromtimestamp(now.timestamp() - SUSPENSION_LOOKBACK, tz=now.tzinfo)
        rows = session.execute(
            select(*_COLUMNS)
            .where(
                or_(
                    RiskEvent.at >= since,
                    RiskEvent.kind.in_([EventKind.SUSPENDED, EventKind.LIFTED])
                    & (RiskEvent.at >= old),
                )
            )
            .order_by(RiskEvent.id),
            execution_options=unscoped("risk windows see every unit's payments"),
        ).all()
        own: dict[int, Any] = session.info.get(PENDING, {})
        for row in rows:
            if self._take(row, own) and row.kind != EventKind.RULES:
                self.apply(row)
        top = session.scalar(
            select(RiskEvent.id).order_by(RiskEvent.id.desc()).limit(1),
            execution_options=unscoped("risk windows see every unit's payments"),
        )
        self.floor = since.timestamp()
        self.max_id = int(top or 0)
        self.max_sig = self._signature(session, self.max_id) if self.max_id else None
        # Recent ids not visible yet (uncommitted elsewhere): asked again like any hole.
        seen = {row.id for row in rows}
        stamp = self.tailed_at = _tick()
        for i in range(max(0, self.max_id - MAX_HOLES) + 1, self.max_id + 1):
            if i not in seen:
                self.holes[i] = stamp
        self.loaded = True

    def adopt(self, session: Session, rules: RuleSet, now: datetime) -> None:
        """A new rule set, without rebuilding the windows (which do not depend on the
        rules): the same or shorter longest window keeps what is loaded (older entries age
        out at the next prune); a longer one reads only the range it adds, below
        ``floor``. A rule change used to reload every window under the lock (~5.6 s)."""
        horizon = rules.longest_window_minutes * 60.0
        since = now.timestamp() - horizon
        if horizon > self.horizon and since < self.floor:
            rows = session.execute(
                select(*_COLUMNS)
                .where(
                    RiskEvent.kind.in_([EventKind.PAYMENT, EventKind.PAID]),
                    RiskEvent.at >= datetime.fromtimestamp(since, tz=now.tzinfo),
                    RiskEvent.at < datetime.fromtimestamp(self.floor, tz=now.tzinfo),
                    RiskEvent.id <= self.max_id,  # above it: the tail's (not seen yet)
                )
                .order_by(RiskEvent.id),
                execution_options=unscoped("risk windows see every unit's payments"),
            ).all()
            own: dict[int, Any] = session.info.get(PENDING, {})
            skip = self.below_floor
            self.floor = since
            for row in rows:
                if row.id not in skip and row.id not in own:
                    self.apply(row)
        self.rules, self.horizon = rules, horizon

    @staticmethod
    def _signature(session: Session, event_id: int) -> tuple[str, str] | None:
        row = (
            session.connection()
            .execute(select(RiskEvent.kind, RiskEvent.at).where(RiskEvent.id == event_id))
            .first()
        )
        return None if row is None else _sig(row)

    def due(self) -> bool:
        """Whether other processes' events must be read before the next decision."""
        if self.sqlite and self.committing:
            # Another session of this process committed and its hook has not run yet:
            # under SQLite the caller holds the write lock, so the rows are visible now.
            return True
        staleness: float = _settings["staleness"]
        return _tick() - self.tailed_at >= staleness

    def _nothing_new(self, session: Session, upper: int) -> bool:
        """A probe of ids only (a textual query skips most of the SQLAlchemy result
        machinery: ~0.05 ms against ~0.4 ms for the typed query on SQLite)."""
        params: dict[str, Any] = {"lo": self.max_id, "hi": upper}
        if self.holes:
            params["holes"] = list(self.holes)
        probe = _PROBE_HOLES if self.holes else _PROBE
        ids = session.connection().execute(probe, params).scalars().all()
        return list(ids) == ([self.max_id] if self.max_id else [])

    def tail(self, session: Session) -> None:
        """Apply what other sessions (and processes) committed since the last look."""
        stamp = self.tailed_at = _tick()
        self.holes = {i: t for i, t in self.holes.items() if stamp - t < HOLE_TTL}
        # ``>=``: the last row seen comes back too, checked unchanged — an emptied and
        # refilled table (a restore) hands out ids again from below what we have seen.
        # Not this transaction's own rows (applied at its commit): above the first of
        # them, anything another process committed is read by a later tail instead.
        own: dict[int, Any] = session.info.get(PENDING, {})
        upper = min(own, default=_NO_ID)
        if self._nothing_new(session, upper):
            return
        stmt = select(*_COLUMNS).where(RiskEvent.id >= self.max_id, RiskEvent.id < upper)
        if self.holes:
            # UNION ALL, not OR: with OR, SQLite gives up the primary-key range and scans.
            holes = select(*_COLUMNS).where(RiskEvent.id.in_(list(self.holes)))
            stmt = union_all(stmt, holes)  # type: ignore[assignment]
        # Core on the session's connection (same transaction, no ORM layer).
        rows = sorted(session.connection().execute(stmt).all(), key=lambda r: int(r.id))
        if self.max_id:
            last = next((r for r in rows if r.id == self.max_id), None)
            if last is None or _sig(last) != self.max_sig:
                self.loaded = False
                return
            rows = [r for r in rows if r.id != self.max_id]
        if not rows:
            return
        seen: set[int] = set()
        for row in rows:
            seen.add(row.id)
            self.holes.pop(row.id, None)
            if self._take(row, own):
                self.apply(row)
        top = max(seen)
        if top > self.max_id:
            self.max_sig = next(_sig(r) for r in rows if r.id == top)
            if top - self.max_id <= MAX_HOLES:
                for i in range(self.max_id + 1, top):
                    if i not in seen:
                        self.holes[i] = stamp
            self.max_id = top
        self.own_applied = {i for i in self.own_applied if i > self.max_id}
        if len(self.holes) > MAX_HOLES:
            for i in sorted(self.holes)[: len(self.holes) - MAX_HOLES]:
                del self.holes[i]
        if self._applied >= PRUNE_EVERY:
            self.prune()

    def prune(self) -> None:
        """Drop entries older than the longest window (memory stays bounded)."""
        edge = self.latest - self.horizon
        self.floor = max(self.floor, edge)
        _prune(self.device, edge)
        _prune(self.ip, edge)
        _prune(self.account, edge)
        for acc in list(self.paid):
            paid = self.paid[acc]
            del paid[: bisect.bisect_right(paid, Paid(edge, Decimal(0), None))]
            if not paid:
                del self.paid[acc]
        self._applied = 0


def _sig(row: Any) -> tuple[str, str]:
    return (str(row.kind), f"{row.at.timestamp():.6f}")


def _prune(table: dict[K, list[float]], edge: float) -> None:
    for key in list(table):
        series = table[key]
        del series[: bisect.bisect_right(series, edge)]
        if not series:
            del table[key]


def synced(uow: UnitOfWork) -> HotHistory:
    """The hot history of this database, loaded if needed and tailed if due (older than
    the staleness bound). The caller holds ``for_session(uow.session).lock`` while using it."""
    hist = for_session(uow.session)
    if hist.loaded and hist.rules is not None and hist.due():
        hist.tail(uow.session)
    if not hist.loaded:  # first use (or the table was emptied and refilled)
        hist.load(uow.session, active_rules(uow), clock.now())
    elif hist.rules is None:  # a rules event arrived: the windows stay
        hist.adopt(uow.session, active_rules(uow), clock.now())
    return hist


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, HotHistory] = weakref.WeakKeyDictionary()
_WATCHED: weakref.WeakSet[Engine] = weakref.WeakSet()
_REGISTRY_LOCK = threading.Lock()


def for_session(session: Session) -> HotHistory:
    """The history of the database this session talks to (one per engine per process)."""
    engine = session.get_bind()
    if not isinstance(engine, Engine):
        engine = engine.engine
    with _REGISTRY_LOCK:
        hist = _BY_ENGINE.get(engine)
        if hist is None:
            hist = _BY_ENGINE[engine] = HotHistory(sqlite=engine.dialect.name == "sqlite")
            if engine not in _WATCHED:
                event.listen(engine, "after_cursor_execute", _on_statement)
                _WATCHED.add(engine)
        return hist


def _on_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # The table is append-only; only tests (cleaning between cases) and restores delete
    # from it. This process's history must not outlive those rows — with tails no longer
    # before every decision, the next one could otherwise count a previous test's events.
    if statement.startswith(("DELETE", "TRUNCATE")) and "risk_events" in statement:
        hist = _BY_ENGINE.get(conn.engine)
        if hist is not None:
            with hist.lock:
                hist.loaded = False


def forget(engine: Engine) -> None:
    """Drop a database's history (tests and benchmarks that rebuild a database)."""
    with _REGISTRY_LOCK:
        _BY_ENGINE.pop(engine, None)
