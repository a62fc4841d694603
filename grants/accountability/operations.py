"""Every change to accountability reports: the schedule an agreement in force gets (rebuilt
idempotently when it is amended or ends early), due-date extensions, the organization's saves and
submission, the officer's requests for changes and acceptance, the hold of installments when a
report is late, and the program's settings, indicators and targets.

Nothing here commits: views, the CLI and tasks commit at the edge. Every status change goes through
`workflow.WORKFLOW` (audited); every other change is audited here. The schedule follows the
`agreement_countersigned` signal of `grants.agreements` (every version that comes into force), so
agreements never import this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from grants.accountability.models import (
    Indicator,
    IndicatorTarget,
    Report,
    ReportAttachment,
    ReportAttachmentKind,
    ReportChangeRequest,
    ReportFinanceLine,
    ReportIndicatorValue,
    ReportReachCount,
    ReportSection,
    ReportSettings,
)
from grants.accountability.queries import (
    agreement_targets,
    indicators_of,
    late_condition,
    reports_of_agreement,
    settings_for,
    target_for,
)
from grants.accountability.validation import (
    Problem,
    approved_by_category,
    submission_problems,
    variables_for,
)
from grants.accountability.workflow import (
    AWAITING_SUBMISSION,
    WORKFLOW,
    ReportEvent,
    ReportStatus,
)
from grants.agreements.models import Agreement
from grants.agreements.obligations import (
    ReportDue,
    ReportKind,
    StatementType,
    agreement_statement,
    reports_of,
)
from grants.agreements.signals import agreement_countersigned
from grants.core import clock
from grants.core.audit import diff, record
from grants.core.concurrency import ConcurrentChange, check_version, flush_or_refuse, optimistic
from grants.core.db import db, to_money, utcnow
from grants.core.formatting import long_date
from grants.files.documents import store_upload
from grants.files.sniffing import AcceptedFile
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.operations import notify
from grants.payments import operations as payments
from grants.payments.models import HoldSource, Installment, InstallmentStatus
from grants.payments.triggers import report_releasing
from grants.payments.workflow import InstallmentEvent
from grants.programs.models import Program
from grants.requests.models import BudgetCategory

__all__ = ["ConcurrentChange"]


class NotEditable(RuntimeError):
    """The section is not open to the organization in the report's current state."""


class SubmissionIncomplete(ValueError):
    """The report cannot be submitted yet; `problems` says what is missing, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("incomplete report")
        self.problems = problems


class ReviewInvalid(ValueError):
    """An officer's action is missing something; `errors` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid action")
        self.errors = errors


@dataclass
class IndicatorEntry:
    achieved: Decimal | None
    comment: str = ""


@dataclass
class FinanceEntry:
    spent: Decimal | None
    committed: Decimal | None


@dataclass
class PeopleData:
    total: int | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # variable -> category -> count
    explanations: dict[str, str] = field(default_factory=dict)


@dataclass
class IndicatorSpec:
    code: str
    label_fr: str
    label_en: str
    unit: str
    kind: str
    default_target: Decimal | None
    sort_order: int
    active: bool


def _move(report: Report, event: ReportEvent, *, actor: Any, **details: Any) -> None:
    WORKFLOW.move(report, event, actor=actor, details=details)
    report.status_changed_at = utcnow()


# == the schedule ===================================================================================
@dataclass
class ScheduleChanges:
    """What a rebuild did (all empty when the schedule was already right)."""

    created: list[Report] = field(default_factory=list)
    updated: list[Report] = field(default_factory=list)
    cancelled: list[Report] = field(default_factory=list)
    reinstated: list[Report] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.cancelled or self.reinstated)


def ended_early(agreement: Agreement) -> bool:
    """An amendment moved the end before the end the original agreement set."""
    original = agreement.versions[0].terms.get("period", {}).get("end") if agreement.versions else None
    if not original:
        return False
    return agreement.end_date < date.fromisoformat(original)


