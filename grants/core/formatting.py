"""Quebec formatting of money, dates, percentages and fiscal years, through Babel.

The one place that decides how `175 000 $`, `1er avril 2027` and `3,7 %` are written; templates
reach it through Jinja filters, PDFs and emails through the same functions.

Rules, one per context (templates never print a raw value: no `{{ x.due_date }}`, no `.isoformat()`
in visible text):

- **Dates**: `long_date` (`28 novembre 2026`, `November 28, 2026`) in lists, detail pages, PDFs and
  emails alike; `iso_date` only where a machine reads it (`<input type=date>` values, CSV exports,
  `<time datetime=…>`). A period is `long_date – long_date`.
- **Money**: `money`, always with cents (`30 000,00 $`, `$30,000.00`), in every table, detail page
  and form of an amount that belongs to a request, agreement, installment, report or indexation,
  and in program budget tables where those amounts are totalled. `money_whole` (`175 000 $`) only
  for policy figures set in whole dollars and shown on their own: envelopes on dashboards, program
  and call maximums, plan and axis budgets, and the program report summary (PDF). `money_short`
  (`175 k$`) only for chart labels. A form's text box is pre-filled by `money_input` (`30 000,00`,
  ordinary spaces so it can be edited, no `$`).
- **Percentages**: `percent` (fraction in, `30 %` out with the no-break space Babel gives), including
  grid weights (`percent(weight / 100, decimals=0)`); never `{{ n }} %` in a template.
- **CPI index values**: `cpi_value`, always at least one decimal as Statistics Canada publishes them
  (`161,0` beside `157,2`).
- **Numbers inside texts** (seeded program and reference descriptions) carry no-break spaces
  (`175 000 $`) in the data files themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal, format_percent

from grants.core.clock import TIME_ZONE
from grants.fiscal import FiscalYear

DEFAULT_LOCALE = "fr_CA"


def _locale(locale: str | Locale | None) -> Locale:
    if isinstance(locale, Locale):
        return locale
    if locale is None:
        locale = current_locale()
    return Locale.parse(locale.replace("-", "_"))


def current_locale() -> str:
    """Flask-Babel's locale (the request's, or the one an email forces), else the default."""
    try:
        from flask import has_app_context
        from flask_babel import get_locale

        if has_app_context():
            found = get_locale()
            if found is not None:
                return str(found)
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        pass
    return DEFAULT_LOCALE


def money(amount: Decimal | int | str | None, locale: str | None = None, *, whole: bool = False) -> str:
    """`175 000,00 $` (fr_CA) or `$175,000.00` (en_CA); `whole=True` gives `175 000 $`."""
    if amount is None:
        return ""
    value = Decimal(str(amount))
    loc = _locale(locale)
    if whole:
        return format_currency(
            value.quantize(Decimal(1)),
            "CAD",
            locale=loc,
            format_type="standard",
            currency_digits=False,
            decimal_quantization=True,
            format="#,##0\u00a0¤" if loc.language == "fr" else "¤#,##0",
        )
    return format_currency(value, "CAD", locale=loc)


def money_short(amount: Decimal | int | None, locale: str | None = None) -> str:
    """Chart labels: `175 k$`, `90,6 M$` in French; `$175k`, `$90.6M` in English."""
    if amount is None:
        return ""
    value = Decimal(str(amount))
    loc = _locale(locale)
    if abs(value) >= 1_000_000:
        number, unit = value / Decimal(1_000_000), "M"
    elif abs(value) >= 1_000:
        number, unit = value / Decimal(1_000), "k"
    else:
        number, unit = value, ""
    text = format_decimal(number, format="#,##0.#", locale=loc)
    if loc.language == "fr":
        return f"{text}\u00a0{unit}$"
    return f"${text}{unit}"


def percent(rate: Decimal | float | None, locale: str | None = None, *, decimals: int = 1) -> str:
    """A rate given as a fraction (0.037) written `3,7 %` / `3.7%`."""
    if rate is None:
        return ""
    loc = _locale(locale)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    pattern += "\u00a0%" if loc.language == "fr" else "%"
    return format_percent(Decimal(str(rate)), format=pattern, locale=loc)


def money_input(amount: Decimal | int | str | None) -> str:
    """An amount put back in a form's text box: `30 000,00` (ordinary spaces, so it is edited as typed;
    always with its cents, like the tables)."""
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return f"{'-' if value < 0 else ''}{grouped},{cents}"


def cpi_value(value: Decimal | int | str | None, locale: str | None = None) -> str:
    """A CPI index value with at least the one decimal Statistics Canada publishes: `161,0`, `157,2`."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(str(value)), format="#,##0.0##", locale=_locale(locale))


