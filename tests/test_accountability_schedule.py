"""Issue 10, item 1: the report schedule. An agreement in force gets its reports from the reporting
calendar (mid-year and annual, shortened first period, final report for a call for projects);
rebuilding changes nothing; an officer extends a due date with a reason; an amendment that ends
the agreement early creates a final report and cancels the reports it no longer owes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grants.accountability import operations
from grants.accountability.models import Report
from grants.accountability.queries import reports_of_agreement
from grants.accountability.workflow import (
    AWAITING_SUBMISSION,
    EDITABLE_BY_ORGANIZATION,
    ReportStatus,
)
from grants.agreements import operations as agreements
from grants.agreements.models import Agreement
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.core.workflow import StatusWriteRefused
from grants.fiscal import FiscalYear
from grants.notifications.models import OutboundEmail
from tests.factories import agreement_in_force, complete_report, funding_request, member, report_of, staff

Y2026, Y2027, Y2028 = FiscalYear(2026), FiscalYear(2027), FiscalYear(2028)


def _plain(agreement: Agreement, *, live: bool = True) -> list[tuple]:
    return [
        (r.fiscal_year, r.kind, r.period_start, r.period_end, r.due_date, r.status)
        for r in reports_of_agreement(agreement.id, live_only=live)
    ]


def _actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)))


# -- the state table ------------------------------------------------------------------------------------
# Unlisted moves are refused and final states stay final: tests/test_state_tables.py, with the others.
@pytest.mark.pure
def test_a_report_awaiting_submission_is_editable_by_the_organization():
    assert AWAITING_SUBMISSION <= EDITABLE_BY_ORGANIZATION


def test_a_status_written_outside_the_workflow_raises():
    agreement, _officer = agreement_in_force("TNCES", years=1)
    report = report_of(agreement, "midyear", 2026)
    with pytest.raises(StatusWriteRefused):
        report.status = ReportStatus.ACCEPTED
    db.session.rollback()
    assert report_of(agreement, "midyear", 2026).status == ReportStatus.TO_DO


# -- creation ---------------------------------------------------------------------------------------------
def test_an_agreement_in_force_gets_a_midyear_and_an_annual_report_per_fiscal_year():
    from grants.review import operations as review

    request = funding_request("TNCES", status="recommended", years=2)
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    agreement = review.approve(
        request, {y.fiscal_year: y.requested_amount for y in request.years}, "", actor=officer
    )
    db.session.commit()
    assert reports_of_agreement(agreement.id) == [], "nothing is owed before the agreement is in force"

    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    agreements.accept(
        agreement,
        agreement.current,
        actor=signatory,
        signatory_name="A",
        signatory_title="B",
        ip_address=None,
    )
    agreements.countersign(agreement, agreement.current, actor=officer)
    db.session.commit()
    todo = ReportStatus.TO_DO
    assert _plain(agreement) == [
        (Y2026, "midyear", date(2026, 4, 1), date(2026, 9, 30), date(2026, 10, 31), todo),
        (Y2026, "annual", date(2026, 4, 1), date(2027, 3, 31), date(2027, 6, 30), todo),
        (Y2027, "midyear", date(2027, 4, 1), date(2027, 9, 30), date(2027, 10, 31), todo),
        (Y2027, "annual", date(2027, 4, 1), date(2028, 3, 31), date(2028, 6, 30), todo),
    ]
    reports = reports_of_agreement(agreement.id)
    # 175 000 $ a year: the annual reports come with review-engagement statements; mid-year ones none.
    assert [r.statement_type for r in reports] == [None, "review", None, "review"]
    assert all(
        r.due_date == r.scheduled_due and r.organization_id == agreement.organization_id for r in reports
    )
    scheduled = _actions("report.scheduled")
    assert len(scheduled) == 4 and scheduled[0].actor_id == officer.id


def test_a_grant_that_starts_late_gets_a_shortened_first_period():
    agreement, _officer = agreement_in_force("TNCES", years=2, amount="50000.00", start=date(2026, 11, 1))
    assert _plain(agreement) == [
        (Y2026, "annual", date(2026, 11, 1), date(2027, 3, 31), date(2027, 6, 30), ReportStatus.TO_DO),
        (Y2027, "midyear", date(2027, 4, 1), date(2027, 9, 30), date(2027, 10, 31), ReportStatus.TO_DO),
        (Y2027, "annual", date(2027, 4, 1), date(2028, 3, 31), date(2028, 6, 30), ReportStatus.TO_DO),
    ]
    assert [r.statement_type for r in reports_of_agreement(agreement.id)] == ["review", None, "review"]


def test_a_one_year_call_for_projects_grant_ends_with_a_final_report():
    agreement, _officer = agreement_in_force("HEBERGEMENT", years=1, amount="40000.00")
    reports = reports_of_agreement(agreement.id)
    assert [(r.kind, r.due_date) for r in reports] == [
        ("midyear", date(2026, 10, 31)),
        ("final", date(2027, 6, 30)),
    ]
    final = reports[-1]
    assert final.statement_type == "compilation" and final.has_financial_statements
    assert final.kind_label == "Rapport final et états financiers"


def test_rebuilding_the_schedule_twice_changes_nothing():
    agreement, officer = agreement_in_force("TNCES", years=3)
    before = _plain(agreement)
    entries = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    first = operations.schedule_reports(agreement, actor=officer)
    second = operations.schedule_reports(agreement, actor=officer)
    db.session.commit()
    assert not first.changed and not second.changed
    assert _plain(agreement) == before and len(before) == 6
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == entries
    assert operations.schedule_all() == 0


def test_an_officer_extends_a_due_date_with_a_reason_and_the_schedule_keeps_it():
    agreement, officer = agreement_in_force("TNCES", years=2)
    report = report_of(agreement, "midyear", 2026)
    for new_due, reason, field, message in [
        (date(2026, 11, 30), "  ", "reason", "Donnez le motif du report."),
        (date(2026, 9, 1), "Inondation", "due_date", "L'échéance doit suivre la fin de la période couverte"),
    ]:
        with pytest.raises(operations.ReviewInvalid) as invalid:
            operations.extend_due_date(report, new_due, reason, actor=officer)
        assert message in invalid.value.errors[field]
    operations.extend_due_date(
        report, date(2026, 11, 30), "Inondation des locaux", actor=officer, expected_version=report.version
    )
    db.session.commit()
    report = report_of(agreement, "midyear", 2026)
    assert (report.due_date, report.scheduled_due) == (date(2026, 11, 30), date(2026, 10, 31))
    assert report.is_extended and report.extension_reason == "Inondation des locaux"
    (entry,) = _actions("report.due_date_extended")
    assert entry.changes == {"due_date": ["2026-10-31", "2026-11-30"], "reason": "Inondation des locaux"}
    assert entry.actor_id == officer.id
    email = db.session.scalars(
        db.select(OutboundEmail).filter_by(template="report_due_date_extended")
    ).first()
    assert email is not None and "30 novembre 2026" in email.body_text
    # A stale page (the version it showed) is refused.
    with pytest.raises(operations.ConcurrentChange):
        operations.extend_due_date(report, date(2026, 12, 15), "Encore", actor=officer, expected_version=1)
    db.session.rollback()
    # Rebuilding the schedule keeps the later date the officer gave.
    assert not operations.schedule_reports(db.session.get(Agreement, agreement.id)).changed
    assert report_of(agreement, "midyear", 2026).due_date == date(2026, 11, 30)


def _amend_and_sign(agreement: Agreement, officer, end: date, amounts: dict) -> None:
    version = agreements.amend(
        agreement,
        amounts={FiscalYear(y): Decimal(a) for y, a in amounts.items()},
        end_date=end,
        conditions="",
        reason="Fin anticipée",
        actor=officer,
    )
    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    agreements.accept(
        agreement, version, actor=signatory, signatory_name="A", signatory_title="B", ip_address=None
    )
    agreements.countersign(agreement, version, actor=officer)
    db.session.commit()


def test_an_early_end_creates_a_final_report_and_cancels_the_reports_no_longer_owed():
    agreement, officer = agreement_in_force("TNCES", years=3)
    author = member(organization=agreement.organization)
    submitted = complete_report(report_of(agreement, "midyear", 2026), author)
    operations.submit(submitted.id, actor=author)
    db.session.commit()

    # While the amendment waits for signatures nothing changes; once in force the schedule follows.
    version = agreements.amend(
        agreement,
        amounts={Y2026: Decimal(175000), Y2027: Decimal(175000), Y2028: Decimal(0)},
        end_date=date(2028, 3, 31),
        conditions="",
        reason="Fin anticipée",
        actor=officer,
    )
    db.session.commit()
    assert len(_plain(agreement)) == 6
    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    agreements.accept(
        agreement, version, actor=signatory, signatory_name="A", signatory_title="B", ip_address=None
    )
    agreements.countersign(agreement, version, actor=officer)
    db.session.commit()

    live = reports_of_agreement(agreement.id, live_only=True)
    assert [(r.fiscal_year, r.kind, r.status) for r in live] == [
        (Y2026, "midyear", ReportStatus.SUBMITTED),
        (Y2026, "annual", ReportStatus.TO_DO),
        (Y2027, "midyear", ReportStatus.TO_DO),
        (Y2027, "final", ReportStatus.TO_DO),
    ]
    final = live[-1]
    assert (final.period_end, final.due_date) == (date(2028, 3, 31), date(2028, 6, 30))
    cancelled = [r for r in reports_of_agreement(agreement.id) if r.status == ReportStatus.CANCELLED]
    assert [(r.fiscal_year, r.kind) for r in cancelled] == [(Y2028, "midyear"), (Y2028, "annual")]
    assert [e.changes["status"] for e in _actions("report.cancel")] == [["to_do", "cancelled"]] * 2
    assert _actions("report.rescheduled")[0].changes["kind"] == ["annual", "final"]
    # The submitted report never changes with the schedule.
    assert report_of(agreement, "midyear", 2026).submitted_at == submitted.submitted_at

    # A later amendment back to the full period reinstates them; the final report is annual again.
    _amend_and_sign(
        db.session.get(Agreement, agreement.id),
        officer,
        date(2029, 3, 31),
        {2026: "175000", 2027: "175000", 2028: "175000"},
    )
    assert [(r.fiscal_year, r.kind, r.status) for r in reports_of_agreement(agreement.id)][-3:] == [
        (Y2027, "annual", ReportStatus.TO_DO),
        (Y2028, "midyear", ReportStatus.TO_DO),
        (Y2028, "annual", ReportStatus.TO_DO),
    ]
    assert len(_actions("report.reinstate")) == 2
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 6


def test_the_commands_rebuild_the_schedules_and_hold_late_reports_once(app):
    from datetime import UTC, datetime

    from grants.core import clock

    agreement, _officer = agreement_in_force("TNCES", years=1)
    runner = app.test_cli_runner()
    assert "0 agreement(s) changed" in runner.invoke(args=["reports", "schedule"]).output
    with clock.frozen(datetime(2026, 12, 1, 17, tzinfo=UTC)):
        first = runner.invoke(args=["reports", "hold-late"]).output
        second = runner.invoke(args=["reports", "hold-late"]).output
    assert f"({agreement.number}, midyear 2026-2027) holds" in first and "1 late report(s)" in first
    assert "0 late report(s)" in second
    assert report_of(agreement, "midyear", 2026).installments_held_at is not None
