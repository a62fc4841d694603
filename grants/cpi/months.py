"""Calendar months as the CPI counts them: a `date` on the first of the month, written `2025-09`."""

from __future__ import annotations

import re
from datetime import date

_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})(?:-01)?\s*$")


def parse_month(text: str) -> date:
    """Read `YYYY-MM` (or `YYYY-MM-01`) into the first day of that month."""
    match = _MONTH.match(str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a month (expected YYYY-MM): {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def month_label(month: date) -> str:
    """The month as stored and exported (`2025-09`); people read `grants.core.formatting.month_name`."""
    return f"{month.year:04d}-{month.month:02d}"
