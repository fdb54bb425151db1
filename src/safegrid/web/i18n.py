"""Console translations (gettext catalogs read with Babel) and locale resolution.

Templates and views carry English msgids; ``locales/<lang>/LC_MESSAGES/messages.po`` holds
the translations. The .po files are parsed once at import, so there is no compile step and
no binary .mo file to forget in a release.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

from babel.messages.pofile import read_po
from starlette.requests import Request

from safegrid.bootstrap import get_platform

Locale = Literal["zh", "en"]
LOCALES: Final[tuple[Locale, ...]] = ("zh", "en")
LANG_COOKIE: Final = "sg_lang"
LOCALES_DIR: Final = Path(__file__).resolve().parent / "locales"
# The language the msgids are written in needs no catalog.
SOURCE_LOCALE: Final[Locale] = "en"


def _load(locale: str) -> dict[str, str]:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    out: dict[str, str] = {}
    for message in catalog:
        # Fuzzy entries are unreviewed guesses; showing the English msgid is safer.
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
            out[message.id] = str(message.string)
    return out


CATALOGS: Final[dict[str, dict[str, str]]] = {
    loc: _load(loc) for loc in LOCALES if loc != SOURCE_LOCALE
}


def N_(msgid: str) -> str:
    """Marks an English msgid for extraction where it is defined; translated where shown."""
    return msgid


def as_locale(value: str | None) -> Locale | None:
    if value == "zh":
        return "zh"
    if value == "en":
        return "en"
    return None


def translate(locale: str, msgid: str, **params: object) -> str:
    """``_()``: the translation of ``msgid`` (the msgid itself when missing), then
    ``%(name)s`` parameters, so translators can reorder them."""
    text = CATALOGS.get(locale, {}).get(msgid, msgid)
    return text % params if params else text


def request_locale(request: Request) -> Locale:
    """Session preference (set by the guard) → ``sg_lang`` cookie → configured default."""
    from_session = as_locale(getattr(request.state, "locale", None))
    if from_session is not None:
        return from_session
    from_cookie = as_locale(request.cookies.get(LANG_COOKIE))
    if from_cookie is not None:
        return from_cookie
    return get_platform().settings.default_locale


def localize_message(message: str, locale: str) -> str:
    """Service messages are bilingual ``"中文 / English"``; a reader gets his language's
    half only (issue 13: no pairs on screen). A message without the pair is shown as is."""
    found = _PAIR.search(message)
    if found is None:
        return message
    zh, en = message[: found.start()], message[found.end() :]
    return en if locale == "en" else zh


# The " / " between the halves; also written "）/ " or "。/ " after Chinese punctuation or a
# Chinese character (no space before the slash). A slash inside one language ("借方/贷方",
# "and/or") has no space after it and is not a separator.
_PAIR: Final = re.compile(r" / |(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])/ ")