def reports_owed(agreement: Agreement) -> list[ReportDue]:
    """The reports the agreement asks for now (the reporting calendar of `obligations`); an agreement
    ended early closes with a final report."""
    return reports_of(agreement, ended_early=ended_early(agreement))


def _statement(agreement: Agreement, due: ReportDue) -> StatementType | None:
    """Annual and final reports come with the statements the year's amount calls for."""
    if due.kind is ReportKind.MIDYEAR:
        return None
    return agreement_statement(agreement, due.fiscal_year).type


def _slot(fiscal_year: FiscalYear, kind: ReportKind | str) -> tuple[FiscalYear, bool]:
    """A report's place in the schedule: its year and whether it is the mid-year one (an annual
    report that becomes final after an early end keeps its place)."""
    return fiscal_year, ReportKind(kind) is ReportKind.MIDYEAR


def _fields(agreement: Agreement, due: ReportDue) -> dict[str, Any]:
    statement = _statement(agreement, due)
    return {
        "kind": due.kind.value,
        "period_start": due.period_start,
        "period_end": due.period_end,
        "scheduled_due": due.due,
        "statement_type": statement.value if statement is not None else None,
    }


def schedule_reports(agreement: Agreement, *, actor: Any = None) -> ScheduleChanges:
    """Create or bring up to date the reports of an agreement in force; running it twice changes
    nothing. Reports already submitted never change; reports not yet submitted follow the new
    calendar (an extended due date is kept when it is later), and those the calendar no longer asks
    for are cancelled."""
    changes = ScheduleChanges()
    existing: dict[tuple[FiscalYear, bool], Report] = {}
    for report in reports_of_agreement(agreement.id):
        existing.setdefault(_slot(report.fiscal_year, report.kind), report)
    for due in reports_owed(agreement):
        wanted = _fields(agreement, due)
        report = existing.pop(_slot(due.fiscal_year, due.kind), None)
        if report is None:
            report = Report(
                agreement_id=agreement.id,
                organization_id=agreement.organization_id,
                program_id=agreement.program_id,
                fiscal_year=due.fiscal_year,
                status=ReportStatus.TO_DO,
                due_date=due.due,
                **wanted,
            )
            db.session.add(report)
            db.session.flush()
            record("report.scheduled", report, actor=actor, changes=_describe(report))
            changes.created.append(report)
            continue
        if report.is_cancelled:
            _move(report, ReportEvent.REINSTATE, actor=actor, reason="schedule")
            changes.reinstated.append(report)
        if ReportStatus(report.status) not in AWAITING_SUBMISSION:
            continue
        before = _describe(report)
        if report.due_date == report.scheduled_due:
            report.due_date = due.due
        else:
            report.due_date = max(report.due_date, due.due)
        for name, value in wanted.items():
            if getattr(report, name) != value:
                setattr(report, name, value)
        after = _describe(report)
        if before != after:
            flush_or_refuse(report)
            record("report.rescheduled", report, actor=actor, changes=diff(before, after))
            changes.updated.append(report)
    for report in existing.values():
        if ReportStatus(report.status) in AWAITING_SUBMISSION:
            _move(report, ReportEvent.CANCEL, actor=actor, reason="schedule")
            changes.cancelled.append(report)
    db.session.flush()
    return changes


def _describe(report: Report) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "fiscal_year": str(report.fiscal_year),
        "period_start": report.period_start,
        "period_end": report.period_end,
        "scheduled_due": report.scheduled_due,
        "due_date": report.due_date,
        "statement_type": report.statement_type,
    }


@agreement_countersigned.connect
def _on_agreement_in_force(agreement: Agreement, **extra: Any) -> None:
    """An agreement (or an amendment) came into force: its schedule follows."""
    schedule_reports(agreement, actor=extra.get("actor"))


def schedule_all(*, actor: Any = None) -> int:
    """Rebuild the schedule of every agreement in force (the CLI); answers how many changed."""
    from grants.agreements.models import AgreementStatus, AgreementVersion

    agreement_ids = db.session.scalars(
        db.select(AgreementVersion.agreement_id)
        .where(AgreementVersion.status == AgreementStatus.COUNTERSIGNED)
        .distinct()
    ).all()
    changed = 0
    for agreement_id in agreement_ids:
        agreement = db.session.get(Agreement, agreement_id)
        if agreement is not None and schedule_reports(agreement, actor=actor).changed:
            changed += 1
    return changed


