"""An integrity error that escapes a request is the user's conflict: 409 with a message
in the user's language naming what collided, never a 500 and never the SQL (issue 11)."""

from __future__ import annotations

import pytest
import typer
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.cli_support import reported
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.security.guards import public
from tests.fixtures.world import World

LEAKS = ("INSERT", "UNIQUE constraint", "duplicate key", "violates", "sqlite3", "psycopg")


def _app_with_writes(platform: Platform) -> FastAPI:
    """The app plus two routes that break a constraint the way a lost race would."""
    app = create_app(platform)

    def duplicate_unit_code() -> None:
        with platform.engine.begin() as conn:
            conn.execute(
                insert(OrgUnit).values(
                    code="prov", name="重复", name_en="dup", kind=UnitKind.PROVINCE, path="/x/"
                )
            )

    def missing_parent() -> None:
        with platform.engine.begin() as conn:
            conn.execute(
                insert(OrgUnit).values(
                    code="orphan",
                    name="孤儿",
                    name_en="orphan",
                    kind=UnitKind.CITY,
                    parent_id=999_999,
                    path="/999999/1/",
                )
            )

    for path, endpoint in (("duplicate", duplicate_unit_code), ("orphan", missing_parent)):
        for prefix in ("/api/test-integrity", "/test-integrity"):
            app.add_api_route(
                f"{prefix}/{path}",
                endpoint,
                methods=["POST"],
                dependencies=[Depends(public("test route"))],
            )
    return app


def test_a_unique_violation_escaping_a_request_is_409_naming_the_field(world: World) -> None:
    client = TestClient(_app_with_writes(world.platform))
    resp = client.post("/api/test-integrity/duplicate")
    assert resp.status_code == 409
    detail = resp.json()["detail"]
    assert "org_units.code" in detail
    assert detail.startswith("与已有记录重复")  # the default language, Chinese (issue 13)
    assert not any(leak in resp.text for leak in LEAKS)
    english = client.post("/api/test-integrity/duplicate", headers={"Accept-Language": "en"})
    assert english.status_code == 409
    assert "duplicates an existing record (org_units.code)" in english.json()["detail"]
    assert not any(leak in english.text for leak in LEAKS)
    # The console gets the same answer as a page.
    page = client.post("/test-integrity/duplicate")
    assert page.status_code == 409
    assert "org_units.code" in page.text
    assert not any(leak in page.text for leak in LEAKS)


def test_a_foreign_key_violation_escaping_a_request_is_409_without_sql(world: World) -> None:
    client = TestClient(_app_with_writes(world.platform))
    resp = client.post("/api/test-integrity/orphan", headers={"Accept-Language": "en"})
    assert resp.status_code == 409
    assert "conflicts with stored data" in resp.json()["detail"]
    assert not any(leak in resp.text for leak in LEAKS)


def test_an_integrity_error_escaping_a_cli_command_is_a_clear_error(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        pytest.raises(typer.Exit) as stopped,
        reported(),
        world.platform.engine.begin() as conn,
    ):
        conn.execute(
            insert(OrgUnit).values(
                code="prov", name="重复", name_en="dup", kind=UnitKind.PROVINCE, path="/x/"
            )
        )
    assert stopped.value.exit_code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "conflict:" in said and "org_units.code" in said
    assert not any(leak in said for leak in LEAKS)
