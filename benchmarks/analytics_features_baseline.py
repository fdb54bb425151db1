"""BASELINE for benchmarks/analytics_features.py, not used by the platform: the theft
feature pipeline as it was before the day-matrix rewrite (ADR 0040) — Ibis window functions
over every daily reading (lag, 7-row mean, change-point frames, a self-join on day - 364).
Kept so the benchmark can time the old formulation on the same file in the same run and
print the ratio."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

ZERO_KWH = 0.02  # a London day below this is a meter reading of nothing
FEATURES: tuple[str, ...] = (
    "days",
    "hist_days",
    "drop_c",
    "drop_r90",
    "drop_r30",
    "rel_drop_c",
    "rel_drop_r90",
    "rel_drop_r30",
    "rel_month_min",
    "rel_month_max",
    "cv_r90",
    "cv_ratio",
    "step_ratio",
    "ac1_c",
    "ac1_h",
    "corr_cohort_c",
    "corr_cohort_h",
    "corr_cohort_r90",
    "corr_last_year",
    "week_corr_c",
    "week_corr_h",
    "zero_days_c",
    "zero_days_h",
    "zero_run_c",
    "min_week_ratio",
    "cp_ratio",
    "cp_var_ratio",
)


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.NumericValue:
    return num / den.nullif(0)


def _annotated(daily: ir.Table, cohort_source: ir.Table | None) -> ir.Table:
    """Each reading with its days-back, the cohort's mean that day, yesterday's reading,
    the reading 364 days earlier (same weekday) and its zero-run island."""
    d = daily.select("customer", "day", daily.kwh.cast("float64").name("kwh"))
    ends = d.group_by("customer").aggregate(t_end=d.day.max())
    src = d if cohort_source is None else cohort_source
    cohort = src.group_by("day").aggregate(cohort=src.kwh.cast("float64").mean())
    t = d.join(ends, "customer").join(cohort, "day")
    t = t.mutate(back=t.t_end.delta(t.day, unit="day").cast("int64"))
    t = t.mutate(
        rel=_ratio(t.kwh, t.cohort),
        is_zero=(t.kwh < ZERO_KWH).cast("int64"),
        dow=t.day.day_of_week.index().cast("int64"),
    )
    by_customer = ibis.window(group_by="customer", order_by="day")
    t = t.mutate(
        prev=t.kwh.lag().over(by_customer),
        rn_all=ibis.row_number().over(by_customer),
        rn_state=ibis.row_number().over(
            ibis.window(group_by=["customer", "is_zero"], order_by="day")
        ),
        week_mean=t.kwh.mean().over(
            ibis.window(group_by="customer", order_by="day", preceding=6, following=0)
        ),
        # Change point: everything up to a day against everything from it on.
        rel_before=t.rel.mean().over(
            ibis.window(group_by="customer", order_by="day", preceding=None, following=0)
        ),
        rel_after=t.rel.mean().over(
            ibis.window(group_by="customer", order_by="day", preceding=0, following=None)
        ),
        var_before=t.rel.std(how="pop").over(
            ibis.window(group_by="customer", order_by="day", preceding=None, following=0)
        ),
        var_after=t.rel.std(how="pop").over(
            ibis.window(group_by="customer", order_by="day", preceding=0, following=None)
        ),
    )
    last_year = t.select(
        "customer", year_ago_day=t.day, year_ago_kwh=t.kwh
    )  # joined on day + 364 below
    t = t.left_join(
        last_year,
        [
            t.customer == last_year.customer,
            t.day == last_year.year_ago_day + ibis.interval(days=364),
        ],
    ).drop("customer_right", "year_ago_day")
    return t.mutate(island=t.rn_all - t.rn_state)


def _weekday_profile_corr(t: ir.Table) -> ir.Table:
    """How well each day follows the customer's own weekday shape, in C and in H: the
    correlation of a day's reading with the mean of its weekday in the same window."""
    w = t.mutate(win=ibis.ifelse(t.back < 365, "C", ibis.ifelse(t.back < 730, "H", "X")))
    prof = w.group_by(["customer", "win", "dow"]).aggregate(dow_mean=w.kwh.mean())
    j = w.join(prof, ["customer", "win", "dow"])
    agg = j.group_by("customer").aggregate(
        week_corr_c=j.kwh.corr(j.dow_mean, where=j.win == "C", how="pop"),
        week_corr_h=j.kwh.corr(j.dow_mean, where=j.win == "H", how="pop"),
    )
    return agg


