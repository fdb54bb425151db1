"""Behaviour analytics (OPS-1): baselines per account and per post, anomaly scores with an
explanation in words.

The detector reads an :class:`~safegrid.secops.activity.Activity` frame with DuckDB, one
set-based query per scenario. The baseline is the ``baseline_days`` before the window: per
account the median of its active days (volume, exported rows), the networks and hours it
used, the units it touched; per post the same medians, for accounts with too short a
history. A scenario fires when the window departs from the baseline by the factors in
:class:`Thresholds`; its score is a fixed weight per scenario times how far it departed
(capped), so a departed employee's token outranks one new network.
"""

# The DuckDB statements below format only numbers (window bounds, Thresholds) into SQL.
# ruff: noqa: S608
from __future__ import annotations

import dataclasses
import enum
import math
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb

from safegrid.platform.clock import BUSINESS_TZ
from safegrid.secops.activity import Activity


class Scenario(enum.StrEnum):
    NIGHT_EXPORT = "night_export"
    VOLUME_SPIKE = "volume_spike"
    NEW_NETWORK = "new_network"
    OFF_HOURS = "off_hours"
    DEPARTED_TOKEN = "departed_token"  # noqa: S105 - a scenario name
    GRANT_REVEALS = "grant_reveals"
    MANY_UNITS = "many_units"


WEIGHTS: Final[dict[Scenario, float]] = {
    Scenario.DEPARTED_TOKEN: 3.0,
    Scenario.NIGHT_EXPORT: 2.0,
    Scenario.GRANT_REVEALS: 2.0,
    Scenario.VOLUME_SPIKE: 1.5,
    Scenario.MANY_UNITS: 1.5,
    Scenario.NEW_NETWORK: 1.0,
    Scenario.OFF_HOURS: 1.0,
}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    baseline_days: int = 30
    min_history_days: int = 5  # fewer active days: the post's baseline stands in
    night_export_rows: int = 500
    night_export_factor: float = 10.0
    spike_factor: float = 5.0
    spike_min_extra: int = 50
    new_network_events: int = 5
    off_hours_events: int = 5
    working_hours: tuple[int, int] = (7, 20)  # local hours [from, to)
    grant_reveals: int = 30
    grant_reveals_factor: float = 5.0
    extra_units: int = 2


@dataclasses.dataclass(frozen=True)
class Finding:
    account_id: int
    scenario: Scenario
    score: float
    explanation: str  # "中文 / English"
    evidence: dict[str, Any]


_OFFSET = 8 * 3600  # Asia/Shanghai has no daylight saving: local = UTC + 8 h


def _local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(BUSINESS_TZ).strftime("%H:%M")


def _score(scenario: Scenario, ratio: float) -> float:
    return round(WEIGHTS[scenario] * (1 + min(math.log10(max(ratio, 1.0)), 2.0)), 2)


