"""OPS-8 / ADR 0022: every POST form of every template carries the CSRF token, inserted at
compile time, and every page gives htmx the header."""

from __future__ import annotations

import re

from safegrid.web.csrf import FIELD, CsrfFormExtension
from safegrid.web.templating import TEMPLATES_DIR, templates

_FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE | re.DOTALL)


def test_ops_8_every_post_form_gets_the_hidden_token() -> None:
    ext = CsrfFormExtension(templates.env)
    posts = 0
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        out = ext.preprocess(source, path.name)
        for tag in _FORM_TAG.finditer(out):
            if "post" not in tag.group(0).lower():
                continue
            posts += 1
            after = out[tag.end() : tag.end() + 200]
            assert after.startswith(f'<input type="hidden" name="{FIELD}"'), (
                f"{path.relative_to(TEMPLATES_DIR)}: {tag.group(0)[:80]} has no token"
            )
    assert posts >= 60


def test_ops_8_rendered_form_carries_the_token() -> None:
    html = templates.env.from_string(
        '<form class="x"\n method="post" action="/a"><button>go</button></form>'
    ).render(csrf_token="abc")
    assert '<input type="hidden" name="csrf_token" value="abc">' in html


def test_ops_8_base_page_gives_htmx_the_header() -> None:
    base = (TEMPLATES_DIR / "base.html").read_text(encoding="utf-8")
    assert 'hx-headers=\'{"X-CSRF-Token"' in base
