"""What a request must be to be submitted: the one home of its validation rules.

A draft accepts anything partial; `submission_problems` is the full check, run at submission (and
by anyone who wants to know what is missing). The amount of each fiscal year is checked by
grants.programs.rules (`amount_problem`), as for the decision and amendments: nothing here
re-derives the annual maximum.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.calls.models import Call
from grants.core.formatting import money
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.rules import AmountLimits, amount_problem
from grants.requests.models import FundingRequest

Problem = tuple[str, str]
"""(the form field the problem belongs to, the message)."""


def submission_problems(funding_request: FundingRequest, *, moment: datetime | None = None) -> list[Problem]:
    """Everything that stops a submission, as (form field, message) pairs; empty when complete."""
    return [
        *content_problems(funding_request),
        *period_problems(funding_request),
        *amount_problems(funding_request),
        *call_problems(funding_request, moment=moment),
    ]


def content_problems(funding_request: FundingRequest) -> list[Problem]:
    """The texts and the territory every request needs."""
    required = (
        (funding_request.title, "title", _l("Donnez un titre à la demande.")),
        (funding_request.summary, "summary", _l("Résumez le projet ou la mission.")),
        (funding_request.objectives, "objectives", _l("Décrivez les objectifs.")),
        (funding_request.target_populations, "target_populations", _l("Décrivez les populations visées.")),
    )
    problems = [(name, str(message)) for text, name, message in required if not text.strip()]
    if not (funding_request.regions or funding_request.nations):
        problems.append(("region_codes", str(_l("Indiquez au moins une région ou une nation desservie."))))
    return problems


# -- the period and the budget ----------------------------------------------------------------------
def period_years(start: date | None, end: date | None) -> list[FiscalYear]:
    """The fiscal years a period touches (empty while it is incomplete or reversed)."""
    if start is None or end is None or end < start:
        return []
    return FiscalYear.spanning(start, end)


def years_allowed(funding_request: FundingRequest) -> int:
    """How many fiscal years the request may cover: the call's number, else the program's."""
    call = funding_request.call
    return call.years_max if call is not None else funding_request.program.years_max


def period_problems(funding_request: FundingRequest) -> list[Problem]:
    """A complete period, in order, within the number of fiscal years allowed."""
    start, end = funding_request.start_date, funding_request.end_date
    if start is None or end is None:
        return [("start_date", str(_l("Indiquez la date de début et la date de fin de la période.")))]
    if end < start:
        return [("end_date", str(_l("La date de fin doit suivre la date de début.")))]
    count, allowed = len(period_years(start, end)), years_allowed(funding_request)
    if count > allowed:
        message = _l(
            "La période couvre %(n)s exercices financiers ; ce programme en permet au plus %(max)s.",
            n=count,
            max=allowed,
        )
        return [("end_date", str(message))]
    return []


def amount_problems(funding_request: FundingRequest) -> list[Problem]:
    """The amount asked for each fiscal year of the period: given, within that year's budget, and
    within the program's amount rules (grants.programs.rules: the annual maximum, prorated)."""
    years = period_years(funding_request.start_date, funding_request.end_date)
    if not years:
        return []
    limits = AmountLimits.of_request(funding_request)
    budget_totals = funding_request.budget_totals
    problems: list[Problem] = []
    for year in years:
        name = f"amount-{year.start_year}"
        row = funding_request.year(year)
        amount = row.requested_amount if row is not None and row.requested_amount is not None else Decimal(0)
        budget_total = budget_totals.get(year, Decimal("0.00"))
        if amount > budget_total:
            message = _l(
                "Le montant demandé pour %(year)s (%(amount)s) dépasse le total du budget de cet exercice "
                "(%(budget)s) : le programme ne peut pas financer plus que le budget.",
                year=str(year),
                amount=money(amount),
                budget=money(budget_total),
            )
            problems.append((name, str(message)))
        if amount == 0:
            problems.append((name, str(_l("Indiquez le montant demandé pour %(year)s.", year=str(year)))))
        elif limit := amount_problem(amount, year, limits, zero_allowed=False):
            problems.append((name, limit))
    return problems


# -- the call ---------------------------------------------------------------------------------------
def call_problems(funding_request: FundingRequest, *, moment: datetime | None = None) -> list[Problem]:
    """The call is open (now, or at `moment`) and the organization may apply to it."""
    call = funding_request.call
    if call is None:
        return []
    problems = [] if call.is_open(moment) else [("call", str(call_closed_message(call)))]
    return problems + [
        ("call", str(message)) for message in eligibility_problems(funding_request.organization, call)
    ]


def call_closed_message(call: Call) -> Any:
    return _l("L'appel « %(call)s » n'est pas ouvert en ce moment.", call=call.title)


def eligibility_problems(organization: Organization, call: Call) -> list[Any]:
    """Why this organization may not apply to this call (empty when it may)."""
    problems = []
    if call.eligible_kinds and organization.kind not in call.eligible_kinds:
        problems.append(
            _l(
                "Les organismes de type « %(kind)s » ne sont pas admissibles à cet appel.",
                kind=organization.kind_label,
            )
        )
    regions = {r.code for r in call.eligible_regions}
    nations = {n.code for n in call.eligible_nations}
    if regions or nations:
        served_regions = {r.code for r in organization.regions_served} | {organization.region_code or ""}
        served_nations = {n.code for n in organization.nations_served}
        if not (regions & served_regions or nations & served_nations):
            problems.append(_l("Cet appel vise des régions ou des nations que l'organisme ne dessert pas."))
    return problems


def start_problems(organization: Organization, call: Call) -> list[Any]:
    """Why a draft cannot be started for this call now (closed, or the organization not eligible)."""
    problems = eligibility_problems(organization, call)
    if not call.is_open():
        problems.append(_l("Cet appel n'est pas ouvert en ce moment."))
    return problems