def extend_due_date(
    report: Report, new_due: date, reason: str, *, actor: Any, expected_version: int | None = None
) -> None:
    """An officer gives more time, with a reason (audited); reminders follow the new date, and a
    report no longer late past its grace period stops holding the installments."""
    errors = {}
    if not reason.strip():
        errors["reason"] = str(_l("Donnez le motif du report."))
    if report.is_accepted or report.is_cancelled:
        errors["due_date"] = str(_l("Ce rapport n'attend plus rien : son échéance ne change plus."))
    elif new_due <= report.period_end:
        errors["due_date"] = str(
            _l(
                "L'échéance doit suivre la fin de la période couverte (%(end)s).",
                end=long_date(report.period_end),
            )
        )
    elif new_due == report.due_date:
        errors["due_date"] = str(_l("C'est déjà l'échéance du rapport."))
    if errors:
        raise ReviewInvalid(errors)
    with optimistic(report, expected_version):
        before = report.due_date
        report.due_date = new_due
        report.extension_reason = reason.strip()
    record(
        "report.due_date_extended",
        report,
        actor=actor,
        changes={"due_date": [before, new_due], "reason": reason.strip()},
    )
    settings = settings_for(report.program_id)
    if report.installments_held_at is not None and not _past_grace(report, settings, clock.today()):
        _release_late_holds(report, actor=actor)
    notify(events.REPORT_DUE_DATE_EXTENDED, report=report, previous_due=before)


# == late reports hold the next installments =========================================================
def _past_grace(report: Report, settings: ReportSettings, today: date) -> bool:
    return report.is_awaiting_submission and today > report.due_date + timedelta(days=settings.grace_days)


def _years_held_by(report: Report) -> list[FiscalYear]:
    """The installments a late report holds: those of its own year still open, and those of the
    year its due date falls in (an annual report is due in the next year)."""
    return sorted({report.fiscal_year, FiscalYear.of(report.due_date)})


def hold_late_reports(*, actor: Any = None, today: date | None = None) -> list[Report]:
    """Every report still not submitted past its due date and the program's grace period holds the
    agreement's next installments (`hold_installments`, source REPORT_LATE), once; the organization
    and the program's officers are told. Safe to run every day."""
    today = today or clock.today()
    candidates = db.session.scalars(
        db.select(Report)
        .where(late_condition(today), Report.installments_held_at.is_(None))
        .order_by(Report.due_date, Report.id)
    ).all()
    held_reports = []
    settings_cache: dict[int, ReportSettings] = {}
    for report in candidates:
        settings = settings_cache.setdefault(report.program_id, settings_for(report.program_id))
        if not _past_grace(report, settings, today):
            continue
        with force_locale("fr_CA"):
            reason = str(
                _l(
                    "%(report)s en retard (échéance du %(due)s) : versement retenu jusqu'à son acceptation.",
                    report=report.title,
                    due=long_date(report.due_date, "fr_CA"),
                )
            )
        held: list[Installment] = []
        for year in _years_held_by(report):
            held += payments.hold_installments(
                report.agreement, year, reason=reason, source=HoldSource.REPORT_LATE, actor=actor
            )
        report.installments_held_at = utcnow()
        flush_or_refuse(report)
        record(
            "report.installments_held",
            report,
            actor=actor,
            changes={
                "due_date": report.due_date,
                "grace_days": settings.grace_days,
                "installments": [i.id for i in held],
            },
        )
        if held:  # nothing left to hold (all paid): the overdue reminders say the rest
            late = {"report": report, "installments": held, "grace_days": settings.grace_days}
            notify(events.REPORT_LATE, **late)
            notify(events.REPORT_LATE_OFFICER, **late)
        held_reports.append(report)
    return held_reports


