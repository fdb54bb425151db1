"""One language per reader (issue 13): a service message "中文 / English" shows its reader's
half only, also when the Chinese half ends in full-width punctuation written right against
the slash ("（…）/ English"), which showed the whole pair before."""

from __future__ import annotations

import pytest

from safegrid.web.i18n import localize_message


@pytest.mark.parametrize(
    ("message", "zh", "en"),
    [
        ("天气禁止高风险作业 / weather ban", "天气禁止高风险作业", "weather ban"),
        ("历史读数不足（3 天）/ not enough history", "历史读数不足（3 天）", "not enough history"),
        ("水印签名无效。/ the watermark is invalid", "水印签名无效。", "the watermark is invalid"),
        ("借方/贷方分列", "借方/贷方分列", "借方/贷方分列"),  # a slash inside one language
        ("only one language", "only one language", "only one language"),
    ],
)
def test_a_reader_sees_only_his_half(message: str, zh: str, en: str) -> None:
    assert localize_message(message, "zh") == zh
    assert localize_message(message, "en") == en
