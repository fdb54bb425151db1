"""Enum labels are grouped per domain but looked up by value alone."""

from __future__ import annotations

import pytest

from safegrid.web import labels


def test_every_domain_group_is_in_the_lookup() -> None:
    groups = [labels.PARTY_LABELS, labels.BILLING_LABELS, labels.TERMINAL_LABELS]
    for group in groups:
        assert group.items() <= labels.ENUM_LABELS.items()


def test_a_value_labelled_two_ways_is_refused() -> None:
    with pytest.raises(ValueError, match="'open'"):
        labels._merge({"open": "Open"}, {"open": "Opened"})


def test_the_same_label_twice_is_one_entry() -> None:
    assert labels._merge({"open": "Open"}, {"open": "Open"}) == {"open": "Open"}
