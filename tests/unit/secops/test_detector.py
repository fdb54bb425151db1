"""OPS-1: the detector finds every planted insider scenario in a generated month of normal
staff activity, and says why in words; a quiet month raises (almost) nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from safegrid.secops import replay
from safegrid.secops.detector import Scenario, Thresholds, detect

END = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)  # local midnight, Asia/Shanghai


@pytest.fixture(scope="module")
def month() -> replay.Replay:
    # Small: 40 staff over 12 days (generated data), well under a second.
    return replay.generate(replay.synthetic_staff(40), END, days=12, per_scenario=1)


def test_ops_1_every_planted_scenario_is_found_with_its_own_explanation(
    month: replay.Replay,
) -> None:
    findings = detect(month.activity, END, Thresholds(baseline_days=11))
    found = {(f.account_id, f.scenario) for f in findings}
    for account, scenario in month.planted.items():
        assert (account, scenario) in found, f"missed {scenario} on {account}"
    assert set(month.planted.values()) == set(Scenario)
    night = next(f for f in findings if f.scenario == Scenario.NIGHT_EXPORT)
    assert "02:14" in night.explanation and "rows" in night.explanation
    assert "导出" in night.explanation  # Chinese first, English after
    departed = next(f for f in findings if f.scenario == Scenario.DEPARTED_TOKEN)
    assert departed.score > night.score / 2


def test_ops_1_false_alarms_stay_rare_on_normal_days(month: replay.Replay) -> None:
    findings = detect(month.activity, END, Thresholds(baseline_days=11))
    false = {f.account_id for f in findings} - set(month.planted)
    assert len(false) <= 2, [f.explanation for f in findings if f.account_id in false]


def test_ops_1_a_window_before_the_plants_is_quiet(month: replay.Replay) -> None:
    earlier = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
    planted = {(a, s) for a, s in month.planted.items()}
    found = {(f.account_id, f.scenario) for f in detect(month.activity, earlier, Thresholds(10))}
    assert not planted & found