def _release_late_holds(report: Report, *, actor: Any) -> list[Installment]:
    """Lift the holds this report placed, except in years another late report of the agreement
    still holds."""
    others = [
        r
        for r in reports_of_agreement(report.agreement_id)
        if r.id != report.id and r.installments_held_at is not None
    ]
    still_held = {year for other in others for year in _years_held_by(other)}
    released: list[Installment] = []
    for year in _years_held_by(report):
        if year not in still_held:
            released += payments.release_holds(
                report.agreement, year, source=HoldSource.REPORT_LATE, actor=actor
            )
    report.installments_held_at = None
    flush_or_refuse(report)
    record(
        "report.installments_released",
        report,
        actor=actor,
        changes={"installments": [i.id for i in released]},
    )
    return released


# == the organization fills its report ================================================================
@contextmanager
def _editing(
    report: Report, section: ReportSection, *, actor: Any, expected_version: int | None
) -> Iterator[None]:
    """Change one section: open to the organization, on the version the page showed; a report
    saved for the first time moves from to do to draft."""
    if section not in report.open_sections:
        raise NotEditable(report.id)
    with optimistic(report, expected_version):
        if ReportStatus(report.status) is ReportStatus.TO_DO:
            _move(report, ReportEvent.START, actor=actor)
        yield
        report.updated_at = utcnow()  # the report's version moves with every section saved


def save_activities(
    report: Report, *, activities: str, results: str, actor: Any, expected_version: int | None = None
) -> dict[str, Any]:
    before = {"activities": report.activities, "results": report.results}
    with _editing(report, ReportSection.ACTIVITIES, actor=actor, expected_version=expected_version):
        report.activities, report.results = activities.strip(), results.strip()
    return _saved(
        report,
        ReportSection.ACTIVITIES,
        before,
        {"activities": report.activities, "results": report.results},
        actor,
    )


def _saved(
    report: Report, section: ReportSection, before: dict[str, Any], after: dict[str, Any], actor: Any
) -> dict[str, Any]:
    changes = diff(before, after)
    if changes:
        record("report.saved", report, actor=actor, changes={"section": section.value, **changes})
    return changes


def save_indicators(
    report: Report, entries: dict[int, IndicatorEntry], *, actor: Any, expected_version: int | None = None
) -> dict[str, Any]:
    indicators = {i.id: i for i in indicators_of(report.program_id)}
    rows = {v.indicator_id: v for v in report.indicator_values}
    before = {str(k): [v.achieved, v.comment] for k, v in rows.items()}
    with _editing(report, ReportSection.INDICATORS, actor=actor, expected_version=expected_version):
        for indicator_id, entry in entries.items():
            if indicator_id not in indicators:
                continue
            row = rows.get(indicator_id)
            if row is None and entry.achieved is None and not entry.comment.strip():
                continue
            if row is None:
                row = ReportIndicatorValue(indicator_id=indicator_id)
                report.indicator_values.append(row)
                rows[indicator_id] = row
            row.achieved = entry.achieved
            row.comment = entry.comment.strip()
    after = {str(k): [v.achieved, v.comment] for k, v in rows.items()}
    return _saved(report, ReportSection.INDICATORS, before, after, actor)


def save_finances(
    report: Report,
    entries: dict[BudgetCategory, FinanceEntry],
    *,
    explanation: str,
    actor: Any,
    expected_version: int | None = None,
) -> dict[str, Any]:
    approved = approved_by_category(report)
    lines = {line.category: line for line in report.finance_lines}

    def snapshot() -> dict[str, Any]:
        return {
            **{k: [v.approved, v.spent, v.committed] for k, v in lines.items()},
            "explanation": report.unspent_explanation,
        }

    before = snapshot()
    with _editing(report, ReportSection.FINANCES, actor=actor, expected_version=expected_version):
        for category, amount in approved.items():
            entry = entries.get(category, FinanceEntry(None, None))
            line = lines.get(category.value)
            if line is None:
                line = ReportFinanceLine(category=category.value)
                report.finance_lines.append(line)
                lines[category.value] = line
            line.approved = to_money(amount)
            line.spent = to_money(entry.spent) if entry.spent is not None else None
            line.committed = to_money(entry.committed) if entry.committed is not None else None
        report.unspent_explanation = explanation.strip()
    return _saved(report, ReportSection.FINANCES, before, snapshot(), actor)


