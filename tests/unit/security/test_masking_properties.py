"""Masking rules hold for every generated value, not just the examples (DATA-3)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from safegrid.customers.models import Account, Customer
from safegrid.customers.validation import id_check_char
from safegrid.security.masking import mask, snapshot

DIGITS = "0123456789"
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    born = draw(st.dates()).strftime("%Y%m%d")
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    first17 = region + born[-8:].rjust(8, "0") + seq
    return first17 + id_check_char(first17)


phones = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(DIGITS, min_size=9, max_size=9),
)
bank_accounts = st.text(DIGITS, min_size=12, max_size=30)


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, str]:
    """(address, the part up to and including the street) — the street keeps."""
    words = st.text(HAN, min_size=1, max_size=4)
    street = (
        draw(words) + "省" + draw(words) + "市" + draw(words) + "区"
        + draw(words) + draw(st.sampled_from(["街道", "镇", "乡"]))
        + draw(words) + draw(st.sampled_from(["路", "街", "巷", "村"]))
    )  # fmt: skip
    number = str(draw(st.integers(1, 9999))) + "号"
    rest = draw(st.sampled_from(["", "3幢502室", "2单元1101室", "东侧"]))
    return street + number + rest, street


@given(id_numbers())
def test_data_3_id_number_keeps_first_4_and_last_2(value: str) -> None:
    masked = mask("id_number", value)
    assert masked is not None and len(masked) == len(value) == 18
    assert masked[:4] == value[:4] and masked[-2:] == value[-2:]
    assert set(masked[4:-2]) == {"*"}  # the birth date never shows


@given(phones)
def test_data_3_phone_keeps_3_and_4(value: str) -> None:
    assert mask("phone", value) == value[:3] + "****" + value[-4:]


@given(bank_accounts)
def test_data_3_bank_account_keeps_last_4(value: str) -> None:
    masked = mask("bank_account", value)
    assert masked == "*" * (len(value) - 4) + value[-4:]


@given(addresses())
def test_data_3_address_keeps_street_and_hides_the_house_number(case: tuple[str, str]) -> None:
    value, street = case
    masked = mask("address", value)
    assert masked == street + "***"
    assert not any(ch.isdigit() for ch in masked)


@given(id_numbers(), phones, addresses(), bank_accounts)
def test_data_3_audit_snapshot_masks_every_declared_column(
    id_number: str, phone: str, address: tuple[str, str], bank: str
) -> None:
    customer = Customer(id_number=id_number, mobile=phone, address=address[0], name="客户")
    account = Account(bank_account=bank, bank_name="中国银行")
    snap = {**snapshot(customer), **snapshot(account)}
    flat = repr(snap)
    for secret in (id_number, phone, address[0], bank):
        assert secret not in flat
    assert not any(key.endswith("_bidx") for key in snap)
    assert snap["id_number"] == mask("id_number", id_number)
    assert snap["bank_account"] == mask("bank_account", bank)