def _zero_runs(t: ir.Table) -> ir.Table:
    zeros = t.filter((t.is_zero == 1) & (t.back < 365))
    runs = zeros.group_by(["customer", "island"]).aggregate(run=zeros.day.count())
    return runs.group_by("customer").aggregate(zero_run_c=runs.run.max())


def _months(t: ir.Table, hist_rel: ir.Table) -> ir.Table:
    """The lowest and highest cohort-relative month of the current year against the
    customer's own history: a theft starting on any day shows in the months after it."""
    cur = t.filter(t.back < 360)
    cur = cur.mutate(month=(cur.back // 30).cast("int64"))
    months = cur.group_by(["customer", "month"]).aggregate(m_rel=cur.rel.mean())
    months = months.join(hist_rel, "customer")
    return months.group_by("customer").aggregate(
        rel_month_min=_ratio(months.m_rel, months.h_rel).min(),
        rel_month_max=_ratio(months.m_rel, months.h_rel).max(),
    )


def customer_features(daily: ir.Table, cohort_source: ir.Table | None = None) -> ir.Table:
    """One row per customer: ``customer`` and the columns of :data:`FEATURES`. The cohort
    is ``daily`` itself unless ``cohort_source`` (same columns) names the population to
    compare with, e.g. the honest customers when ``daily`` holds injected copies."""
    t = _annotated(daily, cohort_source)
    c, h = t.back < 365, (t.back >= 365) & (t.back < 730)
    r90, r30 = t.back < 90, t.back < 30
    base = t.group_by("customer").aggregate(
        days=t.day.count(where=c),
        hist_days=t.day.count(where=h),
        m_c=t.kwh.mean(where=c),
        m_h=t.kwh.mean(where=h),
        m_r90=t.kwh.mean(where=r90),
        m_r30=t.kwh.mean(where=r30),
        m_r90_ly=t.year_ago_kwh.mean(where=r90),
        m_r30_ly=t.year_ago_kwh.mean(where=r30),
        r_c=t.rel.mean(where=c),
        h_rel=t.rel.mean(where=h),
        r_r90=t.rel.mean(where=r90),
        r_r30=t.rel.mean(where=r30),
        sd_r90=t.kwh.std(where=r90, how="pop"),
        sd_h=t.kwh.std(where=h, how="pop"),
        step_c=(t.kwh - t.prev).abs().mean(where=c),
        step_h=(t.kwh - t.prev).abs().mean(where=h),
        ac1_c=t.kwh.corr(t.prev, where=c, how="pop"),
        ac1_h=t.kwh.corr(t.prev, where=h, how="pop"),
        corr_cohort_c=t.kwh.corr(t.cohort, where=c, how="pop"),
        corr_cohort_h=t.kwh.corr(t.cohort, where=h, how="pop"),
        corr_cohort_r90=t.kwh.corr(t.cohort, where=r90, how="pop"),
        corr_last_year=t.kwh.corr(t.year_ago_kwh, where=c, how="pop"),
        zero_days_c=t.is_zero.sum(where=c),
        zero_days_h=t.is_zero.sum(where=h),
        min_week=t.week_mean.min(where=c & (t.back <= 358)),
        cp_ratio=_ratio(t.rel_after, t.rel_before).min(where=(t.back >= 60) & c),
        cp_var_ratio=_ratio(
            _ratio(t.var_after, t.rel_after), _ratio(t.var_before, t.rel_before)
        ).min(where=(t.back >= 60) & c),
    )
    hist_rel = base.select("customer", "h_rel")
    f = (
        base.left_join(_months(t, hist_rel), "customer")
        .drop("customer_right")
        .left_join(_weekday_profile_corr(t), "customer")
        .drop("customer_right")
        .left_join(_zero_runs(t), "customer")
        .drop("customer_right")
    )
    f = f.mutate(
        drop_c=_ratio(f.m_c, f.m_h),
        drop_r90=_ratio(f.m_r90, f.m_r90_ly),
        drop_r30=_ratio(f.m_r30, f.m_r30_ly),
        rel_drop_c=_ratio(f.r_c, f.h_rel),
        rel_drop_r90=_ratio(f.r_r90, f.h_rel),
        rel_drop_r30=_ratio(f.r_r30, f.h_rel),
        cv_r90=_ratio(f.sd_r90, f.m_r90),
        cv_ratio=_ratio(_ratio(f.sd_r90, f.m_r90), _ratio(f.sd_h, f.m_h)),
        step_ratio=_ratio(_ratio(f.step_c, f.m_c), _ratio(f.step_h, f.m_h)),
        zero_run_c=f.zero_run_c.fill_null(0),
        min_week_ratio=_ratio(f.min_week, f.m_h),
    )
    return f.select("customer", *FEATURES).order_by("customer")
