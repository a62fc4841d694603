"""Rounding to the cent: the one rule every amount of money follows (half-up, CONVENTIONS.md).

Everything in `grants` that rounds an amount to the cent calls `round_cent` (`grants.core.db.to_money`
reads typed amounts through it); `grants/fiscal.py`, below core, gives shares, never amounts."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def round_cent(value: Any) -> Decimal:
    """`value` (a Decimal, an int or a text such as "12.345") as a Decimal rounded half-up to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# -- amounts written by people -------------------------------------------------------------------
# The largest amount a NUMERIC(14, 2) column holds.
MONEY_MAX = Decimal("999999999999.99")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# 175000 · 175000,5 · 175000.50 · 175 000 · 175 000,00 (groups of three digits when spaced).
_PLAIN = re.compile(r"-?\d+(?:[.,]\d{1,2})?")
_GROUPED = re.compile(r"-?\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?")
# 175,000 · 1.234.567: a comma or a period before groups of three digits, read either way.
_SEPARATED = re.compile(r"-?\d{1,3}(?:[.,]\d{3})+")


class MoneyTextInvalid(ValueError):
    """A text that is not an amount we accept; `reason` says which rule it breaks:
    `mixed` (comma and period together), `thousands` (`175,000`: thousands or decimals?),
    `format` (not a number), `negative`, `too_large`."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.text = text
        self.reason = reason


def parse_money_text(text: str, *, allow_negative: bool = False, maximum: Decimal = MONEY_MAX) -> Decimal:
    """Read an amount written the Quebec way — `175 000,00`, `175000`, `175 000 $`, `175000,5` or
    `175000.00` — as a Decimal rounded to the cent. The one reader of amounts people write (forms,
    imported files). Raises MoneyTextInvalid: a comma and a period together (`1,234.56` is the
    English way and `175,000` would be read 175 $ in French: too easy to get wrong by a factor of
    1 000), more than two decimals, a negative amount (unless allowed), beyond NUMERIC(14, 2)."""
    original = text or ""
    cleaned = _SPACES.sub(" ", original).strip()
    cleaned = cleaned.removesuffix("$").removeprefix("$").strip()
    if "," in cleaned and "." in cleaned:
        raise MoneyTextInvalid(original, "mixed")
    if not (_PLAIN.fullmatch(cleaned) or _GROUPED.fullmatch(cleaned)):
        raise MoneyTextInvalid(original, "thousands" if _SEPARATED.fullmatch(cleaned) else "format")
    value = Decimal(cleaned.replace(" ", "").replace(",", "."))
    if value < 0 and not allow_negative:
        raise MoneyTextInvalid(original, "negative")
    if abs(value) > maximum:
        raise MoneyTextInvalid(original, "too_large")
    return round_cent(value)