def number(value: Decimal | int | None, locale: str | None = None) -> str:
    return "" if value is None else format_decimal(value, locale=_locale(locale))


def long_date(day: date | datetime | None, locale: str | None = None) -> str:
    """`31 mars 2027`, `1er avril 2027` (Babel writes `1 avril`), `March 31, 2027`."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = to_local(day).date()
    loc = _locale(locale)
    text = format_date(day, "long", locale=loc)
    if loc.language == "fr" and day.day == 1 and text.startswith("1 "):
        text = "1er " + text[2:]
    return text


def month_name(month: date | None, locale: str | None = None) -> str:
    """A calendar month as people read it: `septembre 2026`, `September 2026` (the CPI's months;
    stored and exported as `2026-09`)."""
    if month is None:
        return ""
    return format_skeleton("yMMMM", month, locale=_locale(locale))


def iso_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = to_local(day).date()
    return day.isoformat()


def to_local(moment: datetime) -> datetime:
    """A stored (UTC) timestamp as Quebec local time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(TIME_ZONE)


def time_of_day(moment: datetime, locale: str | None = None) -> str:
    """`23 h 59` in French, `11:59 PM` in English."""
    local = to_local(moment)
    loc = _locale(locale)
    if loc.language == "fr":
        return f"{local.hour} h {local.minute:02d}"
    return format_time(local, "short", locale=loc)


def date_time(moment: datetime | None, locale: str | None = None) -> str:
    """`31 mars 2027, 23 h 59`."""
    if moment is None:
        return ""
    separator = " à " if _locale(locale).language == "fr" else " at "
    return long_date(moment, locale) + separator + time_of_day(moment, locale)


def fiscal_year(value: FiscalYear | int | None) -> str:
    """`2026-2027` in every language."""
    if value is None:
        return ""
    return str(value if isinstance(value, FiscalYear) else FiscalYear(int(value)))


def neq(value: str | None) -> str:
    """An NEQ grouped for reading: `1234 567 890` (stored as its 10 digits)."""
    if not value:
        return ""
    return f"{value[:4]}\u00a0{value[4:7]}\u00a0{value[7:]}"


def postal_address(street: str | None, city: str | None, postal_code: str | None) -> str:
    """`1234, rue Sainte-Catherine, Montréal H2X 1Y4`: the parts given, never a stray comma
    (an address without a street is `Montréal H2X 1Y4`, not `, Montréal`)."""
    place = " ".join(p.strip() for p in (city, postal_code) if p and p.strip())
    return ", ".join(p for p in ((street or "").strip(), place) if p)


def colon(label: object, locale: str | None = None) -> str:
    """`Total demandé :` in French, `Total requested:` in English (no space before the colon):
    a label followed by its value, where the colon sits outside the translated text."""
    return f"{label} :" if _locale(locale).language == "fr" else f"{label}:"


def parse_iso(value: str | date | None) -> date | None:
    """A date kept as ISO text (frozen document terms) back to a date, for `long_date`."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


JINJA_FILTERS = {
    "parse_iso": parse_iso,
    "money": money,
    "money_whole": lambda amount, locale=None: money(amount, locale, whole=True),
    "money_short": money_short,
    "percent": percent,
    "number": number,
    "cpi_value": cpi_value,
    "money_input": money_input,
    "long_date": long_date,
    "iso_date": iso_date,
    "date_time": date_time,
    "fiscal_year": fiscal_year,
    "neq": neq,
    "colon": colon,
}
