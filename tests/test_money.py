"""Rounding to the cent lives in one function (grants.core.money.round_cent): half-up, as
CONVENTIONS.md says, and every reader of amounts (to_money, schedules, spreads) goes through it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grants.core.db import to_money
from grants.core.money import round_cent
from grants.payments.edits import spread
from grants.payments.schedule import split

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Decimal("0.005"), Decimal("0.01")),  # half-up, not banker's rounding (0.00)
        (Decimal("0.015"), Decimal("0.02")),
        (Decimal("-0.005"), Decimal("-0.01")),
        ("12.344", Decimal("12.34")),
        (7, Decimal("7.00")),
        (Decimal("175000"), Decimal("175000.00")),
    ],
)
def test_round_cent_rounds_half_up(value, rounded):
    assert round_cent(value) == rounded
    assert str(round_cent(value)) == str(rounded)  # two places, always
    assert to_money(value) == rounded


def test_schedules_and_spreads_round_the_same_way():
    # 0.125 $ each: half-up gives 0.13 (banker's rounding would give 0.12).
    assert split(Decimal("0.25"), [{"percent": "50"}, {"percent": "50"}]) == [
        Decimal("0.13"),
        Decimal("0.12"),
    ]
    assert spread(Decimal("0.25"), [Decimal("10"), Decimal("10")]) == [Decimal("10.13"), Decimal("10.12")]
