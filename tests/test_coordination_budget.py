"""The coordination cell's budget by plan axis and measure, and the cumulative aid (issue 11, items 4
and 5): hand-built grants across measures and axes plus other ministries' lines, exact shares, the
floor warning and its audited setting, the CSESM coverage, the CSV exports, the PDF built by the
real Celery worker, and the financial statements the cumulative aid calls for."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from grants.accountability.models import Report
from grants.agreements.obligations import StatementType, agreement_statement, statement_basis, statement_type
from grants.coordination import budget, cumulative_aid
from grants.coordination.models import CoordinationSettings, ExternalFunding, FundingImport
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.jobs import BackgroundJob, JobStatus
from grants.core.roles import StaffRole
from grants.fiscal import FiscalYear
from grants.payments import operations as payments
from grants.payments.models import InstallmentStatus
from grants.payments.workflow import InstallmentEvent
from grants.reference.models import Measure
from grants.reference.queries import current_plan
from tests.conftest import wait_until
from tests.factories import OrganizationFactory, agreement_in_force, staff
from tests.helpers import csrf_token, normalize_spaces

YEAR = FiscalYear(2026)
PLAN = "2026-2029"


def measure(number: str) -> Measure:
    return db.session.execute(
        db.select(Measure).join(Measure.plan).where(Measure.number == number, Measure.plan.has(code=PLAN))
    ).scalar_one()


def external(
    amount: str,
    *,
    measure_number: str | None = None,
    organization=None,
    year: FiscalYear = YEAR,
    record: str | None = None,
) -> ExternalFunding:
    """One imported line of another ministry (its import row made on the fly)."""
    funding_import = db.session.execute(db.select(FundingImport)).scalars().first()
    if funding_import is None:
        funding_import = FundingImport(file_name="autres.csv", sha256="0" * 64)
        db.session.add(funding_import)
        db.session.flush()
    count = db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) or 0
    line = ExternalFunding(
        import_id=funding_import.id,
        record_id=record or f"R-{count + 1}",
        source_ministry="MSSS",
        recipient_name=organization.legal_name if organization else "Organisme externe",
        amount=Decimal(amount),
        start_date=year.start,
        end_date=year.end,
        fiscal_year=year,
        measure_code=measure_number or "",
        measure_id=measure(measure_number).id if measure_number else None,
        organization_id=organization.id if organization else None,
    )
    db.session.add(line)
    db.session.commit()
    return line


def _pay_first(agreement, officer) -> Decimal:
    first = next(
        i
        for i in payments.installments_of(agreement.id, YEAR)
        if i.status in {InstallmentStatus.SCHEDULED, InstallmentStatus.AUTHORIZED}
    )
    if first.status == InstallmentStatus.SCHEDULED:
        payments.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    payments.apply_event(first, InstallmentEvent.PAY, actor=officer, paid_on=date(2026, 5, 1))
    db.session.commit()
    return first.amount


@pytest.fixture
def funded():
    """2026-2027: a TNCES grant of 150 000 $ (its program's measure 10, axis 2, half paid), a
    PQLC grant of 60 000 $ whose request names measures 1 (axis 1) and 19 (axis 4, the victims'
    axis): 30 000 $ each; other ministries: 100 000 $ on measure 1, 10 000 $ on measure 19 and
    5 000 $ with no measure."""
    tnces, officer = agreement_in_force(
        "TNCES", OrganizationFactory(legal_name="Table Alpha"), years=1, amount="150000.00"
    )
    pqlc, _officer = agreement_in_force(
        "PQLC", OrganizationFactory(legal_name="Maison Bêta"), years=1, amount="60000.00"
    )
    pqlc.request.measures = [measure("19"), measure("1")]
    db.session.commit()
    paid = _pay_first(tnces, officer)
    external("100000.00", measure_number="1")
    external("10000.00", measure_number="19")
    external("5000.00")
    return tnces, pqlc, paid


def _period() -> budget.Period:
    return budget.Period(current_plan(YEAR), YEAR)


def _axis(dashboard, number):
    return next(a for a in dashboard.axes if a.axis.number == number)


def test_amounts_by_axis_and_measure_with_exact_shares(funded):
    _tnces, _pqlc, paid = funded
    d = budget.gather(_period())
    # One measure named twice never counts twice: the PQLC grant is split 30 000 / 30 000.
    by_number = {m.measure.number: m for _a, m in d.measures}
    assert by_number["10"].ours == Decimal("150000.00") and by_number["10"].paid == paid
    assert by_number["1"].ours == Decimal("30000.00") and by_number["1"].others == Decimal("100000.00")
    assert by_number["19"].ours == Decimal("30000.00") and by_number["19"].others == Decimal("10000.00")
    assert by_number["12"].committed == 0  # PQLC's own measure: the request's measures win
    assert d.ours == Decimal("210000.00") and d.others == Decimal("110000.00")
    assert d.committed == Decimal("320000.00") and d.paid == paid
    assert d.others_elsewhere == Decimal("5000.00") and d.unattributed == 0
    assert _axis(d, 1).committed == Decimal("130000.00")
    assert _axis(d, 2).committed == Decimal("150000.00")
    assert _axis(d, 4).committed == Decimal("40000.00")
    assert _axis(d, 1).share == Decimal(130000) / Decimal(320000)  # 40,625 %
    assert _axis(d, 4).share == Decimal("0.125")
    assert sum(a.share for a in d.axes) == 1
    assert d.below_floor  # 12,5 % < 20 %
    # The whole plan's period counts the same lines (nothing in 2027-2028 or 2028-2029).
    assert budget.gather(budget.Period(current_plan(YEAR), None)).committed == Decimal("320000.00")
    # Another year has nothing.
    assert budget.gather(budget.Period(current_plan(YEAR), FiscalYear(2027))).committed == 0


def test_split_keeps_every_cent():
    assert budget.split(Decimal("100.00"), 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(budget.split(Decimal("60000.01"), 2)) == Decimal("60000.01")


def _page(client, query: str = "") -> str:
    response = client.get("/cellule/budget/" + query)
    assert response.status_code == 200
    return html.unescape(normalize_spaces(response.get_data(as_text=True)))


def test_the_floor_warning_shows_under_the_floor_and_not_above(funded, client, sign_in):
    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = _page(client, "?exercice=2026")
    assert "Budget par axe et par mesure" in page
    assert "sous le plancher" in page and "12,50 %" in page and "20 %" in page
    assert "<svg" in page and "<desc>" in page and 'class="marker"' in page
    assert "Briser le cycle" not in page or "2021-2026" in page
    assert "1,62 %" in page  # the 2021-2026 plan's real split, victims' axis, beside it
    # 100 000 $ more for the victims' axis: 140 000 / 420 000 = 33,33 %, above the floor.
    external("100000.00", measure_number="19")
    page = _page(client, "?exercice=2026")
    assert "sous le plancher" not in page and "33,33 %" in page
    # English.
    page = _page(client, "?exercice=2026&lang=en")
    assert "Budget by axis and measure" in page and "below the floor" not in page


def test_the_floor_warning_in_english(funded, client, sign_in):
    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = _page(client, "?exercice=2026&lang=en")
    assert "Budget by axis and measure" in page and "below the floor" in page and "12.50%" in page


def test_changing_the_floor_is_audited_and_moves_the_warning(funded, client, sign_in, app):
    cell = staff(StaffRole.COORDINATION_CELL)
    sign_in(cell)
    url = "/cellule/budget/plancher"
    token = csrf_token(client, "/cellule/budget/")
    refused = client.post(url, data={"csrf_token": token, "floor": "120", "exercice": "2026"})
    assert refused.status_code == 422 and "ne dépasse pas 100" in refused.get_data(as_text=True)
    bad = client.post(url, data={"csrf_token": token, "floor": "douze", "exercice": "2026"})
    assert bad.status_code == 422
    done = client.post(url, data={"csrf_token": token, "floor": "10,5", "exercice": "2026"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/cellule/budget/?exercice=2026")
    row = db.session.execute(db.select(CoordinationSettings)).scalar_one()
    assert row.victims_floor_percent == Decimal("10.50") and row.updated_by_id == cell.id
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="coordination.floor_changed")
    ).scalar_one()
    assert entry.actor_id == cell.id
    assert entry.changes == {"victims_floor_percent": ["20.00", "10.50"]}
    page = _page(client, "?exercice=2026")
    assert "sous le plancher" not in page and "atteint le plancher de 10,50 %" in page
    # The same value again changes nothing and writes nothing.
    client.post(url, data={"csrf_token": token, "floor": "10.5", "exercice": "2026"})
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(AuditEntry).filter_by(action="coordination.floor_changed")
        )
        == 1
    )
    # The journal tells it in words (to an administrator, who reads everything).
    reader = sign_in(staff(StaffRole.SYSTEM_ADMIN), target=app.test_client())
    journal = html.unescape(normalize_spaces(reader.get("/journal/").get_data(as_text=True)))
    assert "plancher de l'axe des personnes victimes" in journal


def test_the_coverage_table_lists_answered_and_unanswered_recommendations(funded):
    d = budget.gather(_period())
    funded_measures = {measure(n).id for n in ("1", "10", "19")}
    expected = {r.number for n in ("1", "10", "19") for r in measure(n).recommendations}
    assert {r.number for r in d.answered} == expected
    assert d.recommendations_total == 58
    assert len(d.answered) + len(d.unanswered) == 58
    unanswered = {u.recommendation.number for u in d.unanswered}
    assert not unanswered & expected
    for line in d.unanswered:  # their plan measures, if any, are all unfunded
        assert not {m.id for m in line.measures} & funded_measures
    axis_four = next(c for c in d.coverage if c.axis.number == 4)
    assert axis_four.answered == len({r.number for r in measure("19").recommendations})
    assert axis_four.linked >= axis_four.answered


def _csv(client, name: str, query: str = "?exercice=2026") -> list[list[str]]:
    response = client.get(f"/cellule/budget/{name}.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_each_table_exports_as_csv(funded, client, sign_in):
    sign_in(staff(StaffRole.COORDINATION_CELL))
    axes = _csv(client, "axes")
    assert axes[0][:3] == ["Axe", "Titre", "Axe des personnes victimes"]
    victims = next(row for row in axes if row[0] == "axe-4")
    assert victims[2:7] == ["oui", "30000.00", "10000.00", "40000.00", "12.50"]
    measures = _csv(client, "mesures")
    ten = next(row for row in measures[1:] if row[1] == "10")
    assert ten[3:6] == ["150000.00", "0.00", "150000.00"]
    coverage = _csv(client, "couverture")
    assert coverage[0][2:4] == ["Recommandations visées", "Recommandations financées"]
    unanswered = _csv(client, "sans-reponse")
    assert len(unanswered) - 1 == len(budget.gather(_period()).unanswered)
    assert client.get("/cellule/budget/inconnu.csv").status_code == 404
    english = _csv(client, "axes", "?exercice=2026&lang=en")
    assert english[0][0] == "Axis"


def _pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    text = normalize_spaces("\n".join(page.extract_text() for page in reader.pages))
    return re.sub(r"[ \t]+", " ", text), len(reader.pages)


def test_the_pdf_is_built_by_the_worker_and_reads_back(funded, celery_worker, client, sign_in):
    cell = staff(StaffRole.COORDINATION_CELL)
    sign_in(cell)
    url = "/cellule/budget/rapport"
    assert client.get(url + "?exercice=2026").status_code == 200
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "period": "2026", "language": "fr"}
    )
    assert response.status_code == 303
    job = db.session.execute(db.select(BackgroundJob).filter_by(kind="budget_report")).scalar_one()
    assert job.params == {"plan": PLAN, "period": "2026", "language": "fr"}

    def finished():
        db.session.expire_all()
        found = db.session.get(BackgroundJob, job.id)
        return found if JobStatus(found.status).finished else None

    done = wait_until(finished, timeout=90)
    assert done.status == JobStatus.DONE, done.reason
    page = client.get(url).get_data(as_text=True)
    link = f"/cellule/budget/rapport/{job.id}.pdf"
    assert link in page
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text, pages = _pdf_text(download.data)
    assert "Budget par axe et par mesure" in text and "2026-2027" in text
    assert "sous le plancher" in text
    assert "320 000,00 $" in text and "12,50 %" in text
    assert "réhabilitation" in text and "Recherche" in text  # an axis of each plan
    assert f"page 1 de {pages}" in text
    assert "1,62 %" in text  # the previous plan's split
    # The whole plan, in English, through the same function.
    from grants.coordination.budget_report import render

    english, _pages = _pdf_text(render(budget.Period(current_plan(YEAR), None), language="en"))
    assert "Budget by axis and measure" in english and "below the floor" in english


# -- cumulative aid -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.00", StatementType.COMPILATION),
        ("49999.00", StatementType.COMPILATION),
        ("49999.99", StatementType.COMPILATION),
        ("50000.00", StatementType.REVIEW),
        ("499999.00", StatementType.REVIEW),
        ("499999.99", StatementType.REVIEW),
        ("500000.00", StatementType.AUDIT),
    ],
)
def test_the_three_thresholds(amount, expected):
    assert statement_type(Decimal(amount)) is expected


@pytest.mark.parametrize(
    ("ours", "others", "alone", "together"),
    [
        ("40000.00", "15000.00", StatementType.COMPILATION, StatementType.REVIEW),
        ("175000.00", "400000.00", StatementType.REVIEW, StatementType.AUDIT),
        ("30000.00", "10000.00", StatementType.COMPILATION, StatementType.COMPILATION),
    ],
)
def test_an_agreement_reports_on_the_cumulative_aid(ours, others, alone, together, client, sign_in):
    """The other ministry's line is known before the agreement: its terms, its annual report and
    its page all use the cumulative aid."""
    organization = OrganizationFactory(legal_name="Refuge Gamma")
    external(others, organization=organization)
    agreement, officer = agreement_in_force("TNCES", organization, years=1, amount=ours)
    assert statement_type(Decimal(ours)) is alone
    basis = agreement_statement(agreement, YEAR)
    assert basis.own == Decimal(ours) and basis.cumulative == Decimal(ours) + Decimal(others)
    assert basis.type is together and basis.by_cumulative is (alone is not together)
    assert agreement.current.terms["statement_type"] == together.value
    annual = db.session.execute(
        db.select(Report).filter_by(agreement_id=agreement.id, kind="annual")
    ).scalar_one()
    assert annual.statement_type == together.value
    sign_in(officer)
    page = html.unescape(normalize_spaces(client.get(f"/conventions/{agreement.id}").get_data(as_text=True)))
    assert together.label in page
    total = cumulative_aid.aid_of(organization.id, YEAR).total
    if alone is not together:
        assert "selon l'aide cumulative connue de" in page
        assert f"{total:,.2f}".replace(",", " ").replace(".", ",") + " $" in page
    else:
        assert "selon l'aide cumulative connue de" not in page


def test_a_line_imported_later_updates_the_reports_not_yet_submitted():
    from grants.accountability.operations import schedule_reports

    organization = OrganizationFactory(legal_name="Refuge Delta")
    agreement, _officer = agreement_in_force("TNCES", organization, years=1, amount="45000.00")
    annual = db.session.execute(
        db.select(Report).filter_by(agreement_id=agreement.id, kind="annual")
    ).scalar_one()
    assert annual.statement_type == "compilation"
    external("20000.00", organization=organization)
    changes = schedule_reports(agreement)
    db.session.commit()
    assert annual in changes.updated and annual.statement_type == "review"
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="report.rescheduled", object_id=str(annual.id))
    ).scalar_one()
    assert entry.changes["statement_type"] == ["compilation", "review"]


def test_the_daily_beat_task_brings_known_cumulative_aid_to_the_reports_and_holds_late_ones(app):
    """The daily accountability task (beat, 5 h 30 Quebec time) rebuilds the schedules, so a line
    the cell imported reaches the reports not yet submitted without anyone running a command; then
    it holds the installments of reports late past their grace period; twice changes nothing."""
    from celery.schedules import crontab

    from grants.core import clock
    from workers.celery_app import beat_schedule
    from workers.tasks import daily_accountability

    entry = beat_schedule(app)["daily-accountability"]
    assert entry["task"] == "workers.tasks.daily_accountability" and isinstance(entry["schedule"], crontab)
    organization = OrganizationFactory(legal_name="Refuge Epsilon")
    agreement, _officer = agreement_in_force("TNCES", organization, years=1, amount="45000.00")
    external("20000.00", organization=organization)
    db.session.commit()
    # 15 December 2026: the mid-year report, due 31 October, is past its grace period.
    with clock.frozen(datetime(2026, 12, 15, 5, 30, tzinfo=clock.TIME_ZONE)):
        assert daily_accountability() == {"schedules_changed": 1, "reports_held": 1}
        assert daily_accountability() == {"schedules_changed": 0, "reports_held": 0}
    reports = {r.kind: r for r in db.session.scalars(db.select(Report).filter_by(agreement_id=agreement.id))}
    assert reports["annual"].statement_type == "review"
    assert reports["midyear"].installments_held_at is not None


def test_the_basis_is_the_grant_alone_when_nothing_is_known():
    basis = statement_basis(Decimal("45000.00"), None, YEAR)
    assert basis.cumulative is None and basis.type is StatementType.COMPILATION and not basis.by_cumulative


def test_the_cumulative_aid_page_lists_filters_sorts_and_exports(client, sign_in):
    gamma = OrganizationFactory(legal_name="Refuge Gamma")
    delta = OrganizationFactory(legal_name="Centre Delta")
    agreement_in_force("TNCES", gamma, years=2, amount="40000.00")
    external("15000.00", organization=gamma)
    external("700000.00", organization=delta, year=FiscalYear(2027))
    external("999.00")  # no organization: not in anyone's aid
    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = html.unescape(normalize_spaces(client.get("/cellule/aide-cumulative/").get_data(as_text=True)))
    assert "Aide cumulative par organisme" in page
    assert "55 000,00 $" in page  # Gamma 2026-2027: 40 000 + 15 000
    assert "700 000,00 $" in page and "états financiers audités" in page
    assert "nos seules subventions : états financiers avec mission de compilation" in page
    filtered = html.unescape(
        normalize_spaces(
            client.get("/cellule/aide-cumulative/?exercice=2026-2027&etats=review").get_data(as_text=True)
        )
    )
    assert "Refuge Gamma" in filtered and "Centre Delta" not in filtered
    assert "3 lignes" in page and "1 ligne" in filtered
    response = client.get("/cellule/aide-cumulative/?format=csv&sort=-total")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Organisme", "NEQ", "Exercice financier"]
    assert [r[0] for r in rows[1:]] == ["Centre Delta", "Refuge Gamma", "Refuge Gamma"]
    assert rows[1][3:6] == ["0.00", "700000.00", "700000.00"]
    assert rows[2][2:6] == ["2026-2027", "40000.00", "15000.00", "55000.00"]
    assert rows[2][6] == "états financiers avec mission d'examen"
    bad = client.get("/cellule/aide-cumulative/?exercice=2026-2030&etats=%3D1&sort=nope&page=x")
    assert bad.status_code == 200


def test_every_member_of_the_cell_follows_a_budget_report_s_progress(client, sign_in, app):
    from grants.coordination.budget_report import start_budget_report

    job = start_budget_report(staff(StaffRole.COORDINATION_CELL), "plan")
    db.session.commit()
    sign_in(staff(StaffRole.COORDINATION_CELL))
    assert client.get(f"/taches/{job.id}").status_code == 200
    other = app.test_client()
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"), target=other)
    assert other.get(f"/taches/{job.id}").status_code == 404


def test_the_report_language_is_the_reader_s_unless_they_choose(client, sign_in):
    sign_in(staff(StaffRole.COORDINATION_CELL))
    french = client.get("/cellule/budget/rapport").get_data(as_text=True)
    english = client.get("/cellule/budget/rapport?lang=en").get_data(as_text=True)
    assert re.search(r'<option selected value="fr">Français</option>', french)
    assert re.search(r'<option selected value="en">English</option>', english)
