"""Demo accountability: the nine regional tables funded by TRCES from 1 April 2026, their mid-year
reports in every state (to do, draft, submitted, changes requested, accepted, late), the TNCES
annual report of 2025-2026 late with its installments held, and people reached with a few small
counts, so the TRCES program report of 2026-2027 shows suppressed cells (`< 5`, `x`).

Everything goes through the real operations, at the moments it would have happened (the clock is
frozen at each: agreements signed in April 2026, reports submitted around 31 October 2026).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from grants.accountability import operations as reports
from grants.accountability import reminders
from grants.accountability.models import Report, ReportSection
from grants.accountability.queries import indicators_of, settings_for
from grants.accountability.validation import approved_by_category, variables_for
from grants.accounts.models import User
from grants.agreements.models import Agreement
from grants.core import clock
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.payments import operations as payments
from grants.payments.models import InstallmentStatus
from grants.payments.workflow import InstallmentEvent
from grants.programs.models import Program

YEAR = FiscalYear(2026)
SIGNED_ON = date(2026, 4, 15)


@dataclass(frozen=True)
class TableScenario:
    """What one regional table's mid-year report 2026-2027 shows on the demo."""

    state: str  # accepted, submitted, changes_requested, draft, to_do
    submitted_on: date | None = None
    gender: tuple[int, int, int] = (0, 0, 0)  # men+, women+, non-binary people+
    first_nations: int = 0


# One scenario per table of data/regional_tables.csv, in its order. The small counts (non-binary
# people, First Nations) are what the program report suppresses.
SCENARIOS = (
    TableScenario("accepted", date(2026, 10, 24), (18, 31, 2), first_nations=3),
    TableScenario("accepted", date(2026, 10, 30), (12, 22, 0)),
    TableScenario("accepted", date(2026, 10, 17), (9, 16, 6), first_nations=7),
    TableScenario("submitted", date(2026, 11, 9), (14, 20, 1)),  # late, waiting for review
    TableScenario("changes_requested", date(2026, 10, 28), (7, 11, 0)),
    TableScenario("draft"),  # started, still not submitted: late
    TableScenario("submitted", date(2026, 10, 31), (20, 26, 3)),
    TableScenario("to_do"),  # late, untouched
    TableScenario("to_do"),
)
AMOUNTS = [Decimal("125000.00")] * 8 + [Decimal("85596.00")]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.TIME_ZONE).astimezone(UTC)


def seed_demo_reports(
    *,
    tables: list[Organization],
    programs: dict[str, Program],
    officer: User,
    signatory: User,
    tnces_signatory: User,
    agreement_factory,  # type: ignore[no-untyped-def]
) -> None:
    """Fund the regional tables, fill their mid-year reports and hold the late TNCES report's
    installments. `agreement_factory(organization, program, first, years, amount, officer=,
    signatory=)` is the demo's way to an agreement in force (grants.demo.seed)."""
    trces = programs["TRCES"]
    with clock.frozen(_moment(SIGNED_ON)):
        agreements = [
            agreement_factory(table, trces, YEAR, 3, amount, officer=officer, signatory=signatory)
            for table, amount in zip(tables, AMOUNTS, strict=False)
        ]
        db.session.flush()
        for agreement in agreements:
            _pay_first_installment(agreement, officer)
    for agreement, scenario in zip(agreements, SCENARIOS, strict=False):
        report = _midyear(agreement)
        _play(report, scenario, author=signatory, officer=officer)
    _late_tnces_report(programs["TNCES"], tnces_signatory, officer)
    _program_report_ready(trces, officer)
    # Reports still not in by today get the overdue notice of their step, as the daily scan would
    # send it; the outbox sweep of `make run` delivers them and each report page lists them.
    reminders.scan(dispatch=False)


def _midyear(agreement: Agreement) -> Report:
    return db.session.execute(
        db.select(Report).filter_by(agreement_id=agreement.id, kind="midyear", fiscal_year=YEAR)
    ).scalar_one()


def _pay_first_installment(agreement: Agreement, officer: User) -> None:
    """The installment due at signature, paid (so the program report has money paid)."""
    for installment in payments.installments_of(agreement.id, YEAR):
        if installment.status == InstallmentStatus.SCHEDULED and installment.planned_date == SIGNED_ON:
            payments.apply_event(installment, InstallmentEvent.AUTHORIZE, actor=officer)
        if installment.status == InstallmentStatus.AUTHORIZED:
            payments.apply_event(
                installment, InstallmentEvent.PAY, actor=officer, paid_on=SIGNED_ON, payment_reference="DEMO"
            )
            return


