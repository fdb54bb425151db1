"""Documents of an application: PDF, JPEG or PNG recognised by their content (magic bytes,
read by the maintained ``filetype`` package), never by the name or the browser's content
type; at most ``document_max_bytes``; kept byte for byte with their SHA-256 like field
photos (``fieldwork.photos``). A file that is not the type its name or content type claims
is refused with its name, and nothing of the request is stored."""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Final

import filetype

from safegrid.applications.kinds import DOCUMENT_LABELS, DocumentType
from safegrid.applications.settings import MAX_DOCUMENTS, application_settings
from safegrid.platform.errors import ValidationProblem

FIELD: Final = "documents"
# Accepted media types and the names a file of each may carry.
ACCEPTED: Final[dict[str, tuple[str, ...]]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
_SHORT: Final[dict[str, str]] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}


@dataclasses.dataclass(frozen=True)
class Upload:
    """One file as received: its document type, the name and content type it claims."""

    doc_type: DocumentType
    filename: str
    content: bytes
    content_type: str | None = None


@dataclasses.dataclass(frozen=True)
class CheckedDocument:
    doc_type: DocumentType
    filename: str
    media_type: str
    sha256: str
    content: bytes


def _clean_name(filename: str) -> str:
    # Only the last path part, printable, bounded: a name is shown to staff, never a path.
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or "document"


def _claimed(name: str, content_type: str | None) -> str | None:
    """The media type the name's extension (or else the declared type) claims."""
    suffix = PurePosixPath(name).suffix.lower()
    for media_type, suffixes in ACCEPTED.items():
        if suffix in suffixes:
            return media_type
    declared = (content_type or "").split(";")[0].strip().lower()
    return declared if declared in ACCEPTED else None


def check(upload: Upload) -> CheckedDocument:
    name = _clean_name(upload.filename)
    limit = application_settings().document_max_bytes
    if not upload.content:
        raise ValidationProblem(f"文件 {name} 为空 / the file {name} is empty", field=FIELD)
    if len(upload.content) > limit:
        mb = f"{limit / (1024 * 1024):.0f} MB"
        raise ValidationProblem(
            f"文件 {name} 超过 {mb} / the file {name} is larger than {mb}", field=FIELD
        )
    found = filetype.guess_mime(upload.content)
    if found not in ACCEPTED:
        raise ValidationProblem(
            f"文件 {name} 不是 PDF、JPEG 或 PNG（按内容识别）/ the file {name} is not a PDF, "
            "JPEG or PNG by its content",
            field=FIELD,
        )
    claimed = _claimed(name, upload.content_type)
    if claimed is not None and claimed != found:
        raise ValidationProblem(
            f"文件 {name} 声称是 {_SHORT[claimed]}，内容却是 {_SHORT[found]} / the file {name} "
            f"claims to be {_SHORT[claimed]} but its content is {_SHORT[found]}",
            field=FIELD,
        )
    return CheckedDocument(
        upload.doc_type, name, found, hashlib.sha256(upload.content).hexdigest(), upload.content
    )


def check_all(uploads: Sequence[Upload]) -> list[CheckedDocument]:
    """Every file checked before anything is stored: one bad file refuses the request."""
    if len(uploads) > MAX_DOCUMENTS:
        raise ValidationProblem(
            f"一次最多上传 {MAX_DOCUMENTS} 个文件 / at most {MAX_DOCUMENTS} files at a time",
            field=FIELD,
        )
    checked = [check(u) for u in uploads]
    digests = [c.sha256 for c in checked]
    if len(set(digests)) != len(digests):
        raise ValidationProblem(
            "同一文件上传了两次 / the same file was uploaded twice", field=FIELD
        )
    return checked


def missing_types(required: Sequence[DocumentType], present: Sequence[str]) -> list[DocumentType]:
    have = set(present)
    return [t for t in required if t.value not in have]


def describe_missing(types: Sequence[DocumentType]) -> str:
    zh = "、".join(DOCUMENT_LABELS[t].split(" / ")[0] for t in types)
    en = ", ".join(DOCUMENT_LABELS[t].split(" / ")[1].lower() for t in types)
    return f"缺少材料：{zh} / documents missing: {en}"
