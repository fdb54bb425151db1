"""Arrears-risk features (ANA-3), written once in Ibis (DuckDB or Spark).

Every bill is a *target*: will its account pay it late or not at all? Its features are
what the utility knew on the day the bill was issued (the *cutoff*) about the account's
bills of the year before: how many of them were paid late, how much was still owed, how
many late-fee days and reminders, whether an instalment plan was made. Nothing on or after
the cutoff is read — a payment made after it counts as not made yet — so a model trained
on old months and tested on later ones never sees the future.

Inputs (one row each):

* ``bills``: ``account_id, bill_id, period, amount, issued_on, due_on, settled_on``
  (the day the principal was fully written off, NULL while open), ``fee_from`` (first
  late-fee day, NULL if none) and ``fee_days`` (days accrued);
* ``reminders``: ``account_id, sent_on``;
* ``plans``: ``account_id, created_on``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

BILLS = pa.schema(
    [
        ("account_id", pa.int64()),
        ("bill_id", pa.int64()),
        ("period", pa.string()),
        ("amount", pa.float64()),
        ("issued_on", pa.date32()),
        ("due_on", pa.date32()),
        ("settled_on", pa.date32()),
        ("fee_from", pa.date32()),
        ("fee_days", pa.int64()),
    ]
)
REMINDERS = pa.schema([("account_id", pa.int64()), ("sent_on", pa.date32())])
PLANS = pa.schema([("account_id", pa.int64()), ("created_on", pa.date32())])
HISTORY_DAYS = 365
LATE_CAP_DAYS = 90  # a bill years overdue weighs no more than one three months overdue
FEATURES: tuple[str, ...] = (
    "hist_bills",
    "hist_due",
    "late_share",
    "open_share",
    "mean_days_late",
    "max_days_late",
    "owed_at_cutoff",
    "owed_ratio",
    "prev_late",
    "prev_days_late",
    "fee_days",
    "reminders",
    "plans",
    "amount",
    "amount_ratio",
    "months_since_late",
)


def _days(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    return later.delta(earlier, unit="day").cast("int64")


def bill_features(bills: ir.Table, reminders: ir.Table, plans: ir.Table) -> ir.Table:
    """One row per bill of ``bills``: ``bill_id`` and the columns of :data:`FEATURES`."""
    t = bills.select(
        "account_id",
        "bill_id",
        amount=bills.amount.cast("float64"),
        cutoff=bills.issued_on,
    )
    h = bills.select(
        h_account=bills.account_id,
        h_issued=bills.issued_on,
        h_due=bills.due_on,
        h_settled=bills.settled_on,
        h_amount=bills.amount.cast("float64"),
        h_fee_from=bills.fee_from,
        h_fee_days=bills.fee_days,
    )
    j = t.join(
        h,
        [
            t.account_id == h.h_account,
            h.h_issued < t.cutoff,
            h.h_issued >= t.cutoff - ibis.interval(days=HISTORY_DAYS),
        ],
    )
    # As the cutoff saw it: settled only if settled before it.
    settled = j.h_settled.notnull() & (j.h_settled < j.cutoff)
    due = j.h_due < j.cutoff
    paid_or_cutoff = ibis.ifelse(settled, j.h_settled, j.cutoff)
    days_late = ibis.greatest(_days(paid_or_cutoff, j.h_due), 0).clip(upper=LATE_CAP_DAYS)
    late = due & (days_late > 0)
    j = j.mutate(
        due=due.cast("int64"),
        late=late.cast("int64"),
        open_=(due & ~settled).cast("int64"),
        days_late=ibis.ifelse(due, days_late, None),
        owed=ibis.ifelse(settled, 0.0, j.h_amount),
        fee=ibis.ifelse(
            j.h_fee_from.notnull() & (j.h_fee_from < j.cutoff),
            ibis.least(j.h_fee_days, _days(j.cutoff, j.h_fee_from)),
            0,
        ),
        back=_days(j.cutoff, j.h_issued),
    )
    hist = j.group_by("bill_id").aggregate(
        hist_bills=j.count(),
        hist_due=j.due.sum(),
        late_n=j.late.sum(),
        open_n=j.open_.sum(),
        mean_days_late=j.days_late.mean(),
        max_days_late=j.days_late.max(),
        owed_at_cutoff=j.owed.sum(),
        mean_amount=j.h_amount.mean(),
        fee_days=j.fee.sum(),
        # The newest earlier bill: "paid late last month", the baseline's rule.
        prev_late=j.late.argmin(j.back),
        prev_days_late=j.days_late.argmin(j.back),
        last_late_back=j.back.min(where=j.late == 1),
    )
    rem = _count_before(t, reminders, "sent_on", "reminders")
    pl = _count_before(t, plans, "created_on", "plans")
    f = (
        t.left_join(hist, "bill_id")
        .drop("bill_id_right")
        .left_join(rem, "bill_id")
        .drop("bill_id_right")
        .left_join(pl, "bill_id")
        .drop("bill_id_right")
    )
    f = f.mutate(
        hist_bills=f.hist_bills.fill_null(0),
        hist_due=f.hist_due.fill_null(0),
        late_share=f.late_n / f.hist_due.nullif(0),
        open_share=f.open_n / f.hist_due.nullif(0),
        owed_at_cutoff=f.owed_at_cutoff.fill_null(0.0),
        owed_ratio=f.owed_at_cutoff.fill_null(0.0) / f.amount.nullif(0),
        fee_days=f.fee_days.fill_null(0),
        reminders=f.reminders.fill_null(0),
        plans=f.plans.fill_null(0),
        amount_ratio=f.amount / f.mean_amount.nullif(0),
        months_since_late=(f.last_late_back / 30).floor().cast("int64"),
    )
    return f.select("bill_id", *FEATURES).order_by("bill_id")


def _count_before(t: ir.Table, events: ir.Table, day: str, name: str) -> ir.Table:
    """Per target bill, the account's ``events`` in the year before the cutoff."""
    e = events.select(e_account=events.account_id, e_day=events[day])
    j = t.join(
        e,
        [
            t.account_id == e.e_account,
            e.e_day < t.cutoff,
            e.e_day >= t.cutoff - ibis.interval(days=HISTORY_DAYS),
        ],
    )
    return j.group_by("bill_id").aggregate(**{name: j.count()})
