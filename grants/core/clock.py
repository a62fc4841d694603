"""The one clock: the current moment (stored in UTC) and the current date in Quebec.

Timestamps are stored in UTC (`now()`), but every "today" of the product — the day a payment is
made, an installment due "at signature", the current fiscal year — is the date in Quebec
(`today()`): at 21 h in Montreal in winter it is already tomorrow in UTC. Nothing else in `grants`
or `workers` asks the system for the time. Tests pin the moment with `frozen()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from config import TIME_ZONE as TIME_ZONE_NAME
from grants.fiscal import FiscalYear

TIME_ZONE = ZoneInfo(TIME_ZONE_NAME)
"""Quebec's time zone (America/Montreal unless the TIME_ZONE setting says otherwise)."""

_frozen: ContextVar[datetime | None] = ContextVar("grants_clock_frozen", default=None)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC (what every timestamp column stores)."""
    return _frozen.get() or datetime.now(UTC)


def local_now() -> datetime:
    """The current moment on a Quebec clock."""
    return now().astimezone(TIME_ZONE)


def today(at: datetime | None = None) -> date:
    """The date in Quebec now, or at the moment `at` (an aware timestamp, e.g. a stored one)."""
    moment = now() if at is None else at
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone: the date in Quebec is unknown")
    return moment.astimezone(TIME_ZONE).date()


def current_fiscal_year() -> FiscalYear:
    """The fiscal year of today's date in Quebec."""
    return FiscalYear.of(today())


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Stop the clock at `moment` (an aware datetime) inside the block, for this thread of work
    (a test and the requests it makes through the test client)."""
    if moment.tzinfo is None:
        raise ValueError("freeze the clock at an aware datetime")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _frozen.reset(token)
