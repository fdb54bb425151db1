"""Sensitive columns, encrypted by the mapping layer (DATA-1, DATA-2).

A column declares its class once, ``info={"sensitive": <kind>}`` (or with the helper
:func:`sensitive`); a secret that must be read back (a TOTP seed) declares
``info={"secret": True, "encrypted": True}``. When such a column joins its table, its
type becomes :class:`EncryptedString`: the ORM and Core read and write plaintext while the
database holds ``sm4gcm$<version>$…`` with the field name as associated data. A column
declared ``searchable`` gets a companion ``<name>_bidx`` column (keyed HMAC-SM3 blind
index, indexed; uniquely when declared ``unique``) that the ORM keeps up to date at every
flush and in UPDATE statements run through a session; Core bulk inserts fill it with
:func:`fill_blind_indexes` (or :func:`seal_bulk`, which also encrypts the rows in one
batch per column); queries match through :func:`matches`.

Values without the ``sm4gcm$`` prefix are rows written before encryption existed (a
database upgraded from revision 0002): they read back as they are until
``safegrid keys reencrypt`` encrypts them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any, cast

from sqlalchemy import Column, ColumnElement, Index, String, Table, bindparam, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, mapped_column
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeDecorator

from safegrid.security import keyring
from safegrid.security.sm4 import NONCE_BYTES, PREFIX, TAG_BYTES, CryptoError

log = logging.getLogger(__name__)

SEARCHABLE_SUFFIX = "_bidx"
BIDX_CHARS = 32
_MARK = PREFIX + "$"


def stored_length(chars: int) -> int:
    """Room for ``chars`` characters of plaintext once sealed: UTF-8 at up to 4 bytes a
    character, nonce and tag, base64, and the ``sm4gcm$<version>$`` head."""
    sealed = NONCE_BYTES + 4 * chars + TAG_BYTES
    return 4 * math.ceil(sealed / 3) + len(_MARK) + 8


# Comparing ciphertexts is meaningless (every value has a fresh nonce): such a query would
# silently find nothing, so it fails loudly and names the right tool instead.
_REFUSED = {
    operators.eq,
    operators.ne,
    operators.lt,
    operators.le,
    operators.gt,
    operators.ge,
    operators.like_op,
    operators.ilike_op,
    operators.startswith_op,
    operators.endswith_op,
    operators.contains_op,
    operators.in_op,
    operators.between_op,
}


class EncryptedString(TypeDecorator[str]):
    """SM4-GCM under the key ring's active data key; AAD = ``table.column``."""

    impl = String
    cache_ok = True

    class Comparator(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            if op in _REFUSED and not (
                op in (operators.eq, operators.ne) and _null_or_itself(self.expr, other[0])
            ):
                raise TypeError(
                    f"{self.expr} is encrypted: compare through its blind index "
                    "(safegrid.security.fields.matches), never the ciphertext"
                )
            return super().operate(op, *other, **kwargs)

    comparator_factory = Comparator

    def __init__(self, length: int, field: str = "") -> None:
        super().__init__(length)
        self.length = length
        self.field = field

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if type(value) is Sealed:
            return str(value)  # already encrypted for this column by seal_bulk
        if not isinstance(value, str):
            raise TypeError(f"{self.field} holds text, not {type(value).__name__}")
        return keyring.current().encrypt(value, self.field)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        stored = str(value)
        if not stored.startswith(_MARK):
            return stored  # a legacy plaintext row awaiting `safegrid keys reencrypt`
        try:
            return keyring.current().decrypt(stored, self.field)
        except CryptoError as exc:
            # Logged with the field only: never the value, never key material.
            log.error("cannot decrypt %s: %s", self.field, exc)
            raise

    def copy(self, **kw: Any) -> EncryptedString:
        return EncryptedString(self.length, self.field)


def _null_or_itself(expr: Any, other: Any) -> bool:
    # ``IS NULL`` says nothing about the plaintext; and the ORM looks columns up in dicts
    # keyed by column (an ORM UPDATE's ``.values()``), where ``==`` meets the same column.
    return other is None or (isinstance(other, Column) and expr.shares_lineage(other))


def is_encrypted(column: Column[Any]) -> bool:
    return bool(column.info.get("sensitive") or column.info.get("encrypted"))


def is_legacy_plaintext(stored: str | None) -> bool:
    return stored is not None and not stored.startswith(_MARK)


@event.listens_for(Column, "after_parent_attach")
def _encrypt_declared(column: Column[Any], table: Any) -> None:
    if not isinstance(table, Table):
        return
    if not is_encrypted(column) or isinstance(column.type, EncryptedString):
        if isinstance(column.type, EncryptedString):
            column.type.field = f"{table.name}.{column.name}"
        return
    length = getattr(column.type, "length", None) or 255
    column.type = EncryptedString(stored_length(length), f"{table.name}.{column.name}")
    if column.info.get("searchable"):
        name = column.name + SEARCHABLE_SUFFIX
        if name not in table.c:
            companion = Column(
                name, String(BIDX_CHARS), nullable=True, info={"bidx_of": column.name}
            )
            table.append_column(companion)
            if column.info.get("unique"):
                Index(f"uq_{table.name}_{name}", companion, unique=True)
            else:
                Index(f"ix_{table.name}_{name}", companion)


def sensitive(
    kind: str, length: int, *, searchable: bool = False, unique: bool = False, **kw: Any
) -> Any:
    """A sensitive column, declared once: ``id_number = sensitive("id_number", 18, ...)``.

    ``unique`` (searchable columns only) makes the blind index a unique index: the database
    refuses a second row with the same normalised value (rows without one may repeat)."""
    if unique and not searchable:
        raise TypeError("only a searchable column can be unique (through its blind index)")
    info: dict[str, Any] = {"sensitive": kind}
    if searchable:
        info["searchable"] = True
    if unique:
        info["unique"] = True
    info.update(kw.pop("info", {}))
    return mapped_column(String(length), info=info, **kw)


def companion_of(column: Any) -> Column[Any]:
    """The blind-index column of a searchable column (ORM attribute or Core column)."""
    col: Column[Any] = column.property.columns[0] if hasattr(column, "property") else column
    table = col.table
    if not isinstance(table, Table) or not col.info.get("searchable"):
        raise TypeError(f"{col} is not a searchable sensitive column")
    return table.c[col.name + SEARCHABLE_SUFFIX]


def index_value(column: Column[Any], value: str) -> str:
    assert isinstance(column.type, EncryptedString)
    return keyring.current().blind_index(column.type.field, value)


def matches(column: Any, value: str) -> ColumnElement[bool]:
    """``column = value`` for an encrypted searchable column, through its blind index."""
    col: Column[Any] = column.property.columns[0] if hasattr(column, "property") else column
    return companion_of(col) == index_value(col, value)


def searchable_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if c.info.get("searchable") and is_encrypted(c)]


