"""numbering counters, one archive per ID number, rate-limit buckets

Customer (K…) and account (A…) numbers come from one counter row per prefix, seeded here
from the numbers already stored. The ID number's blind index becomes unique; if the data
already holds one person twice, the upgrade stops and lists the customer numbers instead
of failing on the index. Rate-limit buckets make DATA-5's limit race-free.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:00:40.774328
"""
from __future__ import annotations

import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op
import safegrid.platform.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


SERIAL_DIGITS = 7  # K<unit id, 4+ digits><serial, 7 digits>
_NUMBER = re.compile(r"^[KA][0-9]{4,}$")
SHOWN = 50


class DuplicateArchivesError(RuntimeError):
    """The data already breaks one person, one archive: a person must fix it first."""


def _duplicate_archives(conn: sa.Connection) -> list[list[str]]:
    """Customer numbers that share an ID number, per person: through the blind index, and
    among rows still in plaintext (upgraded from 0002, index not yet filled)."""
    groups: dict[str, list[str]] = defaultdict(list)
    indexed = conn.execute(sa.text(
        "SELECT id_number_bidx, number FROM customers WHERE id_number_bidx IN ("
        " SELECT id_number_bidx FROM customers WHERE id_number_bidx IS NOT NULL"
        " GROUP BY id_number_bidx HAVING count(*) > 1) ORDER BY number"
    ))
    for key, number in indexed:
        groups[f"bidx:{key}"].append(number)
    legacy = conn.execute(sa.text(
        "SELECT upper(id_number), number FROM customers WHERE upper(id_number) IN ("
        " SELECT upper(id_number) FROM customers WHERE id_number_bidx IS NULL"
        " AND id_number IS NOT NULL AND id_number NOT LIKE 'sm4gcm$%'"
        " GROUP BY upper(id_number) HAVING count(*) > 1)"
        " AND id_number_bidx IS NULL ORDER BY number"
    ))
    for key, number in legacy:
        groups[f"plain:{key}"].append(number)
    return sorted(groups.values())


def _refuse_duplicates(conn: sa.Connection) -> None:
    groups = _duplicate_archives(conn)
    if not groups:
        return
    listed = "; ".join(", ".join(g) for g in groups[:SHOWN])
    more = f" (+{len(groups) - SHOWN} more)" if len(groups) > SHOWN else ""
    raise DuplicateArchivesError(
        f"迁移 0006 已停止：{len(groups)} 个身份证号各有多份客户档案，请先合并或更正后再升级 / "
        f"migration 0006 stopped: {len(groups)} ID numbers have more than one customer "
        f"archive; merge or correct them, then upgrade again. Customer numbers sharing one "
        f"ID number: {listed}{more}"
    )


def _seed_counters(conn: sa.Connection) -> None:
    """The last number issued per prefix, so the next one follows on (never MAX + 1 again)."""
    rows = []
    for table, letter in (("customers", "K"), ("accounts", "A")):
        found = conn.execute(sa.text(
            f"SELECT substr(number, 1, length(number) - {SERIAL_DIGITS}) AS prefix, "
            f"max(number) FROM {table} WHERE number LIKE '{letter}%' "
            f"AND length(number) > {SERIAL_DIGITS} GROUP BY 1"
        ))
        for prefix, last in found:
            serial = last[len(prefix):]
            if _NUMBER.match(prefix) and serial.isdigit():
                rows.append({"prefix": prefix, "last_value": int(serial)})
    if rows:
        counters = sa.table(
            "number_counters", sa.column("prefix", sa.String), sa.column("last_value", sa.BigInteger)
        )
        op.bulk_insert(counters, rows)


def upgrade() -> None:
    conn = op.get_bind()
    _refuse_duplicates(conn)
    op.create_table('number_counters',
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('last_value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_number_counters'))
    )
    op.create_table('rate_buckets',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('last_request_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'action', name=op.f('pk_rate_buckets'))
    )
    _seed_counters(conn)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_id_number_bidx'))
        batch_op.create_index('uq_customers_id_number_bidx', ['id_number_bidx'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('uq_customers_id_number_bidx')
        batch_op.create_index(batch_op.f('ix_customers_id_number_bidx'), ['id_number_bidx'], unique=False)

    op.drop_table('rate_buckets')
    op.drop_table('number_counters')
