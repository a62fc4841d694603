"""The amount rules of a grant: the one home of what an amount for a fiscal year may be.

Request submission, the decision (approval) and amendments all call `amount_problem`: an amount is
not negative, fits the money columns (NUMERIC(14, 2)), and stays within the annual maximum of the
call or the program, prorated when the grant's period covers only part of the fiscal year (by
months or by days, the program's setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.formatting import money
from grants.fiscal import FiscalYear
from grants.programs.models import Program

MONEY_MAX = Decimal("999999999999.99")
"""The largest amount NUMERIC(14, 2) holds."""


@dataclass(frozen=True)
class AmountLimits:
    """What bounds a grant's amounts: the annual maximum (the call's, else the program's), the
    program (how a partial year is prorated) and the grant's period."""

    program: Program
    annual_max: Decimal | None
    start: date | None
    end: date | None

    @classmethod
    def of_request(cls, funding_request: Any, *, end: date | None = None) -> AmountLimits:
        """The limits of a request, or of its agreement once `end` moves (an amendment)."""
        call, program = funding_request.call, funding_request.program
        return cls(
            program=program,
            annual_max=call.effective_annual_max() if call is not None else program.annual_max,
            start=funding_request.start_date,
            end=end or funding_request.end_date,
        )

    def maximum(self, year: FiscalYear) -> Decimal | None:
        """The most a grant may get in `year` (None: no maximum)."""
        return self.program.maximum_for(self.annual_max, year, self.start, self.end)


def amount_problem(
    amount: Decimal,
    year: FiscalYear,
    limits: AmountLimits,
    *,
    zero_allowed: bool,
    kept: Decimal | None = None,
) -> str | None:
    """Why `amount` cannot be asked or granted for `year`, or None when it can.

    `zero_allowed`: a decision or an amendment may give 0 to a year. `kept`: the amount the year
    has now, which an amendment may keep even above the maximum (a year raised by indexation)."""
    name = str(year)
    if not amount.is_finite() or amount < 0:
        return str(_l("%(year)s : le montant ne peut pas être négatif.", year=name))
    if amount == 0 and not zero_allowed:
        return str(_l("%(year)s : le montant doit être plus grand que 0.", year=name))
    if amount > MONEY_MAX:
        return str(
            _l(
                "%(year)s : le montant dépasse le plus grand montant permis (%(max)s).",
                year=name,
                max=money(MONEY_MAX),
            )
        )
    maximum = limits.maximum(year)
    if maximum is None or amount <= maximum or (kept is not None and amount <= kept):
        return None
    if maximum == limits.annual_max:
        return str(
            _l(
                "%(year)s : le montant (%(amount)s) dépasse le maximum annuel de %(max)s.",
                year=name,
                amount=money(amount),
                max=money(maximum),
            )
        )
    return str(
        _l(
            "%(year)s : le montant (%(amount)s) dépasse %(max)s, le maximum annuel au prorata de la partie "
            "de l'exercice couverte par la période.",
            year=name,
            amount=money(amount),
            max=money(maximum),
        )
    )
