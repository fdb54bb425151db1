"""The OpenAPI document describes the answers the API really gives (issue 12 defect 8):
every operation documents its client errors as :class:`ApiError` — ``422`` and the ``4XX``
range — and an operation that documents its own 4xx body (the readings import's
``ImportReport``, the new-location ``401``) documents it as that body *or* ApiError, because
a request can also fail before the service is reached (a missing part, a wrong password)."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from pydantic import BaseModel

from safegrid.apicontract.error_model import ApiError, FieldError

_REF: Final = "#/components/schemas/{model}"
API_ERROR_REF: Final = {"$ref": "#/components/schemas/ApiError"}
# FastAPI's own 422 schema, which our answers never had.
_FASTAPI_422 = {"HTTPValidationError", "ValidationError"}
_METHODS: Final = {"get", "put", "post", "delete", "patch", "head", "options"}


def _component_schemas(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF)
    found = dict(schema.pop("$defs", {}))
    found[model.__name__] = schema
    return found


def _error_response(description: str, documented: dict[str, Any] | None) -> dict[str, Any]:
    schema: dict[str, Any] = API_ERROR_REF
    if documented is not None:
        own = documented.get("content", {}).get("application/json", {}).get("schema")
        if own and own.get("$ref", "").rsplit("/", 1)[-1] not in _FASTAPI_422:
            schema = {"anyOf": [own, API_ERROR_REF]}
        description = documented.get("description") or description
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrites ``document`` in place (and returns it)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    for model in (ApiError, FieldError):
        schemas.update(_component_schemas(model))
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in [c for c in responses if c.startswith("4") and c != "4XX"]:
                responses[code] = _error_response("client error", responses[code])
            responses["4XX"] = _error_response(
                "client error: not signed in, not allowed, not found, conflict, too large, "
                "locked, too many requests",
                None,
            )
    return document


def document_errors(app: FastAPI) -> None:
    """Makes ``app.openapi()`` return the rewritten document (built once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
