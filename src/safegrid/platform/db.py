"""Engine, declarative base and column types shared by every domain.

Nothing connects at import: engines are built by :func:`make_engine` from settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Table.info key of tables that record changes (the audit chain, the outbox) instead of
# holding state: the unit of work does not count writing them as a change to audit.
RECORDS_CHANGES = "safegrid_records_changes"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; refuses naive datetimes; returns aware UTC datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if ":memory:" not in url else None,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin").
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # PRAGMA foreign_keys is a no-op inside a transaction: switch it before BEGIN.
        # Only a caller that has verified every reference it writes, under the write
        # lock, asks for it off (the file import, ADR 0005); any other transaction on
        # the same DBAPI connection gets the checks back first.
        if options.get("sqlite_references_checked"):
            _foreign_keys(conn.connection.dbapi_connection, conn.connection.info, on=False)
        elif conn.connection.info.get(_FOREIGN_KEYS_OFF):
            _foreign_keys(conn.connection.dbapi_connection, conn.connection.info, on=True)
        # Writers take the write lock up front so a read-then-write transaction
        # cannot fail half-way with SQLITE_BUSY when another writer committed first.
        if options.get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        # However the transaction ended (commit, rollback, exception), the pool has
        # rolled back by now: a connection never goes back with its checks off.
        if dbapi_conn is not None and record.info.get(_FOREIGN_KEYS_OFF):
            try:
                _foreign_keys(dbapi_conn, record.info, on=True)
            except Exception as exc:
                # Checks that cannot be restored: close it; the pool opens a fresh one.
                record.invalidate(exc)


_FOREIGN_KEYS_OFF = "safegrid_foreign_keys_off"


def _foreign_keys(dbapi_conn: Any, info: dict[str, Any], *, on: bool) -> None:
    if dbapi_conn.in_transaction:  # would silently do nothing
        raise RuntimeError("PRAGMA foreign_keys cannot change inside a transaction")
    dbapi_conn.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        info.pop(_FOREIGN_KEYS_OFF, None)
    else:
        info[_FOREIGN_KEYS_OFF] = True


# Session.info key: the database is a hall's offline node (OPS-6, ADR 0035), whose counter
# numbers receipts from the hall's offline series.
OFFLINE_NODE: Final = "safegrid.offline_node"


def make_session_factory(engine: Engine, *, offline_node: bool = False) -> sessionmaker[Any]:
    return sessionmaker(
        bind=engine,
        expire_on_commit=False,
        autoflush=True,
        info={OFFLINE_NODE: True} if offline_node else None,
    )


def str_enum(enum_cls: type[Any], length: int = 32) -> SAEnum:
    """A portable enum column storing the members' values (not names) as VARCHAR + CHECK-free."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
