"""Quebec formatting through Babel: money, dates (1er), percentages, fiscal years."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from grants.core.formatting import (
    date_time,
    fiscal_year,
    long_date,
    money,
    money_short,
    neq,
    percent,
)
from grants.fiscal import FiscalYear
from tests.helpers import normalize_spaces as ns

pytestmark = pytest.mark.pure


def test_money_fr_and_en():
    assert ns(money(Decimal("175000"), "fr_CA")) == "175 000,00 $"
    assert ns(money(Decimal("175000"), "fr_CA", whole=True)) == "175 000 $"
    assert money(Decimal("175000"), "en_CA") == "$175,000.00"
    assert ns(money(Decimal("85596.5"), "fr_CA")) == "85 596,50 $"


def test_short_money_for_charts():
    assert ns(money_short(Decimal("175000"), "fr_CA")) == "175 k$"
    assert ns(money_short(Decimal("90600000"), "fr_CA")) == "90,6 M$"


def test_percent():
    assert ns(percent(Decimal("0.037"), "fr_CA")) == "3,7 %"
    assert percent(Decimal("0.037"), "en_CA") == "3.7%"


def test_dates_first_of_month():
    assert long_date(date(2027, 4, 1), "fr_CA") == "1er avril 2027"
    assert long_date(date(2027, 3, 31), "fr_CA") == "31 mars 2027"
    assert long_date(date(2027, 3, 31), "en_CA") == "March 31, 2027"


def test_times_in_quebec():
    # 18 November 2026 23:59 in Montreal is 04:59 UTC the next day.
    moment = datetime(2026, 11, 19, 4, 59, tzinfo=UTC)
    assert date_time(moment, "fr_CA") == "18 novembre 2026 à 23 h 59"


def test_fiscal_year_and_neq():
    assert fiscal_year(FiscalYear(2026)) == "2026-2027"
    assert ns(neq("1234567890")) == "1234 567 890"
