"""Every change to a funding request made by the organization: start a draft, save it, attach files,
submit (with the acknowledgement of receipt), answer an information request, withdraw.

Drafts accept anything partial; `submission_problems` is the full validation, run at submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from grants.calls.models import Call
from grants.core.audit import diff, record
from grants.core.clock import current_fiscal_year
from grants.core.db import db, identity_of, to_money, utcnow
from grants.core.formatting import money
from grants.files.sniffing import AcceptedFile
from grants.files.storage import store
from grants.fiscal import FiscalYear
from grants.notifications.operations import notify_users, officers_of_program, recipients_of_organization
from grants.organizations.models import Organization
from grants.programs.rules import AmountLimits, amount_problem
from grants.reference.models import Measure, Nation, Region
from grants.requests.models import (
    AttachmentKind,
    BudgetCategory,
    BudgetLine,
    FundingRequest,
    FundingSourceStatus,
    OtherFunding,
    RequestAttachment,
    RequestSection,
    RequestYear,
)
from grants.requests.workflow import EDITABLE_BY_ORGANIZATION, RequestEvent, RequestStatus, transition


class ConcurrentChange(RuntimeError):
    """The request changed since the form was opened (another person saved or acted on it)."""


class NotEditable(RuntimeError):
    """The request is not open to the organization in its current state."""


@dataclass(frozen=True)
class DroppedYear:
    """The figures of a fiscal year the new period no longer covers."""

    fiscal_year: FiscalYear
    budget_total: Decimal
    requested: Decimal


class PeriodDropsFigures(ValueError):
    """Saving the new period would delete figures entered for fiscal years it no longer covers:
    nothing is saved until the person confirms (`confirm_drop`)."""

    def __init__(self, dropped: list[DroppedYear]) -> None:
        super().__init__("the new period drops fiscal years that have figures")
        self.dropped = dropped


@dataclass
class OtherFundingData:
    funder: str
    program_name: str
    amount: Decimal
    start_date: date | None
    end_date: date | None
    status: FundingSourceStatus


@dataclass
class RequestData:
    """What the form holds, already parsed; sections not given are left as they are."""

    title: str = ""
    summary: str = ""
    objectives: str = ""
    target_populations: str = ""
    measure_ids: list[int] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)
    nation_codes: list[str] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None
    amounts: dict[FiscalYear, Decimal] = field(default_factory=dict)
    budget: dict[tuple[FiscalYear, BudgetCategory], Decimal] = field(default_factory=dict)
    other_funding: list[OtherFundingData] = field(default_factory=list)


SECTION_FIELDS: dict[RequestSection, tuple[str, ...]] = {
    RequestSection.PROJECT: ("title", "summary", "objectives"),
    RequestSection.POPULATIONS: ("target_populations", "measure_ids"),
    RequestSection.TERRITORY: ("region_codes", "nation_codes"),
    RequestSection.BUDGET: ("start_date", "end_date", "amounts", "budget"),
    RequestSection.OTHER_FUNDING: ("other_funding",),
    RequestSection.ATTACHMENTS: (),
}


# -- reading ----------------------------------------------------------------------------------------
def open_sections(funding_request: FundingRequest) -> set[RequestSection]:
    """The sections the organization may change now: all of a draft, the asked ones when reopened."""
    status = RequestStatus(funding_request.status)
    if status is RequestStatus.DRAFT:
        return set(RequestSection)
    if status is RequestStatus.INFO_REQUESTED and funding_request.open_info_request is not None:
        return set(funding_request.open_info_request.section_list)
    return set()


def snapshot(funding_request: FundingRequest) -> dict[str, Any]:
    return {
        "title": funding_request.title,
        "summary": funding_request.summary,
        "objectives": funding_request.objectives,
        "target_populations": funding_request.target_populations,
        "measures": [m.number for m in funding_request.measures],
        "regions": [r.code for r in funding_request.regions],
        "nations": [n.code for n in funding_request.nations],
        "start_date": funding_request.start_date,
        "end_date": funding_request.end_date,
        "amounts": {str(y.fiscal_year): y.requested_amount for y in funding_request.years},
        "budget": {f"{b.fiscal_year} {b.category}": b.amount for b in funding_request.budget_lines},
        "other_funding": [
            [o.funder, o.program_name, o.amount, o.start_date, o.end_date, o.status]
            for o in funding_request.other_funding
        ],
    }


def data_of(funding_request: FundingRequest) -> RequestData:
    """The request as form data (to pre-fill the form)."""
    return RequestData(
        title=funding_request.title,
        summary=funding_request.summary,
        objectives=funding_request.objectives,
        target_populations=funding_request.target_populations,
        measure_ids=[m.id for m in funding_request.measures],
        region_codes=[r.code for r in funding_request.regions],
        nation_codes=[n.code for n in funding_request.nations],
        start_date=funding_request.start_date,
        end_date=funding_request.end_date,
        amounts={y.fiscal_year: y.requested_amount for y in funding_request.years},
        budget={(b.fiscal_year, BudgetCategory(b.category)): b.amount for b in funding_request.budget_lines},
        other_funding=[
            OtherFundingData(
                o.funder, o.program_name, o.amount, o.start_date, o.end_date, FundingSourceStatus(o.status)
            )
            for o in funding_request.other_funding
        ],
    )


# -- starting and saving -----------------------------------------------------------------------------
def start_request(
    organization: Organization, call: Call, *, actor: Any, token: str
) -> tuple[FundingRequest, bool]:
    """A new draft for `call`; the form's one-time token makes a double-click create one request.

    Answers (request, created).
    """
    existing = db.session.execute(
        db.select(FundingRequest).filter_by(creation_token=token)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    program = call.program
    first = current_fiscal_year()
    funding_request = FundingRequest(
        organization_id=organization.id,
        program_id=program.id,
        call_id=call.id,
        status=RequestStatus.DRAFT,
        creation_token=token,
        created_by_id=getattr(actor, "id", None),
        regions=list(organization.regions_served),
        nations=list(organization.nations_served),
    )
    db.session.add(funding_request)
    db.session.flush()
    funding_request.reference = f"{program.code}-{first.start_year}-{funding_request.id:05d}"
    record(
        "request.created",
        funding_request,
        actor=actor,
        changes={"reference": funding_request.reference, "program": program.code, "call": call.id},
    )
    return funding_request, True


def save(
    funding_request: FundingRequest,
    data: RequestData,
    *,
    actor: Any,
    expected_version: int | None,
    confirm_drop: Any = (),
) -> dict[str, Any]:
    """Save the open sections of the form (all of a draft; the asked ones when reopened).

    A period that no longer covers a fiscal year with figures raises PeriodDropsFigures unless
    every such year is in `confirm_drop`: figures are never deleted without a word.
    """
    sections = open_sections(funding_request)
    if not sections:
        raise NotEditable(funding_request.id)
    if expected_version is not None and expected_version != funding_request.version:
        raise ConcurrentChange(funding_request.id)
    if RequestSection.BUDGET in sections:
        dropped = dropped_years(funding_request, data)
        if any(d.fiscal_year not in set(confirm_drop) for d in dropped):
            raise PeriodDropsFigures(dropped)
    before = snapshot(funding_request)
    if RequestSection.PROJECT in sections:
        funding_request.title = data.title.strip()[:255]
        funding_request.summary = data.summary.strip()
        funding_request.objectives = data.objectives.strip()
    if RequestSection.POPULATIONS in sections:
        funding_request.target_populations = data.target_populations.strip()
        funding_request.measures = list(
            db.session.scalars(db.select(Measure).where(Measure.id.in_(data.measure_ids)))
        )
    if RequestSection.TERRITORY in sections:
        funding_request.regions = list(
            db.session.scalars(db.select(Region).where(Region.code.in_(data.region_codes)))
        )
        funding_request.nations = list(
            db.session.scalars(db.select(Nation).where(Nation.code.in_(data.nation_codes)))
        )
    if RequestSection.BUDGET in sections:
        _save_budget(funding_request, data)
    if RequestSection.OTHER_FUNDING in sections:
        funding_request.other_funding = [
            OtherFunding(
                funder=o.funder.strip()[:255],
                program_name=o.program_name.strip()[:255],
                amount=to_money(o.amount),
                start_date=o.start_date,
                end_date=o.end_date,
                status=o.status,
            )
            for o in data.other_funding
        ]
    changes = diff(before, snapshot(funding_request))
    if changes:
        funding_request.updated_at = utcnow()
        _flush(funding_request)
        record("request.saved", funding_request, actor=actor, changes=changes)
    return changes


def period_years(start: date | None, end: date | None) -> list[FiscalYear]:
    """The fiscal years a period touches (empty while it is incomplete or reversed)."""
    if start is None or end is None or end < start:
        return []
    return FiscalYear.spanning(start, end)


def dropped_years(funding_request: FundingRequest, data: RequestData) -> list[DroppedYear]:
    """The fiscal years with figures (as typed in the form, else as saved) that the period in
    `data` no longer covers."""
    kept = set(period_years(data.start_date, data.end_date))
    saved_amounts = {y.fiscal_year: y.requested_amount for y in funding_request.years}
    saved_budget: dict[FiscalYear, Decimal] = {}
    for line in funding_request.budget_lines:
        saved_budget[line.fiscal_year] = saved_budget.get(line.fiscal_year, Decimal(0)) + line.amount
    typed_budget: dict[FiscalYear, Decimal] = {}
    for (year, _category), amount in data.budget.items():
        typed_budget[year] = typed_budget.get(year, Decimal(0)) + amount
    candidates = set(saved_amounts) | set(saved_budget) | set(data.amounts) | set(typed_budget)
    dropped = []
    for year in sorted(candidates - kept):
        typed = year in data.amounts or year in typed_budget
        budget = typed_budget.get(year, Decimal(0)) if typed else saved_budget.get(year, Decimal(0))
        requested = data.amounts.get(year, Decimal(0)) if typed else saved_amounts.get(year, Decimal(0))
        if budget or requested:
            dropped.append(DroppedYear(year, to_money(budget), to_money(requested or 0)))
    return dropped


def _save_budget(funding_request: FundingRequest, data: RequestData) -> None:
    funding_request.start_date, funding_request.end_date = data.start_date, data.end_date
    years = funding_request.fiscal_years
    funding_request.first_fiscal_year = years[0] if years else None
    wanted = set(years)
    by_year = {y.fiscal_year: y for y in funding_request.years}
    for year, row in list(by_year.items()):
        if year not in wanted:
            funding_request.years.remove(row)
    for year in years:
        amount = to_money(data.amounts.get(year) or 0)
        if year in by_year:
            by_year[year].requested_amount = amount
        else:
            funding_request.years.append(RequestYear(fiscal_year=year, requested_amount=amount))
    lines = {(b.fiscal_year, BudgetCategory(b.category)): b for b in funding_request.budget_lines}
    for key, line in list(lines.items()):
        if key[0] not in wanted or not data.budget.get(key):
            funding_request.budget_lines.remove(line)
    for (year, category), amount in data.budget.items():
        if year not in wanted or not amount:
            continue
        if (year, category) in lines:
            lines[(year, category)].amount = to_money(amount)
        else:
            funding_request.budget_lines.append(
                BudgetLine(fiscal_year=year, category=category, amount=to_money(amount))
            )


def _flush(funding_request: FundingRequest) -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(identity_of(funding_request)) from error


# -- attachments -----------------------------------------------------------------------------------
def add_attachment(
    funding_request: FundingRequest, kind: AttachmentKind, upload: AcceptedFile, *, actor: Any
) -> RequestAttachment:
    if RequestSection.ATTACHMENTS not in open_sections(funding_request):
        raise NotEditable(funding_request.id)
    stored = store(
        upload.data,
        original_name=upload.filename,
        media_type=upload.media_type,
        organization_id=funding_request.organization_id,
        uploaded_by=actor,
    )
    attachment = RequestAttachment(kind=kind, file_id=stored.id, uploaded_by_id=getattr(actor, "id", None))
    funding_request.attachments.append(attachment)
    db.session.flush()
    record(
        "request.attachment_added",
        funding_request,
        actor=actor,
        changes={"kind": kind, "file": upload.filename, "size": len(upload.data), "sha256": stored.sha256},
    )
    return attachment


def remove_attachment(funding_request: FundingRequest, attachment: RequestAttachment, *, actor: Any) -> None:
    if RequestSection.ATTACHMENTS not in open_sections(funding_request):
        raise NotEditable(funding_request.id)
    funding_request.attachments.remove(attachment)
    db.session.flush()
    record(
        "request.attachment_removed",
        funding_request,
        actor=actor,
        changes={"kind": attachment.kind, "file": attachment.file.original_name},
    )


# -- submission --------------------------------------------------------------------------------------
def submission_problems(funding_request: FundingRequest, *, moment: Any = None) -> list[tuple[str, str]]:
    """Everything that stops a submission, as (form field, message) pairs; empty when complete."""
    problems: list[tuple[str, str]] = []

    def need(condition: bool, name: str, message: Any) -> None:
        if not condition:
            problems.append((name, str(message)))

    need(bool(funding_request.title.strip()), "title", _l("Donnez un titre à la demande."))
    need(bool(funding_request.summary.strip()), "summary", _l("Résumez le projet ou la mission."))
    need(bool(funding_request.objectives.strip()), "objectives", _l("Décrivez les objectifs."))
    need(
        bool(funding_request.target_populations.strip()),
        "target_populations",
        _l("Décrivez les populations visées."),
    )
    need(
        bool(funding_request.regions or funding_request.nations),
        "region_codes",
        _l("Indiquez au moins une région ou une nation desservie."),
    )
    call, program = funding_request.call, funding_request.program
    if funding_request.start_date is None or funding_request.end_date is None:
        problems.append(("start_date", str(_l("Indiquez la date de début et la date de fin de la période."))))
    elif funding_request.end_date < funding_request.start_date:
        problems.append(("end_date", str(_l("La date de fin doit suivre la date de début."))))
    else:
        years = funding_request.fiscal_years
        allowed = call.years_max if call else program.years_max
        need(
            len(years) <= allowed,
            "end_date",
            _l(
                "La période couvre %(n)s exercices financiers ; ce programme en permet au plus %(max)s.",
                n=len(years),
                max=allowed,
            ),
        )
        limits = AmountLimits.of_request(funding_request)
        budget_totals: dict[FiscalYear, Decimal] = {}
        for line in funding_request.budget_lines:
            budget_totals[line.fiscal_year] = budget_totals.get(line.fiscal_year, Decimal(0)) + line.amount
        for year in years:
            row = funding_request.year(year)
            amount = row.requested_amount if row and row.requested_amount is not None else Decimal(0)
            budget_total = budget_totals.get(year, Decimal("0.00"))
            if amount > budget_total:
                problems.append(
                    (
                        f"amount-{year.start_year}",
                        str(
                            _l(
                                "Le montant demandé pour %(year)s (%(amount)s) dépasse le total du budget de "
                                "cet exercice (%(budget)s) : le programme ne peut pas financer plus que le "
                                "budget.",
                                year=str(year),
                                amount=money(amount),
                                budget=money(budget_total),
                            )
                        ),
                    )
                )
            if amount == 0:
                problems.append(
                    (
                        f"amount-{year.start_year}",
                        str(_l("Indiquez le montant demandé pour %(year)s.", year=str(year))),
                    )
                )
            elif message := amount_problem(amount, year, limits, zero_allowed=False):
                problems.append((f"amount-{year.start_year}", message))
    if call is not None:
        need(
            call.is_open(moment),
            "call",
            _l("L'appel « %(call)s » n'est pas ouvert en ce moment.", call=call.title),
        )
        problems.extend(
            ("call", str(message)) for message in eligibility_problems(funding_request.organization, call)
        )
    return problems


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


class SubmissionIncomplete(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("incomplete request")
        self.problems = problems


def lock(request_id: int) -> FundingRequest | None:
    """Load a request and lock its row until the end of the transaction (PostgreSQL FOR UPDATE)."""
    return db.session.execute(
        db.select(FundingRequest).where(FundingRequest.id == request_id).with_for_update()
    ).scalar_one_or_none()


def submit(request_id: int, *, actor: Any) -> tuple[FundingRequest, bool]:
    """Submit a draft: lock it, validate fully, move it, produce and send the acknowledgement.

    A second submit (double-click, two tabs) finds the request already submitted and changes
    nothing. Answers (request, submitted_now).
    """
    funding_request = lock(request_id)
    if funding_request is None:
        raise LookupError(request_id)
    db.session.refresh(funding_request)
    if funding_request.status != RequestStatus.DRAFT:
        return funding_request, False
    problems = submission_problems(funding_request)
    if problems:
        raise SubmissionIncomplete(problems)
    funding_request.submitted_at = utcnow()
    transition(
        funding_request, RequestEvent.SUBMIT, actor=actor, details={"reference": funding_request.reference}
    )
    from grants.requests.pdf import store_acknowledgement

    acknowledgement = store_acknowledgement(funding_request)
    notify_users(
        recipients_of_organization(funding_request.organization_id),
        "request_submitted",
        organization_id=funding_request.organization_id,
        funding_request=funding_request,
        attachment_file_ids=[acknowledgement.id],
    )
    notify_users(
        officers_of_program(funding_request.program_id),
        "request_submitted_officer",
        funding_request=funding_request,
    )
    return funding_request, True


def provide_info(
    funding_request: FundingRequest, answer: str, *, actor: Any, expected_version: int | None = None
) -> None:
    """The organization answers the open information request; the file goes back to the officer."""
    info = funding_request.open_info_request
    if info is None or funding_request.status != RequestStatus.INFO_REQUESTED:
        raise NotEditable(funding_request.id)
    if expected_version is not None and expected_version != funding_request.version:
        raise ConcurrentChange(funding_request.id)
    info.answer, info.answered_at, info.answered_by_id = answer.strip(), utcnow(), getattr(actor, "id", None)
    transition(funding_request, RequestEvent.PROVIDE_INFO, actor=actor, details={"info_request": info.id})
    _flush(funding_request)
    recipients = (
        [funding_request.assignee]
        if funding_request.assignee
        else officers_of_program(funding_request.program_id)
    )
    notify_users(recipients, "request_info_provided", funding_request=funding_request, info=info)


def withdraw(funding_request: FundingRequest, *, actor: Any, reason: str = "") -> None:
    transition(funding_request, RequestEvent.WITHDRAW, actor=actor, details={"reason": reason.strip()})
    _flush(funding_request)
    if funding_request.assignee:
        notify_users([funding_request.assignee], "request_withdrawn", funding_request=funding_request)


def is_editable(funding_request: FundingRequest) -> bool:
    return RequestStatus(funding_request.status) in EDITABLE_BY_ORGANIZATION and bool(
        open_sections(funding_request)
    )
