"""Form fields shared by every capability."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField

_NOISE = re.compile(r"[\s\u00a0\u202f$]")


def parse_amount(text: str) -> Decimal:
    """Read `1 250 000,00 $`, `1250000.00` or `1,250,000.00` as a Decimal."""
    cleaned = _NOISE.sub("", text or "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # English thousands separators
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")  # French decimal comma
    if not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", cleaned):  # NUMERIC(14, 2): under 10^12
        raise InvalidOperation(text)
    return Decimal(cleaned)


class MoneyField(DecimalField):
    """An amount in dollars, typed the Quebec way (`175 000,00`) or the English way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("places", 2)
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_amount(valuelist[0])
        except InvalidOperation as error:
            self.data = None
            raise ValueError(_l("Entrez un montant en dollars, par exemple 175 000,00.")) from error
