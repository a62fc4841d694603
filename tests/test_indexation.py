"""Yearly CPI indexation: the TNCES case from preview to notice, compounding, idempotent
application, reversal, exclusions, who may approve, the rate the rule gives, and the CLI.

CPI months after 2026-08 are not published yet: the tests enter hypothetical months by hand
(the administrator's path), chosen so that the 2026 and 2027 annual averages are 166.0 and 170.0.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from grants.agreements.models import Agreement
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.cpi.operations import DEFAULT_SERIES, series_named, set_month
from grants.cpi.rates import MissingMonths, RateMethod
from grants.files.storage import read
from grants.fiscal import FiscalYear
from grants.indexation import operations, queries
from grants.indexation.models import FixedRate, IndexationRun, Rounding, RunStatus
from grants.indexation.notices import send_notices
from grants.indexation.rules import rule_of
from grants.payments.models import Installment
from grants.programs.models import Program
from tests.factories import OrganizationFactory, agreement_in_force, budget_officer, member, staff
from tests.helpers import csrf_token, normalize_spaces

HYPOTHETICAL_MONTHS = {
    "2026-09": "167.4",
    "2026-10": "167.6",
    "2026-11": "167.5",
    "2026-12": "167.3",
    "2027-01": "168.3",
    "2027-02": "168.6",
    "2027-03": "168.9",
    "2027-04": "169.2",
    "2027-05": "169.5",
    "2027-06": "169.8",
    "2027-07": "170.1",
    "2027-08": "170.4",
    "2027-09": "170.7",
    "2027-10": "171.0",
    "2027-11": "171.3",
    "2027-12": "171.6",
}
Y2027, Y2028 = FiscalYear(2027), FiscalYear(2028)


@pytest.fixture
def future_cpi(cpi_sandbox):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    series = series_named(DEFAULT_SERIES)
    for month, value in HYPOTHETICAL_MONTHS.items():
        year, number = map(int, month.split("-"))
        set_month(series, date(year, number, 1), Decimal(value), reason="valeur d'essai", actor=admin)
    db.session.commit()


def _tnces() -> Program:
    return db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()


def _run_through(year: FiscalYear, officer, authorized) -> IndexationRun:
    run = operations.create_run(_tnces(), year, actor=officer)
    operations.approve(run, actor=authorized)
    assert operations.apply(run, actor=officer) is True
    db.session.commit()
    return db.session.get(IndexationRun, run.id)


def _amounts(agreement_id: int) -> dict[str, Decimal]:
    db.session.expire_all()
    return {str(y.fiscal_year): y.amount for y in db.session.get(Agreement, agreement_id).years}


def _installments(agreement_id: int, year: FiscalYear) -> list[Decimal]:
    return list(
        db.session.scalars(
            db.select(Installment.amount)
            .filter_by(agreement_id=agreement_id, fiscal_year=year)
            .where(Installment.status != "cancelled")
            .order_by(Installment.sequence)
        )
    )


def test_the_default_rule_is_the_annual_average_to_the_dollar_floored():
    rule = rule_of(_tnces())
    assert (rule.method, rule.rounding, rule.floor_at_zero, rule.decimals) == (
        RateMethod.ANNUAL_AVERAGE,
        Rounding.DOLLAR,
        True,
        1,
    )
    assert rule.series.name == DEFAULT_SERIES


def test_a_rate_needing_unpublished_months_is_refused_not_guessed(app):
    agreement_in_force()
    with pytest.raises(MissingMonths) as missing:
        operations.preview(_tnces(), Y2027)
    assert "septembre 2026, octobre 2026, novembre 2026, décembre 2026" in missing.value.message
    result = app.test_cli_runner().invoke(
        args=["indexation", "preview", "--program", "TNCES", "--fiscal-year", "2027-2028"]
    )
    assert result.exit_code == 1 and "décembre 2026" in result.output and "2026-12" not in result.output


def test_tnces_is_indexed_year_after_year_and_shown_identically_everywhere(app, future_cpi, client, sign_in):
    agreement, officer = agreement_in_force(years=5)
    authorized = budget_officer("TNCES")

    rate, lines = operations.preview(_tnces(), Y2027)
    assert rate.percent == Decimal("3.1")  # annual averages 2025 161.0 → 2026 166.0
    assert [(i.label, i.value) for i in rate.inputs] == [
        ("Moyenne 2025", Decimal("161.0")),
        ("Moyenne 2026", Decimal("166.0")),
    ]
    (line,) = lines
    assert (line.base_amount, line.indexed_on, line.new_amount, line.difference) == (
        Decimal("175000.00"),
        Decimal("175000.00"),
        Decimal("180425.00"),
        Decimal("5425.00"),
    )

    # The CLI prints the same line.
    result = app.test_cli_runner().invoke(
        args=["indexation", "preview", "--program", "TNCES", "--fiscal-year", "2027-2028", "--csv"]
    )
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[1][1:6] == [agreement.number, "175000.00", "3.1", "180425.00", "5425.00"]

    first = _run_through(Y2027, officer, authorized)
    assert _amounts(agreement.id)["2027-2028"] == Decimal("180425.00")
    assert _installments(agreement.id, Y2027) == [Decimal("90212.50"), Decimal("90212.50")]
    # 2026-2027 and the later years have not moved.
    assert _amounts(agreement.id)["2026-2027"] == Decimal("175000.00")

    # Compounding: 2028-2029 is indexed on 2027-2028's indexed amount (2027 over 2026: 2.4 %).
    second = _run_through(Y2028, officer, authorized)
    assert second.rate_percent == Decimal("2.4")
    assert _amounts(agreement.id)["2028-2029"] == Decimal("184755.00")  # 180 425 × 1,024 = 184 755,20

    # The notices (built by the Celery task's function) say the same amounts.
    assert send_notices(first.id) == 1 and send_notices(first.id) == 0
    db.session.expire_all()
    notice = db.session.get(IndexationRun, first.id).lines[0].notice
    text = normalize_spaces(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(read(notice))).pages))
    assert "180 425,00 $" in text and "3,1 %" in text and "2027-2028" in text and "166" in text
    assert "90 212,50 $" in text

    # The agreement page (officer and organization) and the payment schedule show them too.
    sign_in(member(MemberRole.READ_ONLY, organization=agreement.organization))
    page = normalize_spaces(client.get(f"/conventions/{agreement.id}").get_data(as_text=True))
    assert "180 425,00 $" in page and "184 755,00 $" in page and "3,1 %" in page and "90 212,50 $" in page
    assert (
        client.get(f"/indexation/avis/{db.session.get(IndexationRun, first.id).lines[0].id}.pdf").status_code
        == 200
    )


def test_applying_twice_changes_nothing_and_reversal_keeps_both_in_the_audit(future_cpi):
    agreement, officer = agreement_in_force(years=3)
    authorized = budget_officer("TNCES")
    run = _run_through(Y2027, officer, authorized)
    entries = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    assert operations.apply(run, actor=officer) is False
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == entries
    assert _amounts(agreement.id)["2027-2028"] == Decimal("180425.00")

    later = _run_through(Y2028, officer, authorized)
    with pytest.raises(operations.RunRefused) as refused:
        operations.reverse(db.session.get(IndexationRun, run.id), reason="Erreur", actor=authorized)
    assert "exercice suivant" in refused.value.message
    db.session.rollback()
    operations.reverse(db.session.get(IndexationRun, later.id), reason="Taux à revoir", actor=authorized)
    operations.reverse(db.session.get(IndexationRun, run.id), reason="Taux à revoir", actor=authorized)
    db.session.commit()
    assert _amounts(agreement.id) == {
        "2026-2027": Decimal("175000.00"),
        "2027-2028": Decimal("175000.00"),
        "2028-2029": Decimal("175000.00"),
    }
    assert _installments(agreement.id, Y2027) == [Decimal("87500.00"), Decimal("87500.00")]
    actions = list(
        db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.action.like("indexation.%")))
    )
    assert actions.count("indexation.applied") == 2 and actions.count("indexation.reversed") == 2
    indexed = db.session.scalars(
        db.select(AuditEntry).filter_by(action="agreement.indexed", object_id=str(agreement.id))
    )
    assert next(e.changes["amount"] for e in indexed) == ["175000.00", "180425.00"]
    # A new run can be prepared after a reversal.
    assert operations.create_run(_tnces(), Y2027, actor=officer).status == RunStatus.PREVIEWED


def test_exclusions_say_why(future_cpi):
    agreement_in_force(organization=OrganizationFactory(legal_name="A en vigueur"), years=2)
    agreement_in_force(organization=OrganizationFactory(legal_name="B commence"), first_year=2027, years=2)
    unsigned, _ = agreement_in_force(organization=OrganizationFactory(legal_name="C non signée"), years=2)
    unsigned.signed_at = None
    db.session.commit()
    _, lines = operations.preview(_tnces(), Y2027)
    assert [(line.organization, line.excluded_reason) for line in lines] == [
        ("A en vigueur", ""),
        ("B commence", "first_year"),
        ("C non signée", "not_in_force"),
    ]
    assert "Première année" in lines[1].excluded_label


def test_only_an_authorized_officer_approves_and_a_second_live_run_is_refused(future_cpi):
    _, officer = agreement_in_force(years=2)
    run = operations.create_run(_tnces(), Y2027, actor=officer)
    db.session.commit()
    with pytest.raises(operations.RunRefused):
        operations.approve(run, actor=officer)
    with pytest.raises(operations.RunRefused):
        operations.apply(run, actor=officer)  # not approved yet
    db.session.rollback()
    with pytest.raises(operations.RunRefused) as refused:
        operations.create_run(_tnces(), Y2027, actor=officer)
    assert "existe déjà" in refused.value.message
    other = staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT")
    with pytest.raises(operations.RunRefused):
        operations.create_run(_tnces(), Y2028, actor=other)


def test_an_amount_changed_after_the_preview_stops_the_application(future_cpi):
    agreement, officer = agreement_in_force(years=2)
    authorized = budget_officer("TNCES")
    run = operations.create_run(_tnces(), Y2027, actor=officer)
    operations.approve(run, actor=authorized)
    db.session.commit()
    agreement.year(Y2027).amount = Decimal("150000.00")
    db.session.commit()
    with pytest.raises(operations.RunRefused) as refused:
        operations.apply(db.session.get(IndexationRun, run.id), actor=officer)
    assert agreement.number in refused.value.message


def test_cent_rounding_a_fixed_rate_and_the_floor(cpi_sandbox):
    _agreement, _officer = agreement_in_force(years=2, amount="123456.78")
    rule = rule_of(_tnces())
    rule.method, rule.rounding = RateMethod.FIXED, Rounding.CENT
    db.session.add(
        FixedRate(
            rule=rule,
            fiscal_year=Y2027,
            percent=Decimal("2.1"),
            decided_on=date(2027, 3, 1),
            source="Taux PSOC 2027-2028 (essai)",
        )
    )
    db.session.add(
        FixedRate(rule=rule, fiscal_year=Y2028, percent=Decimal("-0.5"), decided_on=date(2028, 3, 1))
    )
    db.session.commit()
    rate, (line,) = operations.preview(_tnces(), Y2027)
    assert rate.percent == Decimal("2.1") and line.new_amount == Decimal("126049.37")  # 123 456,78 × 1,021
    rate, _ = operations.preview(_tnces(), Y2028)
    assert rate.percent == 0 and rate.floored


def test_officer_pages_preview_approve_apply_and_csv(client, sign_in, future_cpi, app):
    agreement, _ = agreement_in_force(years=2)
    authorized = budget_officer("TNCES")
    sign_in(authorized)
    page = normalize_spaces(
        client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028").get_data(as_text=True)
    )
    assert "3,1 %" in page and "180 425,00 $" in page and "Moyenne 2026" in page
    token = csrf_token(client, "/indexation/")
    response = client.post(
        "/indexation/executions", data={"csrf_token": token, "program": "TNCES", "fiscal_year": "2027-2028"}
    )
    assert response.status_code == 302
    run_url = response.headers["Location"]
    run = db.session.scalars(db.select(IndexationRun)).one()
    for step in ("approuver", "appliquer"):
        db.session.expire_all()
        version = db.session.get(IndexationRun, run.id).version
        response = client.post(
            f"{run_url}/{step}", data={"csrf_token": csrf_token(client, run_url), "version": str(version)}
        )
        assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(IndexationRun, run.id).status == RunStatus.APPLIED
    assert _amounts(agreement.id)["2027-2028"] == Decimal("180425.00")
    exported = client.get(f"{run_url}?format=csv").get_data(as_text=True).lstrip("\ufeff")
    assert "180425.00" in exported and agreement.number in exported
    # A missing-month preview is a page that names the months, not an error.
    response = client.get("/indexation/apercu?program=TNCES&fiscal_year=2029-2030")
    assert response.status_code == 422 and "janvier 2028" in response.get_data(as_text=True)


def test_another_organization_gets_404_for_a_notice(future_cpi, client, sign_in):
    _agreement, officer = agreement_in_force(years=2)
    run = _run_through(Y2027, officer, budget_officer("TNCES"))
    send_notices(run.id)
    db.session.expire_all()
    line_id = db.session.get(IndexationRun, run.id).lines[0].id
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=OrganizationFactory()))
    assert client.get(f"/indexation/avis/{line_id}.pdf").status_code == 404
    assert client.get(f"/indexation/executions/{run.id}").status_code == 403  # a staff page


def test_application_sends_each_notice_by_celery_in_the_recipients_language(
    future_cpi, celery_worker, mailbox
):
    organization = OrganizationFactory(legal_name="Table nationale d'essai")
    reader = member(MemberRole.ACCOUNT_ADMIN, organization=organization, preferred_language="en")
    agreement, officer = agreement_in_force(organization=organization, years=2)
    run = _run_through(Y2027, officer, budget_officer("TNCES"))
    from grants.indexation.notices import dispatch_notices

    dispatch_notices(run.id)
    message = mailbox.wait_for(reader.email, subject_contains="indexation notice")
    assert agreement.number in message["Subject"]
    body = normalize_spaces(message.get_body(("plain",)).get_content())
    assert "$180,425.00" in body and "3.1%" in body
    (attachment,) = list(message.iter_attachments())
    text = normalize_spaces(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
    )
    assert "180 425,00 $" in text and "Avis d'indexation" in text


def test_the_rule_page_changes_the_rule_and_records_fixed_rates(client, sign_in, cpi_sandbox):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    sign_in(officer)
    url = "/indexation/programmes/TNCES/regle"
    page = client.get(url).get_data(as_text=True)
    assert "Seul·e un·e agent·e autorisé·e" in page
    assert (
        client.post(url, data={"csrf_token": csrf_token(client, url), "method": "fixed"}).status_code == 404
    )

    authorized = budget_officer("TNCES")
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, url)})
    sign_in(authorized)
    series_id = str(series_named(DEFAULT_SERIES).id)
    bad = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "method": "twelve-month",
            "series_id": series_id,
            "reference_month": "13",
            "rounding": "cent",
            "decimals": "2",
        },
    )
    assert bad.status_code == 422 and "Un mois de 1 à 12." in bad.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "method": "twelve-month",
            "series_id": series_id,
            "reference_month": "3",
            "rounding": "cent",
            "decimals": "2",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    rule = rule_of(_tnces())
    assert (rule.method, rule.reference_month, rule.rounding, rule.floor_at_zero, rule.decimals) == (
        "twelve-month",
        3,
        "cent",
        False,
        2,
    )
    # 12-month change to March before 1 April 2026: March 2026 over March 2025.
    rate, _ = operations.preview(_tnces(), FiscalYear(2026))
    assert [i.label for i in rate.inputs] == ["mars 2025", "mars 2026"] and rate.percent == Decimal("2.88")
    changed = db.session.scalars(db.select(AuditEntry).filter_by(action="indexation.rule_changed")).one()
    assert changed.changes["method"] == ["annual-average", "twelve-month"]

    bad_rate = client.post(
        "/indexation/programmes/TNCES/taux-fixes",
        data={
            "csrf_token": csrf_token(client, url),
            "fixed-fiscal_year": "2026-2027",
            "fixed-percent": "beaucoup",
            "fixed-source": "Essai",
        },
    )
    assert bad_rate.status_code == 422 and "par exemple 2,1" in bad_rate.get_data(as_text=True)
    bad_year = client.get("/indexation/apercu?program=TNCES&fiscal_year=2027")
    assert bad_year.status_code == 302
    assert "2027-2028" in client.get(bad_year.headers["Location"]).get_data(as_text=True)
    response = client.post(
        "/indexation/programmes/TNCES/taux-fixes",
        data={
            "csrf_token": csrf_token(client, url),
            "fixed-fiscal_year": "2026-2027",
            "fixed-percent": "2,1",
            "fixed-source": "Taux PSOC 2026-2027",
        },
    )
    assert response.status_code == 302
    assert "2,10 %" in normalize_spaces(client.get(url).get_data(as_text=True))


def test_fixed_indexation_rates_refuse_absurd_values_and_a_bad_stored_one_breaks_no_page(
    app, client, sign_in, cpi_sandbox
):
    """Issue 12, item 5: −100, 1000, ∞, NaN and 40-digit rates are refused with a message (in the
    user's language); a rate stored before the bounds existed is shown as such on the rule page,
    refused by the preview (page and CLI) with its year named, and corrected from the rule page."""
    agreement_in_force(years=2)
    rule = rule_of(_tnces())
    rule.method = RateMethod.FIXED
    db.session.add(
        FixedRate(rule=rule, fiscal_year=Y2027, percent=Decimal("1000"), decided_on=date(2026, 1, 5))
    )
    db.session.add(
        FixedRate(rule=rule, fiscal_year=Y2028, percent=Decimal("NaN"), decided_on=date(2026, 1, 5))
    )
    db.session.commit()
    authorized = budget_officer("TNCES")
    sign_in(authorized)
    url = "/indexation/programmes/TNCES/regle"

    page = client.get(url)
    assert page.status_code == 200
    assert normalize_spaces(page.get_data(as_text=True)).count("Ce taux ne peut pas être appliqué.") == 2
    preview = client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028")
    text = normalize_spaces(preview.get_data(as_text=True))
    assert preview.status_code == 422 and "Le taux fixé pour 2027-2028 ne peut pas être appliqué" in text
    assert client.get("/indexation/apercu?program=TNCES&fiscal_year=2028-2029").status_code == 422
    result = app.test_cli_runner().invoke(
        args=["indexation", "preview", "--program", "TNCES", "--fiscal-year", "2028-2029"]
    )
    assert result.exit_code == 1 and "2028-2029" in result.output

    refused = {
        "-100": "Le taux doit être un nombre de -10 % à 20 %.",
        "1000": "Le taux doit être un nombre de -10 % à 20 %.",
        "1" * 40: "Le taux doit être un nombre de -10 % à 20 %.",
        "inf": "par exemple 2,1",
        "∞": "par exemple 2,1",
        "NaN": "par exemple 2,1",
        "2,1234": "au plus trois décimales",
    }
    for typed, message in refused.items():
        response = client.post(
            "/indexation/programmes/TNCES/taux-fixes",
            data={
                "csrf_token": csrf_token(client, url),
                "fixed-fiscal_year": "2027-2028",
                "fixed-percent": typed,
                "fixed-source": "Essai",
            },
        )
        assert response.status_code == 422, typed
        assert message in normalize_spaces(response.get_data(as_text=True)), typed
    db.session.expire_all()
    assert db.session.scalars(db.select(FixedRate.percent).filter_by(fiscal_year=Y2027)).one() == Decimal(
        "1000"
    )

    # Corrected from the rule page: the preview works again.
    response = client.post(
        "/indexation/programmes/TNCES/taux-fixes",
        data={
            "csrf_token": csrf_token(client, url),
            "fixed-fiscal_year": "2027-2028",
            "fixed-percent": "-0,5",
            "fixed-source": "Décision corrigée",
        },
    )
    assert response.status_code == 302
    assert client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028").status_code == 200
    page = normalize_spaces(client.get(url).get_data(as_text=True))
    assert page.count("Ce taux ne peut pas être appliqué.") == 1

    # In English for an English-speaking officer.
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, url)})
    sign_in(budget_officer("TNCES", preferred_language="en"))
    response = client.post(
        "/indexation/programmes/TNCES/taux-fixes",
        data={
            "csrf_token": csrf_token(client, url),
            "fixed-fiscal_year": "2028-2029",
            "fixed-percent": "1e40",
            "fixed-source": "Test",
        },
    )
    assert response.status_code == 422
    assert "The rate must be a number from -10% to 20%." in normalize_spaces(response.get_data(as_text=True))


def test_a_preview_of_an_applied_year_shows_the_applied_run_and_does_not_compound_again(
    app, future_cpi, client, sign_in
):
    """Issue 12, item 7: previewing 2027-2028 once it is applied indexed 180 425 $ a second time
    (→ 186 018 $) with exit 0. The page now shows the applied run and its figures; the CLI says the
    year is applied, prints the applied figures and exits with status 3."""
    _agreement, officer = agreement_in_force(years=3)
    authorized = budget_officer("TNCES")
    run = _run_through(Y2027, officer, authorized)
    with pytest.raises(operations.AlreadyApplied) as applied:
        operations.preview(_tnces(), Y2027)
    assert applied.value.run.id == run.id

    sign_in(authorized)
    response = client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/indexation/executions/{run.id}")
    page = normalize_spaces(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "est déjà appliquée (taux de 3,1 %" in page
    assert "180 425,00 $" in page and "186 018" not in page
    exported = client.get("/indexation/apercu?program=TNCES&fiscal_year=2027-2028&format=csv")
    assert exported.status_code == 303 and "format=csv" in exported.headers["Location"]

    result = app.test_cli_runner().invoke(
        args=["indexation", "preview", "--program", "TNCES", "--fiscal-year", "2027-2028", "--csv"]
    )
    assert result.exit_code == 3
    assert "already applied" in result.output
    assert "180425.00" in result.output and "186018" not in result.output
    # The next year still previews, compounding once on the applied amount.
    _rate, (line,) = operations.preview(_tnces(), Y2028)
    assert line.new_amount == Decimal("184755.00")


def test_a_run_status_changes_only_through_its_state_table(future_cpi):
    """`IndexationRun.status` is guarded: a direct write raises, nothing reaches the database; a move
    the table does not list is refused in words; the steps go through `RUNS` and stay audited."""
    from grants.core.workflow import StatusWriteRefused

    _agreement, officer = agreement_in_force(years=2)
    authorized = budget_officer("TNCES")
    run = operations.create_run(_tnces(), Y2027, actor=officer)
    db.session.commit()
    with pytest.raises(StatusWriteRefused, match="only through its workflow"):
        run.status = RunStatus.APPLIED
    assert run.status == RunStatus.PREVIEWED
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(IndexationRun, run.id).status == RunStatus.PREVIEWED
    with pytest.raises(operations.RunRefused) as refused:
        operations.reverse(run, reason="essai", actor=authorized)  # not applied: not in the table
    assert "Aperçu à approuver" in refused.value.message
    operations.approve(run, actor=authorized)
    operations.cancel(run, actor=officer)
    db.session.commit()
    steps = db.session.scalars(
        db.select(AuditEntry.changes)
        .where(AuditEntry.object_type == "IndexationRun", AuditEntry.object_id == str(run.id))
        .where(AuditEntry.action.in_(["indexation.approved", "indexation.cancelled"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [entry["status"] for entry in steps] == [["previewed", "approved"], ["approved", "cancelled"]]


def test_only_kept_lines_are_indexed_in_python_and_in_sql(future_cpi):
    """`IndexationLine.is_kept` is one predicate, read on a line and used in a query alike."""
    from grants.indexation.models import IndexationLine

    agreement_in_force(years=2)
    _agreement, officer = agreement_in_force(first_year=2027, years=2)  # first year: left out
    run = operations.create_run(_tnces(), Y2027, actor=officer)
    db.session.commit()
    kept_in_sql = set(
        db.session.scalars(
            db.select(IndexationLine.id).where(IndexationLine.run_id == run.id, IndexationLine.is_kept)
        )
    )
    lines = db.session.get(IndexationRun, run.id).lines
    assert kept_in_sql == {line.id for line in lines if line.is_kept}
    assert len(kept_in_sql) == 1 and len(lines) == 2
    assert queries.run_totals(run).indexed == 1


def test_run_pages_refuse_a_missing_token_and_a_stale_version(client, sign_in, future_cpi):
    """Preparing a run is a WTForms form (CSRF through Flask-WTF): without its token nothing is
    created. A step sent from a page whose version is stale is refused with the one concurrency
    message, and the run stays where it was."""
    from grants.core.concurrency import MESSAGE  # the one message of a concurrent change

    agreement_in_force(years=2)
    sign_in(budget_officer("TNCES"))
    fields = {"program": "TNCES", "fiscal_year": "2027-2028"}
    refused = client.post("/indexation/executions", data=fields)
    assert refused.status_code == 400 and "Formulaire expiré" in refused.get_data(as_text=True)
    assert db.session.scalars(db.select(IndexationRun)).first() is None
    response = client.post(
        "/indexation/executions", data={"csrf_token": csrf_token(client, "/indexation/"), **fields}
    )
    run_url = response.headers["Location"]
    run = db.session.scalars(db.select(IndexationRun)).one()
    stale = {"csrf_token": csrf_token(client, run_url), "version": str(run.version + 1)}
    page = client.post(f"{run_url}/approuver", data=stale, follow_redirects=True).get_data(as_text=True)
    assert "pendant que vous le consultiez" in page and "pendant que vous le consultiez" in str(MESSAGE)
    db.session.expire_all()
    assert db.session.get(IndexationRun, run.id).status == RunStatus.PREVIEWED


def test_the_sweep_finds_applied_runs_whose_notices_are_missing(future_cpi):
    """The beat's sweep (workers.tasks.sweep_indexation_notices) asks `runs_missing_notices`: an
    applied run with an indexed line without its notice, until the notices are built."""
    from grants.indexation.notices import runs_missing_notices

    _agreement, officer = agreement_in_force(years=2)
    agreement_in_force(first_year=2027, years=2)  # left out: never a notice
    run = _run_through(Y2027, officer, budget_officer("TNCES"))
    assert runs_missing_notices() == [run.id]
    assert send_notices(run.id) == 1
    assert runs_missing_notices() == []


def _default_preview_year(client) -> str:
    import re

    page = client.get("/indexation/").get_data(as_text=True)
    return re.search(r'id="fiscal_year" name="fiscal_year" value="([^"]+)"', page).group(1)


def test_the_preview_s_default_year_is_one_the_rule_can_compute(client, sign_in, cpi_sandbox):
    """Issue 13, item 16: the year the form offers first gives a preview, not "months missing";
    once the months of the next year are published, the next year is offered."""
    from grants.core.clock import current_fiscal_year

    agreement_in_force(years=2)
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    next_year = str(current_fiscal_year().next())
    if client.get(f"/indexation/apercu?program=TNCES&fiscal_year={next_year}").status_code == 200:
        pytest.skip("the shipped CPI series already covers the next year")
    offered = _default_preview_year(client)
    assert offered != next_year
    assert client.get(f"/indexation/apercu?program=TNCES&fiscal_year={offered}").status_code == 200

    admin = staff(StaffRole.SYSTEM_ADMIN)
    series = series_named(DEFAULT_SERIES)
    for month, value in HYPOTHETICAL_MONTHS.items():
        year, number = map(int, month.split("-"))
        set_month(series, date(year, number, 1), Decimal(value), reason="valeur d'essai", actor=admin)
    db.session.commit()
    if FiscalYear.parse(next_year) <= Y2028:
        assert _default_preview_year(client) == next_year


@pytest.mark.parametrize(
    ("lang", "months"),
    [
        ("", "septembre 2026, octobre 2026, novembre 2026, décembre 2026"),
        ("&lang=en", "September 2026, October 2026, November 2026, December 2026"),
    ],
)
def test_the_preview_names_unpublished_months_in_words(client, sign_in, lang, months):
    """The preview read « n'a pas encore ces mois : 2026-09, … »: months are said in the reader's
    language, as everywhere (`formatting.month_name`)."""
    agreement_in_force()
    sign_in(budget_officer("TNCES"))
    response = client.get(f"/indexation/apercu?program=TNCES&fiscal_year=2027-2028{lang}")
    page = normalize_spaces(html.unescape(response.get_data(as_text=True)))
    assert response.status_code == 422 and months in page and "2026-09" not in page
