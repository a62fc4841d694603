"""The database handle, the declarative base and the column types every capability shares."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, Numeric, Table, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from grants.core import clock
from grants.core.money import round_cent
from grants.core.paging import page_number
from grants.fiscal import FiscalYear

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLAlchemy(SQLAlchemy):
    def paginate(self, select: Any, *, page: int | None = None, **options: Any) -> Any:  # type: ignore[override]
        """Flask-SQLAlchemy's pagination with the `?page=` number kept between 1 and MAX_PAGE: a
        huge number would otherwise reach the database as an OFFSET it refuses."""
        if page is None and has_request_context():
            page = page_number()
        return super().paginate(select, page=page, **options)


db = _SQLAlchemy(model_class=Base)

Money = Numeric(14, 2, asdecimal=True)
"""Every amount of money: NUMERIC(14, 2), read back as Decimal."""


def utcnow() -> datetime:
    """The current moment in UTC (grants.core.clock, so tests can pin it)."""
    return clock.now()


def identity_of(instance: Any) -> Any:
    """The primary key of a loaded object without touching the database: after a failed flush
    (a concurrent edit) reading `instance.id` would try to reload it and fail again."""
    identity = inspect(instance).identity
    return identity[0] if identity else None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use grants.core.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class FiscalYearType(TypeDecorator[FiscalYear]):
    """A fiscal year stored as the calendar year it starts in (2026 for 2026-2027)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: FiscalYear | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, FiscalYear):
            return value.start_year
        return FiscalYear(int(value)).start_year

    def process_result_value(self, value: int | None, dialect: Any) -> FiscalYear | None:
        return None if value is None else FiscalYear(int(value))


def to_money(value: Any) -> Decimal:
    """Read a user or file amount as a Decimal rounded half-up to the cent (`core.money.round_cent`)."""
    return round_cent(value)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite (the embedded default) gets foreign keys, WAL and a busy timeout for web + worker."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Session, "do_orm_execute")
def _sqlite_for_update(state: ORMExecuteState) -> None:
    """SQLite has no row locks and ignores FOR UPDATE: there, a locking read first takes the
    database's write lock (BEGIN IMMEDIATE), so the second of two simultaneous clicks waits for
    the first to commit and then reads what it did, as PostgreSQL's row lock makes it do."""
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is None:
        return
    connection = state.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def link_table(name: str, owner: tuple[str, str], other: tuple[str, str]) -> Table:
    """A many-to-many table: (column, "table.key") of the owner, whose deletion removes its links,
    and of the other side; both columns make the primary key."""
    return Table(
        name,
        db.metadata,
        Column(owner[0], ForeignKey(owner[1], ondelete="CASCADE"), primary_key=True),
        Column(other[0], ForeignKey(other[1]), primary_key=True),
    )


def owner_key(table: str, **options: Any) -> Any:
    """The column naming the row that owns this one (`<table>.id`): deleting the owner deletes it.
    `options` go to the column (`index=True`, `primary_key=True`, `unique=True`)."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), **options)


def owned_rows(back_populates: str, order_by: str | None = None) -> Any:
    """The rows an object owns (their `owner_key` names it): saved and deleted with it, each row
    removed from the list deleted, listed in `order_by`."""
    return relationship(back_populates=back_populates, cascade="all, delete-orphan", order_by=order_by)