def _play(report: Report, scenario: TableScenario, *, author: User, officer: User) -> None:
    if scenario.state == "to_do":
        return
    if scenario.state == "draft":
        with clock.frozen(_moment(date(2026, 10, 20))):
            reports.save_activities(
                report,
                activities="Deux rencontres de la table ; préparation d'une formation régionale.",
                results="",
                actor=author,
            )
        return
    assert scenario.submitted_on is not None
    with clock.frozen(_moment(scenario.submitted_on - timedelta(days=3))):
        _fill(report, scenario, author)
    with clock.frozen(_moment(scenario.submitted_on, 15)):
        reports.submit(report.id, actor=author)
    reviewed_on = max(scenario.submitted_on, date(2026, 11, 3)) + timedelta(days=2)
    with clock.frozen(_moment(reviewed_on)):
        if scenario.state == "accepted":
            reports.accept(report, actor=officer)
        elif scenario.state == "changes_requested":
            reports.request_changes(
                report,
                {
                    ReportSection.FINANCES: "Les dépenses de salaires dépassent le budget approuvé : "
                    "ajoutez une explication ou corrigez les montants."
                },
                actor=officer,
            )


def _fill(report: Report, scenario: TableScenario, author: User) -> None:
    """Every section of a mid-year report, through the real operations."""
    reports.save_activities(
        report,
        activities="Rencontres régulières de la table, formation des intervenantes et intervenants, "
        "campagne de sensibilisation auprès des jeunes.",
        results="Les objectifs de la période sont atteints ; la campagne se poursuit à l'automne.",
        actor=author,
    )
    reports.save_indicators(
        report,
        {
            indicator.id: reports.IndicatorEntry(Decimal(3 + index * 2))
            for index, indicator in enumerate(indicators_of(report.program_id))
        },
        actor=author,
    )
    reports.save_finances(
        report,
        {
            category: reports.FinanceEntry(amount, Decimal(0))
            for category, amount in approved_by_category(report).items()
        },
        explanation="",
        actor=author,
    )
    men, women, non_binary = scenario.gender
    people = men + women + non_binary
    region = report.organization.region_code or "06"
    half = people // 2
    counts: dict[str, dict[str, int]] = {
        "gender": {"man": men, "woman": women, "non_binary": non_binary},
        "age_group": {"12_17": half, "18_24": people - half},
        "indigenous_identity": {
            "first_nations": scenario.first_nations,
            "non_indigenous": people - scenario.first_nations,
        },
        "region": {region: people},
    }
    wanted = {v.code for v in variables_for(settings_for(report.program_id))}
    for variable in variables_for(settings_for(report.program_id)):
        if variable.code not in counts:
            counts[variable.code] = {"not_collected": people}
    counts = {code: values for code, values in counts.items() if code in wanted}
    reports.save_people(report, reports.PeopleData(people, counts, {}), actor=author)


def _late_tnces_report(program: Program, signatory: User, officer: User) -> None:
    """The TNCES 2025-2026 mid-year report accepted; its annual report, due 30 June 2026, still
    not in: it holds the agreement's next installments (the daily job's rule, run once here)."""
    agreement = db.session.execute(db.select(Agreement).filter_by(program_id=program.id)).scalars().first()
    if agreement is None:
        return
    midyear = db.session.execute(
        db.select(Report).filter_by(agreement_id=agreement.id, kind="midyear", fiscal_year=FiscalYear(2025))
    ).scalar_one_or_none()
    if midyear is not None:
        scenario = TableScenario("accepted", date(2025, 10, 29), (21, 34, 2))
        with clock.frozen(_moment(date(2025, 10, 20))):
            _fill(midyear, scenario, signatory)
        with clock.frozen(_moment(date(2025, 10, 29))):
            reports.submit(midyear.id, actor=signatory)
        with clock.frozen(_moment(date(2025, 11, 12))):
            reports.accept(midyear, actor=officer)
    reports.hold_late_reports(actor=None)


def _program_report_ready(program: Program, officer: User) -> None:
    """The TRCES program report of 2026-2027 already built (as the Celery task builds it), so the
    officer's page has a file to download: its organizations × gender table hides small counts."""
    from grants.accountability import program_report
    from grants.core import jobs
    from grants.files.storage import store

    job = jobs.start_job(
        program_report.JOB_KIND,
        requested_by=officer,
        program_id=program.id,
        params={"fiscal_year": YEAR.start_year, "language": "fr"},
        total=program_report.STEPS,
    )
    data = program_report.render(program, YEAR, language="fr")
    stored = store(
        data,
        original_name=program_report.file_name(program, YEAR, "fr"),
        media_type="application/pdf",
    )
    jobs.finish(job, result_file_id=stored.id, actor=officer)
