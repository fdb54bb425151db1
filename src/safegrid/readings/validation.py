"""The rules every reading passes, whatever its source (BILL-2). Vectorised: numpy over
the whole batch, no Python loop per row.

- the meter must exist inside the caller's scope (a meter reader: his reading areas);
  one answer for "no such meter" and "not yours", so the report reveals nothing;
- the date may not lie in the future, before the meter was installed, or in a closed
  period, and must follow the meter's latest stored reading;
- one reading per meter and date: duplicates in the file or in the store are rejected;
- consumption = register difference × multiplier; a register lower than the previous one
  is negative consumption — rejected — unless it is a plausible rollover (the previous
  register near the dial's limit, the new one near zero), accepted with the wrapped
  difference and flagged;
- time-of-use meters need peak and valley registers, and peak + valley must match the
  total within a tolerance; other meters must not carry them;
- estimated reads are accepted and flagged; usage far off the meter's own history
  (median daily use of its last measured months) is accepted and flagged for review.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from safegrid.readings import consumption
from safegrid.readings.context import Context, Meters, period_of_month
from safegrid.readings.frame import MISSING, BoolArray, IntArray, Problems, ReadFrame, fmt_c

# Outliers: over 3× the meter's typical daily use (and by more than 10 kWh), or below a
# fifth of it over a week or more for a meter that normally uses ≥ 1 kWh a day.
OUTLIER_HIGH: Final = 3.0
OUTLIER_HIGH_FLOOR_C: Final = 1000
OUTLIER_LOW: Final = 0.2
OUTLIER_LOW_MIN_BASE_C: Final = 100
OUTLIER_LOW_MIN_DAYS: Final = 7

FLAG_NAMES: Final = ("estimated", "rollover", "outlier", "apportioned")
# Flag combinations → the stored text, looked up by a 4-bit code instead of per-row joins.
_FLAG_TEXT: Final = np.array(
    [",".join(n for b, n in enumerate(FLAG_NAMES) if code >> b & 1) or None for code in range(16)],
    dtype=object,
)


@dataclasses.dataclass
class Validated:
    """Accepted readings, sorted by meter and date. ``MISSING`` where not applicable."""

    meter_id: IntArray
    org_unit_id: IntArray
    day: IntArray
    total_c: IntArray
    peak_c: IntArray
    valley_c: IntArray
    kwh_c: IntArray  # energy since the previous reading, multiplier applied
    peak_kwh_c: IntArray
    valley_kwh_c: IntArray
    estimated: BoolArray
    flags: npt.NDArray[Any]  # str | None
    # Where each reading came from and what it follows, for the plausibility screen
    # (readings.intake): the source row, the previous reading's day and total register
    # (the stored one, or the batch's previous reading of the meter), the multiplier.
    row: IntArray
    prev_day: IntArray
    prev_total_c: IntArray
    multiplier: IntArray

    def __len__(self) -> int:
        return len(self.meter_id)

    def take(self, index: IntArray) -> Validated:
        """The readings at ``index`` (kept in order)."""
        return Validated(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    @property
    def flagged(self) -> int:
        return int(sum(1 for f in self.flags if f))


def validate(frame: ReadFrame, problems: Problems, ctx: Context) -> Validated:
    meters = ctx.meters
    asset = frame.asset_no.to_pylist() if len(frame) <= 50_000 else None

    def name(i: int) -> str:
        return str(asset[i] if asset is not None else frame.asset_no[i].as_py())

    m = meters.lookup(frame.asset_no)
    problems.error(
        (m < 0) & ~problems.bad,
        "asset_no",
        "unknown_meter",
        lambda i: (
            f"电表 {name(i)} 不存在或不在您的抄表范围内 / unknown meter {name(i)}, "
            "or not in your reading areas"
        ),
    )
    known = m >= 0
    if not known.any():
        return _nothing()
    mk = np.where(known, m, 0)  # safe index; rows with m < 0 are masked out below
    day = frame.day
    dated = known & (day != MISSING)
    _dates(frame, problems, ctx, mk, dated)
    ami = frame.use_c is not None
    value = frame.use_c if frame.use_c is not None else frame.total_c
    if not ami:
        _tou_shape(frame, problems, meters, mk, known)

    # Sequence: each meter's readings in date order; the first follows the stored one.
    candidates = np.flatnonzero(dated & (value != MISSING))
    order = candidates[np.lexsort((day[candidates], mk[candidates]))]
    sm, sd = mk[order], day[order]
    dup = np.zeros(len(order), bool)
    dup[1:] = (sm[1:] == sm[:-1]) & (sd[1:] == sd[:-1])
    rows = frame.row
    dup_of = {int(order[k]): int(rows[order[k - 1]]) for k in np.flatnonzero(dup)[:1000]}
    problems.error(
        order[dup],
        "read_on",
        "duplicate",
        lambda i: (
            f"同一电表同一日期重复，与第 {dup_of.get(i, '?')} 行重复 / duplicate of row "
            f"{dup_of.get(i, '?')}: same meter and date"
        ),
    )
    seq, sm, sd = order[~dup], sm[~dup], sd[~dup]
    first = np.ones(len(seq), bool)
    first[1:] = sm[1:] != sm[:-1]
    stored_day = meters.prev_day[sm]
    prev_day = consumption.shift(sd, first, stored_day)
    late = (stored_day != MISSING) & (sd <= stored_day)
    problems.error(
        seq[late],
        "read_on",
        "already_stored",
        lambda i: (
            f"该表在 {_iso(meters.prev_day[mk[i]])} 已有读数，日期须在其后 / a reading "
            f"dated {_iso(meters.prev_day[mk[i]])} is already stored; dates must follow it"
        ),
    )
    mult = meters.multiplier[sm]
    if ami:
        out = consumption.derived_registers(frame, problems, meters, seq, sm, sd, first, prev_day)
    else:
        out = consumption.register_energy(frame, problems, meters, seq, sm, first)
    total_c, kwh_units, peak_kwh_c, valley_kwh_c, rolled, apportioned = out
    kwh_c = np.where(kwh_units == MISSING, MISSING, kwh_units * mult)
    outlier = _outliers(problems, meters, seq, sm, sd, prev_day, kwh_c)
    estimated = frame.estimated[seq]
    problems.note(seq[estimated], "estimated", "estimated", lambda i: "估抄 / estimated reading")
    code = estimated * 1 + rolled * 2 + outlier * 4 + apportioned * 8
    return Validated(
        meter_id=meters.meter_id[sm],
        org_unit_id=meters.org_unit_id[sm],
        day=sd,
        total_c=total_c,
        peak_c=frame.peak_c[seq],
        valley_c=frame.valley_c[seq],
        kwh_c=kwh_c,
        peak_kwh_c=peak_kwh_c,
        valley_kwh_c=valley_kwh_c,
        estimated=estimated,
        flags=_FLAG_TEXT[code],
        row=frame.row[seq],
        prev_day=prev_day,
        prev_total_c=consumption.shift(total_c, first, meters.prev_total_c[sm]),
        multiplier=mult,
    )


def _nothing() -> Validated:
    none = np.zeros(0, np.int64)
    return Validated(
        none,
        none,
        none,
        none,
        none,
        none,
        none,
        none,
        none,
        np.zeros(0, bool),
        _FLAG_TEXT[none],
        none,
        none,
        none,
        none,
    )


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _dates(
    frame: ReadFrame, problems: Problems, ctx: Context, mk: IntArray, dated: BoolArray
) -> None:
    day, meters = frame.day, ctx.meters
    problems.error(
        dated & (day > ctx.today),
        "read_on",
        "future",
        lambda i: f"抄表日期 {_iso(day[i])} 晚于今天 / {_iso(day[i])} is in the future",
    )
    problems.error(
        dated & (day < meters.installed_day[mk]),
        "read_on",
        "before_install",
        lambda i: (
            f"抄表日期早于装表日期 {_iso(meters.installed_day[mk[i]])} / before the meter "
            f"was installed on {_iso(meters.installed_day[mk[i]])}"
        ),
    )
    closed = dated & ctx.closed.mask(meters, mk, np.where(dated, day, 0))

    def said(i: int) -> str:
        p = period_of_month(int(day[i].astype("datetime64[D]").astype("datetime64[M]").astype(int)))
        return f"抄表期 {p} 已关闭，不能再录入读数 / period {p} is closed: no new readings"

    problems.error(closed, "read_on", "period_closed", said)


def _tou_shape(
    frame: ReadFrame, problems: Problems, meters: Meters, mk: IntArray, known: BoolArray
) -> None:
    tou = known & meters.is_tou[mk]
    has_peak, has_valley = frame.peak_c != MISSING, frame.valley_c != MISSING
    problems.error(
        tou & ~(has_peak & has_valley) & ~problems.bad,
        "peak",
        "tou_missing",
        lambda i: "分时电表须录入峰、谷示数 / a time-of-use meter needs peak and valley registers",
    )
    problems.error(
        known & ~tou & (has_peak | has_valley),
        "peak",
        "not_tou",
        lambda i: (
            "该表不是分时电表，不应有峰谷示数 / not a time-of-use meter: leave peak and "
            "valley empty"
        ),
    )


def _outliers(
    problems: Problems,
    meters: Meters,
    seq: IntArray,
    sm: IntArray,
    sd: IntArray,
    prev_day: IntArray,
    kwh_c: IntArray,
) -> BoolArray:
    base = meters.baseline_c[sm]
    days = np.where(prev_day != MISSING, sd - prev_day, 0)
    measured = (kwh_c != MISSING) & (days > 0) & ~np.isnan(base)
    safe_days = np.maximum(days, 1)
    rate = kwh_c / safe_days
    with np.errstate(invalid="ignore"):
        high = (
            measured
            & (rate > OUTLIER_HIGH * base)
            & (kwh_c - OUTLIER_HIGH * base * days > OUTLIER_HIGH_FLOOR_C)
        )
        low = (
            measured
            & (base >= OUTLIER_LOW_MIN_BASE_C)
            & (days >= OUTLIER_LOW_MIN_DAYS)
            & (rate < OUTLIER_LOW * base)
        )
    outlier: BoolArray = high | low
    where = {int(seq[k]): k for k in np.flatnonzero(outlier)[:1000]}

    def said(i: int) -> str:
        k = where.get(i)
        if k is None:
            return "用电量异常 / usage far from this meter's history"
        daily, usual = fmt_c(int(rate[k])), fmt_c(int(base[k]))
        return (
            f"日均用电 {daily} kWh，历史中位数 {usual} kWh，请复核 / {daily} kWh a day against "
            f"a usual {usual} kWh: flagged for review"
        )

    problems.note(seq[outlier], "total", "outlier", said)
    return outlier
