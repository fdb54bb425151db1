"""Erlang C for the staffing recommendation, against the textbook example (and the
monotonic behaviour a recommendation must have)."""

from __future__ import annotations

import pytest

from safegrid.hall.staffing import erlang_c, service_level, windows_needed


def test_hall_staffing_erlang_c_matches_the_textbook_example() -> None:
    # 100 calls in 30 min, AHT 180 s → 10 Erlangs; 11 agents: Pw ≈ 0.682, SL(20 s) ≈ 0.390;
    # 12 agents: Pw ≈ 0.449; 13 agents: Pw ≈ 0.285 (the widely quoted worked example).
    assert erlang_c(10, 11) == pytest.approx(0.682, abs=0.001)
    assert erlang_c(10, 12) == pytest.approx(0.449, abs=0.001)
    assert erlang_c(10, 13) == pytest.approx(0.285, abs=0.001)
    assert service_level(200, 180, 11, 20) == pytest.approx(0.390, abs=0.001)


def test_hall_staffing_recommendation_meets_the_target_with_the_fewest_windows() -> None:
    n = windows_needed(40, 300)  # 40 customers an hour, 5 minutes each: 3.33 Erlangs
    assert service_level(40, 300, n, 600) >= 0.8 > service_level(40, 300, n - 1, 600)
    assert windows_needed(0, 300) == 0
    assert windows_needed(80, 300) > n
