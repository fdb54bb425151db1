"""IAM-2: password policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safegrid.security.passwords import is_expired, password_problems


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Short1!", "at least 10 characters"),
        ("alllowercase1!", "an upper-case letter"),
        ("ALLUPPERCASE1!", "a lower-case letter"),
        ("NoDigitsHere!", "a digit"),
        ("NoSpecial123", "a special character"),
    ],
)
def test_iam_2_policy_names_what_is_missing(password: str, missing: str) -> None:
    assert missing in password_problems(password)


def test_iam_2_good_password_passes() -> None:
    assert password_problems("Grid@Safe2026") == []


def test_iam_2_expires_after_90_days() -> None:
    changed = datetime(2026, 1, 1, tzinfo=UTC)
    assert not is_expired(changed, changed + timedelta(days=90))
    assert is_expired(changed, changed + timedelta(days=90, seconds=1))