def detect(activity: Activity, window_end: datetime, t: Thresholds | None = None) -> list[Finding]:
    """Findings for the 24 hours before ``window_end`` against the baseline before them."""
    t = t or Thresholds()
    w1 = int(window_end.timestamp())
    w0 = w1 - 86400
    b0 = w0 - t.baseline_days * 86400
    con = duckdb.connect()
    try:
        con.register("ev", activity.events)
        con.register("acc", activity.accounts)
        con.execute(
            f"""
            CREATE TEMP VIEW a AS SELECT *, ("at" + {_OFFSET}) // 86400 AS day,
                (("at" + {_OFFSET}) % 86400) // 3600 AS hour FROM ev;
            CREATE TEMP VIEW base AS SELECT * FROM a WHERE "at" >= {b0} AND "at" < {w0};
            CREATE TEMP VIEW win AS SELECT * FROM a WHERE "at" >= {w0} AND "at" < {w1};
            CREATE TEMP TABLE base_daily AS
                SELECT account_id, day, count(*) AS n,
                       coalesce(sum(rows) FILTER (WHERE kind = 'export'), 0) AS exp_rows,
                       count(DISTINCT unit_id) AS units
                FROM base GROUP BY account_id, day;
            CREATE TEMP TABLE base_acc AS
                SELECT account_id, median(n) AS med_n, median(exp_rows) AS med_exp,
                       max(units) AS max_units, count(*) AS days
                FROM base_daily GROUP BY account_id;
            CREATE TEMP TABLE base_post AS
                SELECT acc.post, median(n) AS med_n, median(exp_rows) AS med_exp,
                       max(units) AS max_units
                FROM base_daily JOIN acc USING (account_id) GROUP BY acc.post;
            CREATE TEMP TABLE baseline AS
                SELECT acc.account_id, acc.post, coalesce(ba.days, 0) AS days,
                    CASE WHEN coalesce(ba.days, 0) >= {t.min_history_days}
                         THEN ba.med_n ELSE bp.med_n END AS med_n,
                    CASE WHEN coalesce(ba.days, 0) >= {t.min_history_days}
                         THEN ba.med_exp ELSE bp.med_exp END AS med_exp,
                    greatest(coalesce(ba.max_units, 1), 1) AS max_units
                FROM acc LEFT JOIN base_acc ba USING (account_id)
                LEFT JOIN base_post bp ON bp.post = acc.post;
            """
        )
        findings: list[Finding] = []
        for query in (
            _night_export,
            _volume_spike,
            _new_network,
            _off_hours,
            _departed,
            _grant_reveals,
            _many_units,
        ):
            findings.extend(query(con, t))
        return sorted(findings, key=lambda f: (-f.score, f.account_id, f.scenario))
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _night_export(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    lo, hi = t.working_hours
    out = []
    for account, rows, first, med in _rows(
        con,
        f"""SELECT w.account_id, sum(w.rows), min(w."at"), any_value(b.med_exp)
            FROM win w JOIN baseline b USING (account_id)
            WHERE w.kind = 'export' AND (w.hour < {lo} OR w.hour >= {hi})
            GROUP BY w.account_id
            HAVING sum(w.rows) >= {t.night_export_rows}
               AND sum(w.rows) >= {t.night_export_factor} * greatest(any_value(b.med_exp), 1)""",
    ):
        ratio = rows / max(float(med or 0), 1.0)
        usual = (
            f"是其 30 天日中位数的 {ratio:,.0f} 倍 / {ratio:,.0f}× the 30-day median"
            if med
            else "此前 30 天从未导出 / none in the previous 30 days"
        )
        zh, en = usual.split(" / ")
        out.append(
            Finding(
                account,
                Scenario.NIGHT_EXPORT,
                _score(Scenario.NIGHT_EXPORT, ratio),
                f"{_local(first)} 导出客户数据 {rows:,} 行，{zh} / "
                f"exported {rows:,} customer rows at {_local(first)}, {en}",
                {"rows": rows, "first_at": first, "median": float(med or 0)},
            )
        )
    return out


def _volume_spike(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    out = []
    for account, n, med in _rows(
        con,
        f"""SELECT w.account_id, count(*), any_value(b.med_n)
            FROM win w JOIN baseline b USING (account_id) WHERE w.kind <> 'login'
            GROUP BY w.account_id
            HAVING count(*) >= {t.spike_factor} * greatest(any_value(b.med_n), 1)
               AND count(*) - coalesce(any_value(b.med_n), 0) >= {t.spike_min_extra}""",
    ):
        ratio = n / max(float(med or 0), 1.0)
        out.append(
            Finding(
                account,
                Scenario.VOLUME_SPIKE,
                _score(Scenario.VOLUME_SPIKE, ratio),
                f"24 小时内操作 {n:,} 次，是其日中位数 {float(med or 0):,.0f} 的 {ratio:,.1f} 倍 / "
                f"{n:,} actions in 24 hours, {ratio:,.1f}× the daily median of "
                f"{float(med or 0):,.0f}",
                {"actions": n, "median": float(med or 0)},
            )
        )
    return out


def _new_network(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    out = []
    for account, network, n, first in _rows(
        con,
        f"""SELECT w.account_id, w.network, count(*), min(w."at")
            FROM win w JOIN baseline b USING (account_id)
            WHERE b.days >= {t.min_history_days} AND w.network <> 'unknown'
              AND NOT EXISTS (SELECT 1 FROM base x
                              WHERE x.account_id = w.account_id AND x.network = w.network)
            GROUP BY w.account_id, w.network HAVING count(*) >= {t.new_network_events}""",
    ):
        out.append(
            Finding(
                account,
                Scenario.NEW_NETWORK,
                _score(Scenario.NEW_NETWORK, n / t.new_network_events),
                f"{_local(first)} 起从从未用过的网络 {network} 操作 {n} 次 / {n} actions from "
                f"{network}, a network never seen before, from {_local(first)}",
                {"network": network, "actions": n, "first_at": first},
            )
        )
    return out


def _off_hours(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    lo, hi = t.working_hours
    out = []
    for account, n, first, hours in _rows(
        con,
        f"""SELECT w.account_id, count(*), min(w."at"), list(DISTINCT w.hour ORDER BY w.hour)
            FROM win w JOIN baseline b USING (account_id)
            WHERE (w.hour < {lo} OR w.hour >= {hi})
              AND NOT EXISTS (SELECT 1 FROM base x
                              WHERE x.account_id = w.account_id AND x.hour = w.hour)
            GROUP BY w.account_id HAVING count(*) >= {t.off_hours_events}""",
    ):
        shown = "、".join(f"{h:02d}时" for h in hours)
        out.append(
            Finding(
                account,
                Scenario.OFF_HOURS,
                _score(Scenario.OFF_HOURS, n / t.off_hours_events),
                f"在从未工作过的时段（{shown}）操作 {n} 次，最早 {_local(first)} / {n} actions "
                f"at hours never worked before, first at {_local(first)}",
                {"actions": n, "hours": list(hours), "first_at": first},
            )
        )
    return out


def _departed(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    out = []
    for account, n, first in _rows(
        con,
        """SELECT w.account_id, count(*), min(w."at") FROM win w JOIN acc USING (account_id)
           WHERE acc.departed_at IS NOT NULL AND w."at" > acc.departed_at
           GROUP BY w.account_id""",
    ):
        out.append(
            Finding(
                account,
                Scenario.DEPARTED_TOKEN,
                _score(Scenario.DEPARTED_TOKEN, n),
                f"离职生效后仍在使用该账号/令牌，{_local(first)} 起操作 {n} 次 / the account of a "
                f"departed employee was used {n} times after departure, first at {_local(first)}",
                {"actions": n, "first_at": first},
            )
        )
    return out


def _grant_reveals(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    out = []
    for account, grant, n, med in _rows(
        con,
        f"""WITH per_grant AS (
                SELECT account_id, grant_id, day, count(*) AS n FROM base
                WHERE kind = 'reveal' GROUP BY ALL),
            post_med AS (SELECT acc.post, median(n) AS med FROM per_grant
                         JOIN acc USING (account_id) GROUP BY acc.post)
            SELECT w.account_id, w.grant_id, count(*), any_value(pm.med)
            FROM win w JOIN acc USING (account_id) LEFT JOIN post_med pm ON pm.post = acc.post
            WHERE w.kind = 'reveal' GROUP BY w.account_id, w.grant_id
            HAVING count(*) >= greatest({t.grant_reveals},
                                        {t.grant_reveals_factor} * coalesce(any_value(pm.med), 0))""",
    ):
        ratio = n / max(float(med or 0), 1.0)
        out.append(
            Finding(
                account,
                Scenario.GRANT_REVEALS,
                _score(Scenario.GRANT_REVEALS, ratio),
                f"一次授权 #{grant} 下查看明文 {n} 次，同岗位日中位数 {float(med or 0):,.0f} 次 / "
                f"{n} reveals under grant #{grant}; the post's daily median is "
                f"{float(med or 0):,.0f}",
                {"grant_id": grant, "reveals": n, "post_median": float(med or 0)},
            )
        )
    return out


def _many_units(con: duckdb.DuckDBPyConnection, t: Thresholds) -> list[Finding]:
    out = []
    for account, units, usual in _rows(
        con,
        f"""SELECT w.account_id, count(DISTINCT w.unit_id), any_value(b.max_units)
            FROM win w JOIN baseline b USING (account_id) WHERE w.kind <> 'login'
            GROUP BY w.account_id
            HAVING count(DISTINCT w.unit_id) >= any_value(b.max_units) + {t.extra_units} + 1""",
    ):
        out.append(
            Finding(
                account,
                Scenario.MANY_UNITS,
                _score(Scenario.MANY_UNITS, units / max(usual, 1)),
                f"一天内涉及 {units} 个单位的数据，以往最多 {usual} 个 / touched data of "
                f"{units} units in a day; never more than {usual} before",
                {"units": units, "usual_max": usual},
            )
        )
    return out


def window_ending(at: datetime) -> datetime:
    """The detection window's end: the top of the current hour (the job runs hourly)."""
    return at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