def fill_blind_indexes(table: Any, rows: Iterable[MutableMapping[str, Any]]) -> None:
    """Core/ORM bulk inserts bypass attribute events: compute the companions here."""
    columns = searchable_columns(table)
    for row in rows:
        for col in columns:
            value = row.get(col.name)
            row[col.name + SEARCHABLE_SUFFIX] = None if value is None else index_value(col, value)


class Sealed(str):
    """A stored form made by :func:`seal_bulk`: bound as is, never encrypted twice. Only
    that function builds one, so no caller-supplied string can skip encryption."""

    __slots__ = ()


def seal_bulk(table: Any, rows: Sequence[MutableMapping[str, Any]]) -> None:
    """Prepare rows of a Core/ORM bulk insert: fill the blind indexes, then encrypt each
    encrypted column of all rows in one ``encrypt_many`` call (one nonce draw and one key
    object per column, ADR 0014) instead of one value at a time in bind processing."""
    fill_blind_indexes(table, rows)
    ring = keyring.current()
    for col in (c for c in table.columns if is_encrypted(c)):
        assert isinstance(col.type, EncryptedString)
        todo = [
            row
            for row in rows
            if isinstance(row.get(col.name), str) and not isinstance(row[col.name], Sealed)
        ]
        if not todo:
            continue
        tokens = ring.encrypt_many([row[col.name] for row in todo], col.type.field)
        for row, token in zip(todo, tokens, strict=True):
            row[col.name] = Sealed(token)


