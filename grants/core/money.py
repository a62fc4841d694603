"""Rounding to the cent: the one rule every amount of money follows (half-up, CONVENTIONS.md).

Everything in `grants` that rounds an amount to the cent calls `round_cent` (`grants.core.db.to_money`
reads typed amounts through it); `grants/fiscal.py`, below core, gives shares, never amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def round_cent(value: Any) -> Decimal:
    """`value` (a Decimal, an int or a text such as "12.345") as a Decimal rounded half-up to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
