"""Export watermarks (DATA-5): a visible line naming operator, time and request, and an
embedded token — canonical JSON signed with HMAC-SM3 under a key derived from the
platform secret — that ``safegrid export trace`` reads back and verifies.

CSV carries the token as a trailing comment line; Excel as a custom document property.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import SafeGridError

CSV_TRAILER = "# safegrid-watermark: "
XLSX_PROPERTY = "safegrid_watermark"


class WatermarkError(SafeGridError):
    status_code = 422


def watermark_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SM3(), length=32, salt=b"safegrid export watermark v1", info=b"export"
    ).derive(secret.encode())


def _mac(key: bytes, body: bytes) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(body)
    return mac.finalize().hex()


def sign(key: bytes, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _mac(key, body)


def verify(key: bytes, token: str) -> dict[str, Any]:
    try:
        encoded, signature = token.strip().rsplit(".", 1)
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise WatermarkError("水印格式错误 / the watermark is malformed") from None
    if not std_hmac.compare_digest(_mac(key, body), signature):
        raise WatermarkError(
            "水印签名无效（伪造或被篡改）/ the watermark signature is invalid: forged or altered"
        )
    payload: dict[str, Any] = json.loads(body)
    return payload


def visible_text(payload: dict[str, Any]) -> str:
    at = datetime.fromisoformat(str(payload["at"])).astimezone(BUSINESS_TZ)
    request = payload.get("request_id") or "无/none"
    return (
        f"导出人 Operator: {payload['operator']} (ID {payload['operator_id']}) | "
        f"时间 Time: {at:%Y-%m-%d %H:%M:%S} | 申请 Request: {request} | "
        f"导出编号 Export: {payload['export_id']}"
    )


def read_token(content: bytes) -> str:
    """The embedded token of an exported file, CSV or Excel."""
    if content[:4] == b"PK\x03\x04":
        return _xlsx_token(content)
    text = content.decode("utf-8-sig", errors="replace")
    for line in reversed(text.splitlines()):
        if line.strip():
            if line.startswith(CSV_TRAILER):
                return line[len(CSV_TRAILER) :].strip()
            break
    raise WatermarkError("文件中没有水印 / no watermark found in the file")


def _xlsx_token(content: bytes) -> str:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise WatermarkError("不是有效的 Excel 文件 / not a readable Excel file") from None
    for prop in wb.custom_doc_props.props:
        if prop.name == XLSX_PROPERTY and prop.value:
            return str(prop.value)
    raise WatermarkError("文件中没有水印 / no watermark found in the file")