def save_people(
    report: Report, data: PeopleData, *, actor: Any, expected_version: int | None = None
) -> dict[str, Any]:
    settings = settings_for(report.program_id)
    codes = {v.code: set(v.codes) for v in variables_for(settings)}

    def snapshot() -> dict[str, Any]:
        return {
            "total": report.people_total,
            "counts": {f"{c.variable}.{c.category}": c.count for c in report.reach_counts},
            "explanations": dict(report.reach_explanations or {}),
        }

    before = snapshot()
    with _editing(report, ReportSection.PEOPLE, actor=actor, expected_version=expected_version):
        report.people_total = data.total
        existing = {(c.variable, c.category): c for c in report.reach_counts}
        wanted = {
            (variable, category): count
            for variable, counts in data.counts.items()
            if variable in codes
            for category, count in counts.items()
            if category in codes[variable]
        }
        for key, row in existing.items():
            if key not in wanted:
                report.reach_counts.remove(row)
        for (variable, category), count in wanted.items():
            row = existing.get((variable, category))
            if row is None:
                report.reach_counts.append(
                    ReportReachCount(variable=variable, category=category, count=count)
                )
            else:
                row.count = count
        report.reach_explanations = {k: v for k, v in data.explanations.items() if k in codes and v.strip()}
    return _saved(report, ReportSection.PEOPLE, before, snapshot(), actor)


def add_attachment(
    report: Report,
    kind: ReportAttachmentKind,
    upload: AcceptedFile,
    *,
    actor: Any,
    expected_version: int | None = None,
) -> ReportAttachment:
    """Attach a file already judged by its bytes (`grants.files.sniffing.check_upload`)."""
    with _editing(report, ReportSection.ATTACHMENTS, actor=actor, expected_version=expected_version):
        stored = store_upload(upload, organization_id=report.organization_id, actor=actor)
        attachment = ReportAttachment(kind=kind, file_id=stored.id, uploaded_by_id=getattr(actor, "id", None))
        report.attachments.append(attachment)
    record(
        "report.attachment_added",
        report,
        actor=actor,
        changes={"kind": kind, "file": upload.filename, "size": len(upload.data), "sha256": stored.sha256},
    )
    return attachment


def remove_attachment(
    report: Report, attachment: ReportAttachment, *, actor: Any, expected_version: int | None = None
) -> None:
    with _editing(report, ReportSection.ATTACHMENTS, actor=actor, expected_version=expected_version):
        report.attachments.remove(attachment)
    record(
        "report.attachment_removed",
        report,
        actor=actor,
        changes={"kind": attachment.kind, "file": attachment.file.original_name},
    )


def problems_of(report: Report) -> list[Problem]:
    """What still stops the report from being submitted."""
    return submission_problems(report, settings_for(report.program_id), indicators_of(report.program_id))


def lock(report_id: int) -> Report | None:
    """Load a report and lock its row until the end of the transaction (PostgreSQL FOR UPDATE)."""
    return db.session.execute(
        db.select(Report).where(Report.id == report_id).with_for_update()
    ).scalar_one_or_none()


