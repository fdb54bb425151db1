"""BILL-1: identity numbers are validated with their national check characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safegrid.customers.validation import (
    credit_code_problem,
    id_check_char,
    id_number_problem,
    mobile_problem,
    uscc_check_char,
)

# Published examples: GB 11643 sample number, and a real enterprise's credit code.
VALID_ID = "11010519491231002X"
VALID_USCC = "91350100M000100Y43"


def test_bill_1_gb11643_known_number_valid() -> None:
    assert id_check_char(VALID_ID[:17]) == "X"
    assert id_number_problem(VALID_ID) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002", "must be 18 characters"),
        ("110105194912310021", "check digit is wrong"),
        ("11010519491331002X", "birth date is not a real date"),
        ("99010519491231002X", "region code is not a mainland province"),
        ("1101051949123100AX", "must be 17 digits followed by a digit or X"),
    ],
)
def test_bill_1_gb11643_rejections_name_the_problem(value: str, problem: str) -> None:
    assert id_number_problem(value) == problem


@given(st.from_regex(r"33018319[0-9]{2}0[1-9]1[0-9][0-9]{3}", fullmatch=True))
def test_bill_1_gb11643_any_single_digit_change_is_caught(first17: str) -> None:
    valid = first17 + id_check_char(first17)
    assert id_number_problem(valid) is None
    # MOD 11-2 detects every single-character substitution.
    for pos in range(14, 17):
        digit = (int(valid[pos]) + 1) % 10
        mutated = valid[:pos] + str(digit) + valid[pos + 1 :]
        assert id_number_problem(mutated) is not None


def test_bill_1_gb32100_known_code_valid() -> None:
    assert uscc_check_char(VALID_USCC[:17]) == VALID_USCC[17]
    assert credit_code_problem(VALID_USCC) is None


def test_bill_1_gb32100_rejections() -> None:
    assert credit_code_problem(VALID_USCC[:17] + "0") == "check character is wrong"
    assert credit_code_problem("91350100M00010OY43") is not None  # letter O is not allowed
    assert credit_code_problem("9135") == "must be 18 characters"


def test_bill_1_mobile_numbers() -> None:
    assert mobile_problem("13812345678") is None
    assert mobile_problem("12812345678") is not None
    assert mobile_problem("1381234567") is not None
