"""The API documentation works on an intranet: Swagger UI comes from our own server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Request, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server


@pytest.mark.browser
def test_api_docs_load_without_internet(server: Server, page: Page) -> None:
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    page.on("request", remember)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info")).to_contain_text("SafeGrid")
    expect(page.locator(".opblock").first).to_be_visible()
    # data: URIs (Swagger's inline icons) are not network traffic; anything else must be ours.
    outside = [
        url
        for url in requested
        if url.startswith(("http:", "https:", "ws:", "wss:"))
        and not url.startswith(server.base_url)
    ]
    assert outside == []