def submit(report_id: int, *, actor: Any, expected_version: int | None = None) -> tuple[Report, bool]:
    """Submit: lock, check everything, freeze the targets, move, store the submitted version as a PDF,
    acknowledge by email. A second click finds it submitted and changes nothing.
    Answers (report, submitted_now)."""
    report = lock(report_id)
    if report is None:
        raise LookupError(report_id)
    db.session.refresh(report)
    status = ReportStatus(report.status)
    if status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        return report, False
    check_version(report, expected_version)
    problems = problems_of(report)
    if problems:
        raise SubmissionIncomplete(problems)
    if status is ReportStatus.TO_DO:  # complete without a single save: only a program with nothing to ask
        _move(report, ReportEvent.START, actor=actor)
    targets = agreement_targets(report.agreement_id)
    for value in report.indicator_values:
        value.target = target_for(value.indicator, targets)
    change = report.open_change_request
    if change is not None:
        change.resolved_at = utcnow()
    report.submitted_at, report.submitted_by_id = utcnow(), getattr(actor, "id", None)
    _move(report, ReportEvent.SUBMIT, actor=actor, resubmission=change is not None)
    from grants.accountability.pdf import store_submitted_version

    stored = store_submitted_version(report)
    record(
        "report.pdf_stored",
        report,
        actor=actor,
        changes={"file": stored.original_name, "sha256": stored.sha256},
    )
    flush_or_refuse(report)
    resubmission = change is not None
    notify(events.REPORT_SUBMITTED, report=report, resubmission=resubmission, attachment_file_ids=[stored.id])
    notify(events.REPORT_SUBMITTED_OFFICER, report=report, resubmission=resubmission)
    return report, True


# == the officer reviews ============================================================================
def request_changes(
    report: Report,
    comments: dict[ReportSection, str],
    *,
    actor: Any,
    expected_version: int | None = None,
) -> ReportChangeRequest:
    """Reopen the sections named, each with its comment; the rest of the report stays locked."""
    comments = {s: c.strip() for s, c in comments.items() if c and c.strip()}
    if not comments:
        raise ReviewInvalid(
            {"reopen_activities": str(_l("Choisissez au moins une section à rouvrir, avec un commentaire."))}
        )
    with optimistic(report, expected_version):
        change = ReportChangeRequest(
            comments={s.value: c for s, c in comments.items()}, asked_by_id=getattr(actor, "id", None)
        )
        report.change_requests.append(change)
        report.reviewed_at, report.reviewed_by_id = utcnow(), getattr(actor, "id", None)
        _move(
            report,
            ReportEvent.REQUEST_CHANGES,
            actor=actor,
            sections=[s.value for s in comments],
            comments={s.value: c for s, c in comments.items()},
        )
    notify(events.REPORT_CHANGES_REQUESTED, report=report, change=change)
    return change


def accept(report: Report, *, actor: Any, expected_version: int | None = None) -> list[Installment]:
    """Accept the report: lift the holds it caused, and authorize the installments waiting for it.
    Answers the installments authorized."""
    with optimistic(report, expected_version):
        report.reviewed_at, report.reviewed_by_id = utcnow(), getattr(actor, "id", None)
        _move(report, ReportEvent.ACCEPT, actor=actor)
    try:
        released = _release_late_holds(report, actor=actor) if report.installments_held_at is not None else []
        authorized = _authorize_waiting(report, actor=actor)
    except ConcurrentChange as error:  # an installment changed meanwhile: nothing is kept
        raise ConcurrentChange(report.id) from error
    notify(events.REPORT_ACCEPTED, report=report, released=released, authorized=authorized)
    return authorized


def _authorize_waiting(report: Report, *, actor: Any) -> list[Installment]:
    """The installments whose trigger is this report (the step released by a mid-year, annual or
    final report, as the payment schedule chose it from the same calendar) are authorized; one an
    officer holds stays held."""
    calendar = [r.as_due() for r in reports_of_agreement(report.agreement_id, live_only=True)]
    mine = (ReportKind(report.kind), report.fiscal_year)
    authorized = []
    for installment in payments.installments_of(report.agreement_id):
        if installment.status != InstallmentStatus.SCHEDULED:
            continue
        closing = report_releasing(installment.trigger, installment.fiscal_year, calendar)
        if closing is not None and (closing.kind, closing.fiscal_year) == mine:
            authorized.append(payments.apply_event(installment, InstallmentEvent.AUTHORIZE, actor=actor))
    return authorized


