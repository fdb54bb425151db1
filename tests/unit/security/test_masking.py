"""DATA-3: masking rules for display and audit snapshots."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from safegrid.security.masking import mask_address, mask_bank_account, mask_id_number, mask_phone


def test_data_3_id_number_first4_last2() -> None:
    assert mask_id_number("11010519491231002X") == "1101************2X"


@given(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_data_3_id_mask_never_reveals_middle(value: str) -> None:
    masked = mask_id_number(value)
    assert masked[:4] == value[:4]
    assert masked[-2:] == value[-2:]
    assert set(masked[4:-2]) == {"*"}
    assert len(masked) == len(value)


def test_data_3_phone_3_plus_4() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_data_3_bank_account_last4() -> None:
    assert mask_bank_account("6222021234567890123") == "***************0123"


def test_data_3_address_keeps_street_hides_house_number() -> None:
    assert (
        mask_address("浙江省杭州市富阳区富春街道江滨西路123号")
        == "浙江省杭州市富阳区富春街道江滨西路***"
    )


def test_data_3_address_without_road_keeps_full_street_name() -> None:
    assert (
        mask_address("浙江省杭州市富阳区银湖街道金家村5组12号")
        == "浙江省杭州市富阳区银湖街道金家村***"
    )
    assert (
        mask_address("浙江省宁波市象山县丹东街道天安路八号")
        == "浙江省宁波市象山县丹东街道天安路***"
    )


@given(st.text(alphabet="浙江省杭州市路街道号0123456789", min_size=1, max_size=30))
def test_data_3_address_mask_never_shows_a_house_number(value: str) -> None:
    masked = mask_address(value)
    assert masked.endswith("***")
    assert not any(ch.isdigit() for ch in masked)
