"""The per-customer loop behind :mod:`safegrid.analytics.daily_features`, compiled by
Numba: each customer's row of the day matrix is read twice (oldest to newest, then newest to
oldest) and every feature comes out of running sums, instead of some forty whole-array
passes (ADR 0040). Rows are split over the cores (``prange``).

Column ``b`` of a row is the reading ``b`` days before the customer's last day (NaN where
there was none). Windows: C = b < 365, H = 365 <= b < 730, R90 = b < 90, R30 = b < 30.
The output columns are in the order of ``daily_features.FEATURES``."""

from __future__ import annotations

import math

import numba
import numpy as np

N_FEATURES = 29
# Two years and one day: the features look two years back, and the day before the oldest
# of them is the "previous reading" of that oldest day.
WIDTH = 731
ZERO_KWH = 0.02  # a London day below this is a meter reading of nothing
# A variance below this share of the squared mean is rounding, not spread: the injected
# flat mean has none, so its correlations are unknown rather than noise in the last bits.
FLAT = 1e-12
C, H, R90, R30, R60 = 0, 1, 2, 3, 4
NAN = math.nan


@numba.njit(cache=True, inline="always")
def _div(num: float, den: float) -> float:
    if den == 0.0 or math.isnan(den) or math.isnan(num):
        return NAN
    return num / den


@numba.njit(cache=True, inline="always")
def _relative(v: float, c: float) -> float:
    """A reading over the cohort's mean that day (NaN where the cohort has none or zero)."""
    return v / c if (c != 0.0 and not math.isnan(c)) else NAN


@numba.njit(cache=True, inline="always")
def _var(n: float, s: float, q: float) -> float:
    if n == 0.0:
        return NAN
    mean = s / n
    var = max(q / n - mean * mean, 0.0)
    return 0.0 if var <= FLAT * mean * mean else var


@numba.njit(cache=True, inline="always")
def _corr(n: float, sa: float, sb: float, qa: float, qb: float, sab: float) -> float:
    if n == 0.0:
        return NAN
    cov = sab / n - (sa / n) * (sb / n)
    return _div(cov, math.sqrt(_var(n, sa, qa) * _var(n, sb, qb)))


@numba.njit(cache=True, inline="always")
def _fmin(a: float, b: float) -> float:
    return b if math.isnan(a) else (a if math.isnan(b) else min(a, b))


@numba.njit(cache=True, inline="always")
def _fmax(a: float, b: float) -> float:
    return b if math.isnan(a) else (a if math.isnan(b) else max(a, b))


@numba.njit(cache=True, inline="always")
def _add(acc: np.ndarray, k: int, v: float, c: float, has_rel: bool, rel: float) -> None:
    acc[0, k] += 1.0
    acc[1, k] += v
    acc[2, k] += v * v
    acc[5, k] += c
    acc[6, k] += c * c
    acc[7, k] += v * c
    if has_rel:
        acc[3, k] += 1.0
        acc[4, k] += rel


