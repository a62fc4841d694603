"""The fiscal-year value type: bounds, neighbours, periods across years, partial years."""

from datetime import date
from decimal import Decimal

import pytest

from grants.core.money import round_cent
from grants.fiscal import FiscalYear, Proration

pytestmark = pytest.mark.pure


def test_bounds_and_label():
    year = FiscalYear(2026)
    assert year.start == date(2026, 4, 1)
    assert year.end == date(2027, 3, 31)
    assert str(year) == "2026-2027"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 31), 2025),
        (date(2026, 4, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2026, 12, 31), 2026),
    ],
)
def test_of_date(day, expected):
    assert FiscalYear.of(day).start_year == expected


def test_parse_accepts_only_full_consecutive_years():
    assert FiscalYear.parse("2026-2027") == FiscalYear(2026)
    assert FiscalYear.parse(" 2026–2027 ") == FiscalYear(2026)
    for bad in ("2026-27", "2026-2028", "2026", "abcd-efgh"):
        with pytest.raises(ValueError):
            FiscalYear.parse(bad)


def test_neighbours_and_order():
    year = FiscalYear(2026)
    assert year.next() == FiscalYear(2027)
    assert year.previous() == FiscalYear(2025)
    assert year + 4 == FiscalYear(2030)
    assert sorted([FiscalYear(2028), FiscalYear(2026)]) == [FiscalYear(2026), FiscalYear(2028)]
    assert date(2027, 1, 15) in year


def test_leap_years_have_366_days():
    # 2027-2028 holds 29 February 2028.
    assert FiscalYear(2027).days == 366
    assert FiscalYear(2026).days == 365


def test_spanning_periods():
    years = FiscalYear.spanning(date(2026, 10, 1), date(2031, 3, 31))
    assert [str(y) for y in years] == [
        "2026-2027",
        "2027-2028",
        "2028-2029",
        "2029-2030",
        "2030-2031",
    ]
    with pytest.raises(ValueError):
        FiscalYear.spanning(date(2027, 1, 1), date(2026, 1, 1))


def test_partial_year_by_months_counts_started_months():
    year = FiscalYear(2026)
    assert year.share(date(2026, 10, 1), date(2027, 3, 31)) == Decimal("0.5")
    assert year.share(date(2026, 10, 15), date(2030, 3, 31)) == Decimal("0.5")
    half = year.share(date(2026, 10, 1), date(2031, 3, 31))
    assert round_cent(Decimal("175000") * half) == Decimal("87500.00")


def test_partial_year_by_days():
    year = FiscalYear(2026)
    share = year.share(date(2026, 10, 1), date(2027, 3, 31), Proration.DAYS)
    assert share == Decimal(182) / Decimal(365)
    assert round_cent(Decimal("175000") * share) == Decimal("87260.27")
    assert year.share(date(2025, 1, 1), date(2025, 12, 31)) == Decimal("0")
