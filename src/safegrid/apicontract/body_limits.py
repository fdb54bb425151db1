"""Request-body size limits (issue 12 defect 5, ADR 0023), enforced by FastAPI's own body
limit (Starlette's ``RequestBodyLimitMiddleware``) before any route runs — so before
authentication and before the body is parsed: a ``Content-Length`` above the limit is
refused without reading a byte, and a body sent without one (chunked) is counted as it
streams in and refused the moment it passes the limit.

The whole app gets :data:`DEFAULT_BODY_BYTES`; only the routes declared here as uploads get
more, each by ``max_body_size=`` on its decorator. Their files are streamed to a spooled
temporary file by the multipart parser, not held in memory."""

from __future__ import annotations

from typing import Final

MIB: Final = 1024 * 1024
# Every JSON body and console form of the platform is a few kilobytes; 1 MiB leaves room
# for the largest (a bill run's account list, a webhook subscription) a hundred times over.
DEFAULT_BODY_BYTES: Final = 1 * MIB
# Multipart framing (boundaries, part headers, the other form fields) around an upload.
_FRAMING: Final = 1 * MIB


def upload_limit(file_bytes: int) -> int:
    """The body limit of a route taking one file of at most ``file_bytes``."""
    return file_bytes + _FRAMING


# Scanned deposit slips: the ceiling of the ``slip_max_bytes`` setting (default 10 MiB);
# the service refuses a slip above the configured size with a 422 naming ``slip``.
SLIP_BODY_BYTES: Final = upload_limit(32 * MIB)


def describe_limit(limit: int | None) -> str:
    """``请求体过大（上限 1 MB）/ the request body is larger than 1 MB``."""
    if limit is None:
        return "请求体过大 / the request body is too large"
    size = f"{limit / MIB:.0f} MB" if limit >= MIB else f"{limit // 1024} KB"
    return f"请求体过大（上限 {size}）/ the request body is larger than {size}"
