"""One error model for the whole API, documented as answered (issue 12 defect 8, OPS-8):
the OpenAPI document describes every client error as ApiError (an operation's own 4xx body,
such as the readings import's ImportReport or the new-location 401, as that body or
ApiError), the real answers validate against what is documented, ``delay`` in departures
fits its ``duration`` format, and messages come in the caller's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from safegrid.apicontract.error_model import ApiError
from safegrid.bootstrap import Platform
from safegrid.governance.schemas import ComplianceOut
from safegrid.readings.schemas import ImportReport
from safegrid.security.policy import Post
from safegrid.security.schemas import SecondVerificationOut
from tests.fixtures.apps import app_for
from tests.fixtures.world import World

# The models the document may name for an error body.
MODELS: dict[str, type[BaseModel]] = {
    "ApiError": ApiError,
    "ImportReport": ImportReport,
    "SecondVerificationOut": SecondVerificationOut,
}
# RFC 3339 appendix A duration (what JSON Schema's "duration" format checks): no fractions.
RFC3339_DURATION = re.compile(
    r"^P(?!$)(\d+W|(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?)$"
)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _documented(doc: dict[str, Any], method: str, path: str, status: int) -> list[str]:
    """The model names the document gives for this answer (its own code, else 4XX)."""
    responses = doc["paths"][path][method.lower()]["responses"]
    found = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert found is not None, f"{method} {path} does not document {status}"
    schema = found["content"]["application/json"]["schema"]
    refs = [s["$ref"] for s in schema.get("anyOf", [schema])]
    return [ref.rsplit("/", 1)[-1] for ref in refs]


def _conforms(doc: dict[str, Any], method: str, path: str, resp: Any) -> None:
    names = _documented(doc, method, path, resp.status_code)
    body = resp.json()
    for name in names:
        try:
            TypeAdapter(MODELS[name]).validate_python(body)
            return
        except ValidationError:
            continue
    raise AssertionError(f"{method} {path} {resp.status_code}: {body} is none of {names}")


def test_ops_8_document_names_one_error_model(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "ApiError" in schemas and "HTTPValidationError" not in schemas
    operations = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            operations += 1
            responses = operation["responses"]
            assert "4XX" in responses, f"{method} {path}"
            for code in responses:
                if code.startswith("4"):
                    status = 499 if code == "4XX" else int(code)  # 499: only the range
                    assert "ApiError" in _documented(doc, method, path, status), code
    assert operations > 100


def test_ops_8_real_error_answers_are_what_the_document_says(
    world: World, client: TestClient
) -> None:
    doc = client.get("/openapi.json").json()
    agent = world.staff(Post.HALL_AGENT, "countyA")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    agent_auth = {"Authorization": f"Bearer {world.token(agent)}"}
    head_auth = {"Authorization": f"Bearer {world.token(head)}"}
    customer = {
        "kind": "resident",
        "name": "李四",
        "org_unit_id": world.units["stationA"],
        "address": "浙江省杭州市富阳区江滨西路1号",
        "id_number": "330183199001011231",  # wrong check digit
    }
    answers = [
        # request validation (422, one entry per field)
        (
            "POST",
            "/api/customers",
            client.post("/api/customers", json=customer, headers=agent_auth),
        ),
        # the bad-credential 401 of the token endpoint (documented with challenge_id)
        (
            "POST",
            "/api/auth/token",
            client.post(
                "/api/auth/token",
                json={"username": agent.username, "password": "Wrong@12345", "otp": "000000"},
            ),
        ),
        # not signed in, not allowed, not found
        ("GET", "/api/customers", client.get("/api/customers")),
        (
            "POST",
            "/api/reading-periods/close",
            client.post(
                "/api/reading-periods/close", json={"period": "2026-01"}, headers=agent_auth
            ),
        ),
        (
            "GET",
            "/api/customers/{customer_id}",
            client.get("/api/customers/999999", headers=agent_auth),
        ),
        # the readings import: a file refused by name (service 422) and a missing part
        (
            "POST",
            "/api/readings/import",
            client.post("/api/readings/import", files={"file": ("r.txt", b"x")}, headers=head_auth),
        ),
        ("POST", "/api/readings/import", client.post("/api/readings/import", headers=head_auth)),
        # a service 422 naming its field
        (
            "POST",
            "/api/billing/runs",
            client.post("/api/billing/runs", json={"period": "2026-10"}, headers=head_auth),
        ),
    ]
    statuses = [resp.status_code for _, _, resp in answers]
    assert statuses == [422, 401, 401, 403, 404, 422, 422, statuses[-1]], statuses
    assert 400 <= statuses[-1] < 500
    for method, path, resp in answers:
        _conforms(doc, method, path, resp)
    assert answers[0][2].json()["field"] == "id_number"
    assert answers[6][2].json()["field"] == "file"


def test_ops_8_departure_delay_fits_the_documented_duration_format() -> None:
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    row = {
        "notice_id": 1,
        "account_id": 2,
        "username": "leaver",
        "real_name": "离职",
        "org_unit_id": 3,
        "reason": "调离",
        "received_at": now,
        "effective_at": now,
        "frozen_at": now + timedelta(seconds=3, microseconds=512_000),
        "sessions_revoked": 1,
        "delay": timedelta(seconds=3, microseconds=512_000),
        "within_limit": True,
        "late": False,
    }
    delay = ComplianceOut.model_validate(row).model_dump(mode="json")["delay"]
    assert RFC3339_DURATION.match(delay), delay
    assert (
        ComplianceOut.model_json_schema()["properties"]["delay"]["anyOf"][0]["format"] == "duration"
    )


def test_ops_8_messages_in_the_callers_language(world: World, client: TestClient) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA")
    auth = {"Authorization": f"Bearer {world.token(agent)}"}
    en = client.get("/api/customers/999999", headers={**auth, "Accept-Language": "en-GB,en"})
    zh = client.get("/api/customers/999999", headers={**auth, "Accept-Language": "zh-CN,zh"})
    assert en.status_code == zh.status_code == 404
    assert not re.search(r"[\u4e00-\u9fff]", en.json()["detail"]), en.json()
    assert re.search(r"[\u4e00-\u9fff]", zh.json()["detail"]), zh.json()
    # Framework answers and validation messages too, not the framework's English.
    missing = client.post("/api/customers", json={}, headers={**auth, "Accept-Language": "zh"})
    assert missing.status_code == 422
    assert all(re.search(r"[\u4e00-\u9fff]", e["msg"]) for e in missing.json()["detail"])
    nowhere = client.get("/api/nowhere", headers={"Accept-Language": "zh"})
    assert re.search(r"[\u4e00-\u9fff]", nowhere.json()["detail"])
    huge = client.get(f"/api/customers/{2**40}", headers={**auth, "Accept-Language": "en"})
    assert huge.status_code == 422
    assert not re.search(r"[\u4e00-\u9fff]", huge.json()["detail"][0]["msg"]), huge.json()
