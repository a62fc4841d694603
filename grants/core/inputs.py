"""What reaches the application from a browser, made safe to hand to the database.

Ids in URLs are bounded (`IdConverter` replaces Flask's `<int:…>`); NUL characters, which
PostgreSQL cannot store in text and no person types, are dropped from query strings and forms
(`InputRequest`), and a path segment holding one matches no route (`TextConverter`); the causes
are fixed where values are read, and `grants.core.views.bad_input` is only the net under them
(logged as an error). `whole_number` reads an id, a version or a count
sent back by a page, and answers None for anything else; `DateField` refuses the year 1 or 9999,
which no fiscal year holds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import wtforms
from flask import Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

MAX_ID = 2**31 - 1
"""The largest key a table can hold (PostgreSQL `integer`, the type of every id and version)."""


def whole_number(text: str | None, *, maximum: int = MAX_ID) -> int | None:
    """`text` as a whole number from 0 to `maximum` (plain digits only), else None: a number
    the database could not hold, `²` or `１２` are not ids."""
    text = (text or "").strip()
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


FIRST_DATE, LAST_DATE = date(1901, 1, 1), date(2998, 12, 31)
"""Dates a form accepts: inside the fiscal years the product counts (1900-1901 to 2999-3000)."""
DATE_RANGE_MESSAGE = _l("Entrez une date entre 1901 et 2998, au format AAAA-MM-JJ.")


class DateField(wtforms.DateField):
    """A date typed in a form (`AAAA-MM-JJ`), from 1901 to 2998: the year 1 or 9999 is a typing
    slip, and no fiscal year, schedule or time zone conversion could take it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DATE <= self.data <= LAST_DATE:
            self.data = None
            raise ValueError(DATE_RANGE_MESSAGE)


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class _CleanMultiDict(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query-string and form values with their NUL characters dropped."""

    def __init__(self, mapping: Any = None) -> None:
        if isinstance(mapping, list | tuple):
            mapping = [(_without_nul(key), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


class InputRequest(Request):
    """The request class of the application: `args` and `form` never hold a NUL character."""

    parameter_storage_class = _CleanMultiDict


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 0 to 2 147 483 647. A larger number names no row, so the route
    does not match (404) instead of reaching the database, which would refuse the number."""

    def __init__(
        self,
        map: Any,
        fixed_digits: int = 0,
        min: int | None = 0,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """`<name>` in every route: a path segment with a NUL character matches nothing (404)."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError()
        return value


def install(app: Any) -> None:
    """Bind the converters and the request class; before the routes are added (they bind them)."""
    app.request_class = InputRequest
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