@event.listens_for(Session, "before_flush")
def _maintain_companions(session: Session, _ctx: Any, _instances: Any) -> None:
    """Blind indexes follow their values on every ORM write (computed at flush, so building
    a model object needs no key ring)."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        table = state.mapper.local_table
        if not isinstance(table, Table):
            continue
        for col in searchable_columns(table):
            prop = state.mapper.get_property_by_column(col)
            if obj in session.dirty and not state.attrs[prop.key].history.has_changes():
                continue
            value = getattr(obj, prop.key)
            companion = state.mapper.get_property_by_column(table.c[col.name + SEARCHABLE_SUFFIX])
            setattr(obj, companion.key, None if value is None else index_value(col, value))


@event.listens_for(Session, "do_orm_execute")
def _companions_of_bulk_updates(state: ORMExecuteState) -> None:
    """An UPDATE run as a statement (``session.execute(update(...))``, with ``.values()`` or
    bulk parameters) bypasses the flush above: add the blind index of every searchable
    value it sets, so a companion never goes stale."""
    if not state.is_update:
        return
    stmt = state.statement
    table = getattr(stmt, "table", None)
    columns = searchable_columns(table) if isinstance(table, Table) else []
    if not columns:
        return
    mapper = state.bind_mapper
    # SET clauses by column key (``_values``: SQLAlchemy keeps no public accessor for them).
    values: dict[str, Any] = {
        (key if isinstance(key, str) else key.key): value
        for key, value in (getattr(stmt, "_values", None) or {}).items()
    }
    params = state.parameters
    if isinstance(params, list):
        rows = [dict(p) for p in params]
    else:
        rows = [dict(cast(Mapping[str, Any], params or {}))]
    added: dict[Column[Any], Any] = {}
    for col in columns:
        companion = col.table.c[col.name + SEARCHABLE_SUFFIX]
        key, companion_key = col.key, companion.key
        if mapper is not None:
            key = mapper.get_property_by_column(col).key
            companion_key = mapper.get_property_by_column(companion).key
        if companion.key in values or any(companion_key in row for row in rows):
            continue  # the caller computed it (e.g. seal_bulk)
        if col.key in values:
            value = values[col.key]
            if not isinstance(value, BindParameter):
                raise TypeError(
                    f"{col} is encrypted: assign it a value rather than a SQL expression, "
                    "so that its blind index can follow"
                )
            if not value.required:  # a literal given to .values()
                added[companion] = _index_or_none(col, value.value)
                continue
            # Bound per row of an executemany: a bound companion computed from each row.
            name = value.key + SEARCHABLE_SUFFIX
            added[companion] = bindparam(name, type_=String())
            for row in rows:
                row[name] = _index_or_none(col, row[value.key])
        elif any(key in row for row in rows):  # ORM bulk UPDATE by primary key
            for row in rows:
                if key in row:
                    row[companion_key] = _index_or_none(col, row[key])
    if added:
        state.statement = stmt.values(added)  # type: ignore[attr-defined]
    if params:
        state.parameters = rows if isinstance(params, list) else rows[0]


def _index_or_none(column: Column[Any], value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Sealed):
        raise TypeError(f"{column}: a sealed value carries its blind index; pass it along")
    return index_value(column, value)