# == the program's settings, indicators and targets ================================================
def save_settings(
    program: Program,
    *,
    grace_days: int,
    unspent_threshold_percent: Decimal,
    adsplus_variables: list[str],
    actor: Any,
    expected_version: int | None = None,
    reminder_days_before: list[int] | None = None,
    overdue_days_after: list[int] | None = None,
) -> ReportSettings:
    from grants.accountability import adsplus

    settings = db.session.execute(
        db.select(ReportSettings).filter_by(program_id=program.id)
    ).scalar_one_or_none()
    if settings is None:
        settings = settings_for(program.id)
        db.session.add(settings)
        db.session.flush()
    before = _settings_snapshot(settings)
    with optimistic(settings, expected_version):
        settings.grace_days = grace_days
        settings.unspent_threshold_percent = unspent_threshold_percent
        settings.adsplus_variables = [c for c in adsplus.OPTIONAL if c in set(adsplus_variables)]
        if reminder_days_before is not None:  # reminders' steps (grants.accountability.reminders)
            settings.reminder_days_before = sorted(set(reminder_days_before), reverse=True)
        if overdue_days_after is not None:
            settings.overdue_days_after = sorted(set(overdue_days_after))
    changes = diff(before, _settings_snapshot(settings))
    if changes:
        record("report_settings.saved", settings, actor=actor, changes={"program": program.code, **changes})
    return settings


def _settings_snapshot(settings: ReportSettings) -> dict[str, Any]:
    return {
        "grace_days": settings.grace_days,
        "unspent_threshold_percent": Decimal(settings.unspent_threshold_percent),
        "adsplus_variables": list(settings.adsplus_variables or []),
        "reminder_days_before": settings.reminder_days_before,
        "overdue_days_after": settings.overdue_days_after,
    }


def save_program_indicators(
    program: Program, specs: dict[int | None, IndicatorSpec], *, actor: Any
) -> dict[str, Any]:
    """Edit a program's indicators (and add one: key None). Indicators are never deleted (reports
    refer to them): an officer deactivates one instead."""
    existing = {i.id: i for i in indicators_of(program.id, active_only=False)}

    def snapshot() -> dict[str, Any]:
        return {
            i.code: [i.label_fr, i.label_en, i.unit, i.kind, i.default_target, i.sort_order, i.active]
            for i in existing.values()
        }

    before = snapshot()
    for indicator_id, spec in specs.items():
        indicator = existing.get(indicator_id) if indicator_id is not None else None
        if indicator is None:
            indicator = Indicator(program_id=program.id)
            db.session.add(indicator)
        for name in ("code", "label_fr", "label_en", "unit", "kind", "sort_order", "active"):
            setattr(indicator, name, getattr(spec, name))
        indicator.default_target = to_money(spec.default_target) if spec.default_target is not None else None
        db.session.flush()
        existing[indicator.id] = indicator
    changes = diff(before, snapshot())
    if changes:
        record(
            "indicators.saved",
            object_type="Program",
            object_id=program.id,
            actor=actor,
            changes={"program": program.code, **changes},
        )
    return changes


def save_targets(agreement: Agreement, targets: dict[int, Decimal | None], *, actor: Any) -> dict[str, Any]:
    """An agreement's own yearly targets (a blank one falls back to the program's default)."""
    indicators = {i.id: i for i in indicators_of(agreement.program_id, active_only=False)}
    rows = {
        t.indicator_id: t
        for t in db.session.scalars(db.select(IndicatorTarget).filter_by(agreement_id=agreement.id))
    }
    before = {indicators[k].code: v.target for k, v in rows.items() if k in indicators}
    for indicator_id, value in targets.items():
        if indicator_id not in indicators:
            continue
        row = rows.get(indicator_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
                del rows[indicator_id]
        elif row is None:
            rows[indicator_id] = IndicatorTarget(
                agreement_id=agreement.id, indicator_id=indicator_id, target=to_money(value)
            )
            db.session.add(rows[indicator_id])
        else:
            row.target = to_money(value)
    db.session.flush()
    after = {indicators[k].code: v.target for k, v in rows.items() if k in indicators}
    changes = diff(before, after)
    if changes:
        record("indicator_targets.saved", agreement, actor=actor, changes=changes)
    return changes
