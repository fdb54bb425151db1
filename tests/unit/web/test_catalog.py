"""Chinese first: every message the console can show has a Chinese translation."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from safegrid.web.i18n import CATALOGS, LOCALES_DIR


def test_every_console_message_is_translated_to_chinese() -> None:
    web = LOCALES_DIR.parent
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(web),
            [("templates/**.html", "jinja2"), ("**.py", "python")],
            options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        )
        if isinstance(message, str)
    }
    assert found, "extraction found no messages"
    missing = sorted(found - set(CATALOGS["zh"]))
    assert missing == [], f"untranslated: {missing[:10]}"
