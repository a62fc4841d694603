"""The Quebec government's fiscal year (1 April to 31 March), written `2026-2027`.

A plain value type with no Flask and no database: every screen, report, export and rule that
groups money by year goes through it. A fiscal year is identified by the calendar year it
starts in (`FiscalYear(2026)` runs from 1 April 2026 to 31 March 2027).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import total_ordering

START_MONTH = 4  # April
_LABEL = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")


class Proration(StrEnum):
    """How a partial year's share of an annual amount is counted (a per-program setting)."""

    MONTHS = "months"  # whole months, a started month counts (the default in CONVENTIONS.md)
    DAYS = "days"


@total_ordering
@dataclass(frozen=True, slots=True)
class FiscalYear:
    """One fiscal year, 1 April of `start_year` to 31 March of `start_year + 1`."""

    start_year: int

    def __post_init__(self) -> None:
        if not isinstance(self.start_year, int) or not 1900 <= self.start_year <= 2999:
            raise ValueError(f"invalid fiscal year start: {self.start_year!r}")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def of(cls, day: date) -> FiscalYear:
        """The fiscal year a date falls in."""
        return cls(day.year if day.month >= START_MONTH else day.year - 1)

    @classmethod
    def parse(cls, text: str) -> FiscalYear:
        """Read `2026-2027` (the only accepted form: both years in full, consecutive)."""
        match = _LABEL.match(str(text))
        if not match:
            raise ValueError(f"not a fiscal year (expected YYYY-YYYY): {text!r}")
        first, second = int(match.group(1)), int(match.group(2))
        if second != first + 1:
            raise ValueError(f"the two years of a fiscal year follow each other: {text!r}")
        return cls(first)

    # -- bounds and neighbours -----------------------------------------------------------------
    @property
    def start(self) -> date:
        return date(self.start_year, START_MONTH, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, START_MONTH, 1) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def next(self) -> FiscalYear:
        return FiscalYear(self.start_year + 1)

    def previous(self) -> FiscalYear:
        return FiscalYear(self.start_year - 1)

    def __add__(self, years: int) -> FiscalYear:
        return FiscalYear(self.start_year + years)

    def __sub__(self, years: int) -> FiscalYear:
        return FiscalYear(self.start_year - years)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __lt__(self, other: FiscalYear) -> bool:
        if not isinstance(other, FiscalYear):
            return NotImplemented
        return self.start_year < other.start_year

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

    @property
    def label(self) -> str:
        return str(self)

    # -- periods -------------------------------------------------------------------------------
    @staticmethod
    def spanning(start: date, end: date) -> list[FiscalYear]:
        """Every fiscal year a period (inclusive bounds) touches, in order."""
        if end < start:
            raise ValueError("a period ends on or after its start")
        first, last = FiscalYear.of(start), FiscalYear.of(end)
        return [FiscalYear(year) for year in range(first.start_year, last.start_year + 1)]

    @staticmethod
    def range(first: FiscalYear, count: int) -> Iterator[FiscalYear]:
        for offset in range(count):
            yield first + offset

    def overlap(self, start: date, end: date) -> tuple[date, date] | None:
        """The part of a period that falls inside this fiscal year, or None."""
        lo, hi = max(start, self.start), min(end, self.end)
        return (lo, hi) if lo <= hi else None

    def share(self, start: date, end: date, method: Proration | str = Proration.MONTHS) -> Decimal:
        """The fraction of this year a period covers, between 0 and 1.

        By months: every month the period touches counts whole (a grant starting 15 October
        gets 6/12). By days: days covered over the days of the year (366 in a year whose
        February has 29 days).
        """
        part = self.overlap(start, end)
        if part is None:
            return Decimal(0)
        lo, hi = part
        if Proration(method) is Proration.DAYS:
            return Decimal((hi - lo).days + 1) / Decimal(self.days)
        months = (hi.year - lo.year) * 12 + (hi.month - lo.month) + 1
        return Decimal(months) / Decimal(12)
