"""Every change to a funding request made by the organization: start a draft, save it, attach files,
submit (with the acknowledgement of receipt), answer an information request, withdraw.

Drafts accept anything partial; the full validation (grants.requests.rules.submission_problems)
runs at submission. Status changes go through grants.requests.workflow; a change made meanwhile by
someone else is refused with grants.core.concurrency.ConcurrentChange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from grants.calls.models import Call
from grants.core.audit import diff, record, values_of
from grants.core.clock import current_fiscal_year, now
from grants.core.concurrency import check_version, flush_or_refuse, optimistic
from grants.core.db import db, to_money
from grants.files.documents import store_upload
from grants.files.sniffing import AcceptedFile
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.operations import notify
from grants.organizations.models import Organization
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
    budget_totals,
)
from grants.requests.rules import period_years, submission_problems
from grants.requests.workflow import RequestEvent, RequestStatus, transition


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


class SubmissionIncomplete(ValueError):
    """The request misses something to be submitted; `problems` are (form field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("incomplete request")
        self.problems = problems


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
    """What the form holds, already parsed; sections not open are left as they are."""

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


# -- reading ----------------------------------------------------------------------------------------
def snapshot(funding_request: FundingRequest) -> dict[str, Any]:
    """What the audit trail compares before and after a save."""
    return {
        **values_of(funding_request, "title", "summary", "objectives", "target_populations"),
        "measures": [m.number for m in funding_request.measures],
        "regions": [r.code for r in funding_request.regions],
        "nations": [n.code for n in funding_request.nations],
        **values_of(funding_request, "start_date", "end_date"),
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
def existing_draft(organization_id: int, call_id: int) -> FundingRequest | None:
    """The organization's draft for this call, if it has one (the oldest, should there be several)."""
    return db.session.scalars(
        db.select(FundingRequest)
        .filter_by(organization_id=organization_id, call_id=call_id, status=RequestStatus.DRAFT)
        .order_by(FundingRequest.id)
        .limit(1)
    ).first()


def start_request(
    organization: Organization, call: Call, *, actor: Any, token: str
) -> tuple[FundingRequest, bool]:
    """A new draft for `call`; the form's one-time token makes a double-click create one request,
    and an organization that already has a draft for the call gets that draft back (issue 13,
    item 14): one draft per organization and call.

    Answers (request, created).
    """
    existing = db.session.execute(
        db.select(FundingRequest).filter_by(creation_token=token)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    draft = existing_draft(organization.id, call.id)
    if draft is not None:
        return draft, False
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
    sections = funding_request.open_sections
    if not sections:
        raise NotEditable(funding_request.id)
    check_version(funding_request, expected_version)
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
        funding_request.updated_at = now()
        flush_or_refuse(funding_request)
        record("request.saved", funding_request, actor=actor, changes=changes)
    return changes


def dropped_years(funding_request: FundingRequest, data: RequestData) -> list[DroppedYear]:
    """The fiscal years with figures (as typed in the form, else as saved) that the period in
    `data` no longer covers."""
    kept = set(period_years(data.start_date, data.end_date))
    saved_amounts = {y.fiscal_year: y.requested_amount for y in funding_request.years}
    saved_budget = funding_request.budget_totals
    typed_budget = budget_totals((year, amount) for (year, _category), amount in data.budget.items())
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


# -- attachments -----------------------------------------------------------------------------------
def _attachments_open(funding_request: FundingRequest) -> None:
    if RequestSection.ATTACHMENTS not in funding_request.open_sections:
        raise NotEditable(funding_request.id)


def add_attachment(
    funding_request: FundingRequest, kind: AttachmentKind, upload: AcceptedFile, *, actor: Any
) -> RequestAttachment:
    _attachments_open(funding_request)
    stored = store_upload(upload, organization_id=funding_request.organization_id, actor=actor)
    attachment = RequestAttachment(kind=kind, file_id=stored.id, uploaded_by_id=getattr(actor, "id", None))
    funding_request.attachments.append(attachment)
    db.session.flush()
    details = {"kind": kind, "file": upload.filename, "size": len(upload.data), "sha256": stored.sha256}
    record("request.attachment_added", funding_request, actor=actor, changes=details)
    return attachment


def remove_attachment(funding_request: FundingRequest, attachment: RequestAttachment, *, actor: Any) -> None:
    _attachments_open(funding_request)
    funding_request.attachments.remove(attachment)
    db.session.flush()
    details = {"kind": attachment.kind, "file": attachment.file.original_name}
    record("request.attachment_removed", funding_request, actor=actor, changes=details)


# -- submission --------------------------------------------------------------------------------------
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
    if not funding_request.is_draft:
        return funding_request, False
    problems = submission_problems(funding_request)
    if problems:
        raise SubmissionIncomplete(problems)
    funding_request.submitted_at = now()
    transition(
        funding_request, RequestEvent.SUBMIT, actor=actor, details={"reference": funding_request.reference}
    )
    from grants.requests.pdf import store_acknowledgement

    acknowledgement = store_acknowledgement(funding_request)
    notify(
        events.REQUEST_SUBMITTED, funding_request=funding_request, attachment_file_ids=[acknowledgement.id]
    )
    notify(events.REQUEST_SUBMITTED_OFFICER, funding_request=funding_request)
    return funding_request, True


def provide_info(
    funding_request: FundingRequest, answer: str, *, actor: Any, expected_version: int | None = None
) -> None:
    """The organization answers the open information request; the file goes back to the officer."""
    info = funding_request.open_info_request
    if info is None or not funding_request.is_awaiting_information:
        raise NotEditable(funding_request.id)
    with optimistic(funding_request, expected_version):
        info.answer, info.answered_at, info.answered_by_id = answer.strip(), now(), getattr(actor, "id", None)
        transition(funding_request, RequestEvent.PROVIDE_INFO, actor=actor, details={"info_request": info.id})
    notify(
        events.REQUEST_INFO_PROVIDED, to=funding_request.assignee, funding_request=funding_request, info=info
    )


def withdraw(
    funding_request: FundingRequest, *, actor: Any, reason: str = "", expected_version: int | None = None
) -> None:
    """The organization withdraws a request not yet decided (the table says which)."""
    with optimistic(funding_request, expected_version):
        transition(funding_request, RequestEvent.WITHDRAW, actor=actor, details={"reason": reason.strip()})
    if funding_request.assignee:
        notify(events.REQUEST_WITHDRAWN, to=funding_request.assignee, funding_request=funding_request)
