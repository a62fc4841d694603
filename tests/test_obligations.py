"""The reporting calendar (issue 12, item 8): reports follow the agreement's period, never fall due
before it starts, and the installments a report releases are planned from the same calendar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grants.agreements.obligations import ReportDue, ReportingRules, ReportKind, reports_due
from grants.core.db import db
from grants.core.roles import StaffRole
from grants.files.storage import read
from grants.fiscal import FiscalYear
from grants.payments.models import Installment, InstallmentTrigger
from grants.review import operations as review
from tests.factories import funding_request, staff
from tests.test_agreements import pdf_text

Y2026, Y2027, Y2028 = FiscalYear(2026), FiscalYear(2027), FiscalYear(2028)
MIDYEAR, ANNUAL, FINAL = ReportKind.MIDYEAR, ReportKind.ANNUAL, ReportKind.FINAL


def _plain(reports: list[ReportDue]) -> list[tuple]:
    return [(r.fiscal_year, r.kind, r.period_start, r.period_end, r.due) for r in reports]


@pytest.mark.pure
def test_a_full_year_has_a_midyear_and_an_annual_report_on_the_default_dates():
    assert _plain(reports_due(date(2026, 4, 1), date(2027, 3, 31))) == [
        (Y2026, MIDYEAR, date(2026, 4, 1), date(2026, 9, 30), date(2026, 10, 31)),
        (Y2026, ANNUAL, date(2026, 4, 1), date(2027, 3, 31), date(2027, 6, 30)),
    ]
    # A one-year call-for-projects grant ends with a final report; one report a year drops the mid-year.
    assert [r.kind for r in reports_due(date(2026, 4, 1), date(2027, 3, 31), final_report=True)] == [
        MIDYEAR,
        FINAL,
    ]
    assert [r.kind for r in reports_due(date(2026, 4, 1), date(2027, 3, 31), reports_per_year=1)] == [ANNUAL]


@pytest.mark.pure
def test_reports_are_not_due_before_the_project_starts():
    """1 January 2027 to 31 March 2028: no mid-year report for 2026-2027 (it would be due on
    31 October 2026), a shortened first annual period, then a full year."""
    reports = reports_due(date(2027, 1, 1), date(2028, 3, 31))
    assert _plain(reports) == [
        (Y2026, ANNUAL, date(2027, 1, 1), date(2027, 3, 31), date(2027, 6, 30)),
        (Y2027, MIDYEAR, date(2027, 4, 1), date(2027, 9, 30), date(2027, 10, 31)),
        (Y2027, ANNUAL, date(2027, 4, 1), date(2028, 3, 31), date(2028, 6, 30)),
    ]
    assert all(r.period_start >= date(2027, 1, 1) and r.due > r.period_end for r in reports)


@pytest.mark.pure
def test_a_part_of_a_year_shorter_than_the_minimum_gets_no_report_of_its_own():
    # Starting 1 March: one month of 2026-2027 joins the 2027-2028 annual report.
    assert _plain(reports_due(date(2027, 3, 1), date(2028, 3, 31)))[-1] == (
        Y2027,
        ANNUAL,
        date(2027, 3, 1),
        date(2028, 3, 31),
        date(2028, 6, 30),
    )
    assert len(reports_due(date(2027, 3, 1), date(2028, 3, 31))) == 2
    # Ending 30 April: the last month joins the previous annual report, due three months later.
    reports = reports_due(date(2026, 4, 1), date(2028, 4, 30))
    assert [(r.kind, r.period_start, r.period_end, r.due) for r in reports if r.kind is ANNUAL] == [
        (ANNUAL, date(2026, 4, 1), date(2027, 3, 31), date(2027, 6, 30)),
        (ANNUAL, date(2027, 4, 1), date(2028, 4, 30), date(2028, 7, 31)),
    ]
    # Starting 1 September: thirty days before 30 September make no mid-year report.
    assert [r.kind for r in reports_due(date(2026, 9, 1), date(2027, 3, 31))] == [ANNUAL]
    # Starting 1 August: a shortened mid-year period, still due 31 October.
    assert _plain(reports_due(date(2026, 8, 1), date(2027, 3, 31)))[0] == (
        Y2026,
        MIDYEAR,
        date(2026, 8, 1),
        date(2026, 9, 30),
        date(2026, 10, 31),
    )
    # Ending 30 September: the final report covers the half year; no separate mid-year report.
    assert [r.kind for r in reports_due(date(2026, 4, 1), date(2026, 9, 30), final_report=True)] == [FINAL]


def test_the_minimum_and_the_due_offsets_are_settings(app):
    rules = ReportingRules(midyear_due_months=2, annual_due_months=4, min_period_days=100)
    reports = reports_due(date(2027, 1, 1), date(2028, 3, 31), rules=rules)
    assert _plain(reports) == [
        (Y2027, MIDYEAR, date(2027, 4, 1), date(2027, 9, 30), date(2027, 11, 30)),
        (Y2027, ANNUAL, date(2027, 1, 1), date(2028, 3, 31), date(2028, 7, 31)),
    ]
    app.config["REPORT_MIN_PERIOD_DAYS"] = 100
    try:
        assert ReportingRules.from_settings().min_period_days == 100
        assert len(reports_due(date(2027, 1, 1), date(2028, 3, 31))) == 2
    finally:
        app.config["REPORT_MIN_PERIOD_DAYS"] = 60


def test_the_agreement_and_its_installments_follow_the_reporting_calendar():
    """The agreement of a request for 1 January 2027 to 31 March 2028: its PDF names no report due
    before the start, and the 2026-2027 installment that waits for a mid-year report waits for the
    annual one, since that year has none."""
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="recommended", years=2, first_year=2026)
    request.start_date = date(2027, 1, 1)
    request.years[0].requested_amount = Decimal("43750.00")  # 3 months of 175 000 $
    db.session.commit()
    amounts = {y.fiscal_year: y.requested_amount for y in request.years}
    agreement = review.approve(request, amounts, "", actor=officer)
    db.session.commit()

    reports = agreement.current.terms["reports"]
    assert [(r["fiscal_year"], r["kind"], r["period_start"], r["due"]) for r in reports] == [
        ("2026-2027", "annual", "2027-01-01", "2027-06-30"),
        ("2027-2028", "midyear", "2027-04-01", "2027-10-31"),
        ("2027-2028", "annual", "2027-04-01", "2028-06-30"),
    ]
    text = pdf_text(read(agreement.current.pdf))
    assert "31 octobre 2026" not in text and "31 octobre 2027" in text
    assert "du 1er janvier 2027 au 31 mars 2027" in text

    installments = db.session.scalars(
        db.select(Installment).order_by(Installment.fiscal_year, Installment.sequence)
    ).all()
    assert [(i.fiscal_year, i.trigger, i.planned_date) for i in installments][1:] == [
        (Y2026, InstallmentTrigger.ANNUAL_REPORT, date(2027, 7, 31)),
        (Y2027, InstallmentTrigger.YEAR_START, date(2027, 4, 1)),
        (Y2027, InstallmentTrigger.MIDYEAR_REPORT, date(2027, 11, 30)),
    ]
    assert installments[0].trigger == InstallmentTrigger.SIGNATURE