@numba.njit(cache=True)
def _row(x: np.ndarray, co: np.ndarray, out: np.ndarray) -> None:
    """``co[b]`` is the cohort's mean on the day of ``x[b]`` (NaN where it had none)."""
    width = x.shape[0]
    # acc[field, window] for the windows C, H, R90, R30; fields: count, sum, squares,
    # cohort-relative count and sum, cohort sum, squares and product with the reading.
    acc = np.zeros((8, 5))
    # Reading and previous reading pairs in C, H and R60 (lag 1 and the day-to-day step):
    # count, sums, squares, product, step; then zero readings (C and H).
    pair = np.zeros((8, 3))
    wk_s = np.zeros((2, 7))
    wk_n = np.zeros((2, 7))
    mon_s = np.zeros(12)
    mon_n = np.zeros(12)
    rel_n = rel_s = rel_q = 0.0
    prev = NAN
    run = best_run = 0.0
    week_s = week_n = 0.0
    min_week = NAN
    for b in range(width - 1, -1, -1):  # oldest to newest
        v = x[b]
        if b + 7 < width and not math.isnan(x[b + 7]):
            week_s -= x[b + 7]
            week_n -= 1.0
        if math.isnan(v):
            continue
        week_s += v
        week_n += 1.0
        c = co[b]
        rel = _relative(v, c)
        has_rel = not math.isnan(rel)
        if has_rel:
            rel_n += 1.0
            rel_s += rel
            rel_q += rel * rel
        if b < 365:
            _add(acc, C, v, c, has_rel, rel)
            if b < 90:
                _add(acc, R90, v, c, has_rel, rel)
                if b < 60:
                    _add(acc, R60, v, c, has_rel, rel)
                    if b < 30:
                        _add(acc, R30, v, c, has_rel, rel)
        elif b < 730:
            _add(acc, H, v, c, has_rel, rel)
        w = 0 if b < 365 else (1 if b < 730 else -1)
        is_zero = v < ZERO_KWH
        if w >= 0:
            wk_s[w, b % 7] += v
            wk_n[w, b % 7] += 1.0
            if is_zero:
                pair[7, w] += 1.0
            if not math.isnan(prev):
                pair[0, w] += 1.0
                pair[1, w] += v
                pair[2, w] += prev
                pair[3, w] += v * v
                pair[4, w] += prev * prev
                pair[5, w] += v * prev
                pair[6, w] += abs(v - prev)
                if b < 60:
                    pair[0, 2] += 1.0
                    pair[1, 2] += v
                    pair[2, 2] += prev
                    pair[3, 2] += v * v
                    pair[4, 2] += prev * prev
                    pair[5, 2] += v * prev
                    pair[6, 2] += abs(v - prev)
        if b < 365:
            run = run + 1.0 if is_zero else 0.0
            best_run = max(best_run, run)
            if b < 359:
                min_week = _fmin(min_week, week_s / week_n)
        if b < 360 and has_rel:
            mon_s[b // 30] += rel
            mon_n[b // 30] += 1.0
        prev = v

    # The same day a year earlier (364 days: the same weekday), paired with today.
    ly_n = ly_a = ly_b = ly_aa = ly_bb = ly_ab = 0.0
    ly90_n = ly90_s = ly30_n = ly30_s = 0.0  # pairs' count and year-ago sum in R90, R30
    for b in range(min(365, width - 364)):
        a, o = x[b], x[b + 364]
        if math.isnan(a) or math.isnan(o):
            continue
        ly_n += 1.0
        ly_a += a
        ly_b += o
        ly_aa += a * a
        ly_bb += o * o
        ly_ab += a * o
        if b < 90:
            ly90_n += 1.0
            ly90_s += o
        if b < 30:
            ly30_n += 1.0
            ly30_s += o

    # Every day from the 60th back to a year ago as a possible start of theft: the
    # cohort-relative use from that day on against the same before it (both inclusive).
    # The spread ratio is minimised squared — (sd_a/m_a)/(sd_b/m_b) squared — and its root
    # taken once: cohort-relative use is never negative, so the order is the same.
    cp = cp_var_sq = NAN
    an = as_ = aq = 0.0
    for b in range(min(365, width)):
        v = x[b]
        if math.isnan(v):
            continue
        r = _relative(v, co[b])
        has_rel = not math.isnan(r)
        if has_rel:
            an += 1.0
            as_ += r
            aq += r * r
        if b < 60:
            continue
        bn, bs, bq = rel_n - an, rel_s - as_, rel_q - aq
        if has_rel:
            bn += 1.0
            bs += r
            bq += r * r
        if an == 0.0 or bn == 0.0:
            continue
        ia, ib = 1.0 / an, 1.0 / bn
        ma, mb = as_ * ia, bs * ib
        if mb == 0.0 or ma == 0.0:
            continue
        cp = _fmin(cp, ma / mb)
        va, vb = max(aq * ia - ma * ma, 0.0), max(bq * ib - mb * mb, 0.0)
        if va <= FLAT * ma * ma:
            va = 0.0
        if vb > FLAT * mb * mb:
            cp_var_sq = _fmin(cp_var_sq, (va * mb * mb) / (vb * ma * ma))
    cp_var = math.sqrt(cp_var_sq) if not math.isnan(cp_var_sq) else NAN

    n, s, q, nr, sr, sco, qco, sxco = acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]
    pn, px, pp, pxx, ppp, pxp, step, zeros = (
        pair[0],
        pair[1],
        pair[2],
        pair[3],
        pair[4],
        pair[5],
        pair[6],
        pair[7],
    )
    m = np.empty(5)
    rm = np.empty(5)
    for k in range(5):
        m[k] = _div(s[k], n[k])
        rm[k] = _div(sr[k], nr[k])
    sd90 = math.sqrt(_var(n[R90], s[R90], q[R90]))
    sd_h = math.sqrt(_var(n[H], s[H], q[H]))
    month_min = month_max = NAN
    for j in range(12):
        ratio = _div(_div(mon_s[j], mon_n[j]), rm[H])
        month_min = _fmin(month_min, ratio)
        month_max = _fmax(month_max, ratio)
    week_corr = np.empty(2)
    for w in (C, H):
        cross = 0.0
        for d in range(7):
            if wk_n[w, d] > 0.0:
                cross += wk_s[w, d] * wk_s[w, d] / wk_n[w, d]
        week_corr[w] = _corr(n[w], s[w], s[w], q[w], cross, cross)

    out[0] = n[C]
    out[1] = n[H]
    out[2] = _div(m[C], m[H])
    out[3] = _div(m[R90], _div(ly90_s, ly90_n))
    out[4] = _div(m[R30], _div(ly30_s, ly30_n))
    out[5] = _div(rm[C], rm[H])
    out[6] = _div(rm[R90], rm[H])
    out[7] = _div(rm[R30], rm[H])
    out[8] = month_min
    out[9] = month_max
    out[10] = _div(sd90, m[R90])
    out[11] = _div(_div(sd90, m[R90]), _div(sd_h, m[H]))
    out[12] = _div(_div(_div(step[C], pn[C]), m[C]), _div(_div(step[H], pn[H]), m[H]))
    out[13] = _corr(pn[C], px[C], pp[C], pxx[C], ppp[C], pxp[C])
    out[14] = _corr(pn[H], px[H], pp[H], pxx[H], ppp[H], pxp[H])
    out[15] = _corr(n[C], s[C], sco[C], q[C], qco[C], sxco[C])
    out[16] = _corr(n[H], s[H], sco[H], q[H], qco[H], sxco[H])
    out[17] = _corr(n[R90], s[R90], sco[R90], q[R90], qco[R90], sxco[R90])
    out[18] = _corr(ly_n, ly_a, ly_b, ly_aa, ly_bb, ly_ab)
    out[19] = week_corr[0]
    out[20] = week_corr[1]
    out[21] = zeros[C]
    out[22] = zeros[H] if n[H] > 0.0 else NAN
    out[23] = best_run
    out[24] = _div(min_week, m[H])
    out[25] = cp
    out[26] = cp_var
    out[27] = _corr(pn[2], px[2], pp[2], pxx[2], ppp[2], pxp[2])
    out[28] = _div(_div(step[2], pn[2]), m[R60])


@numba.njit(cache=True, parallel=True)
def features(x: np.ndarray, last: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """The features of every row of the day matrix ``x`` (column d = the input's first day
    + d), each row read backwards from its last day ``last[i]`` over at most ``WIDTH``
    days; ``cohort[d]`` is the cohort's mean on day d."""
    out = np.empty((x.shape[0], N_FEATURES))
    for i in numba.prange(x.shape[0]):
        end = last[i] + 1
        start = max(0, end - WIDTH)
        _row(x[i, start:end][::-1], cohort[start:end][::-1], out[i])
    return out
