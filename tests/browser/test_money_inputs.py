"""Issue 12, item 2, in headless Chromium: amounts typed the Quebec way in the money inputs are
read as typed (a `type="number"` box dropped the comma: `50 000,00` became 5 000 000 $), the
English way is refused with a message in the interface's language, and nothing out of bounds
is saved."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from grants.calls.models import Call
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.programs.models import ProgramEnvelope
from grants.requests.models import FundingRequest
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, OrganizationFactory, funding_request, member, program, staff

pytestmark = pytest.mark.browser


def _new_call(page, annual_max: str) -> None:
    page.goto("/appels/programmes/TNCES/nouveau")
    page.locator("input[name=title_fr]").fill("Appel au navigateur")
    page.locator("input[name=opens_on]").fill("2026-12-01")
    page.locator("input[name=continuous]").check()
    page.locator("input[name=annual_max]").fill(annual_max)
    page.locator("input[name=years_max]").fill("3")
    page.locator("form:has(input[name=annual_max]) button[type=submit]").click()


def test_call_annual_maximum_typed_the_quebec_way(page):
    sign_in(page, staff(StaffRole.PROGRAM_OFFICER, "TNCES").email, PASSWORD)
    for index, typed in enumerate(["50 000,00", "50000", "50 000 $"]):
        _new_call(page, typed)
        expect(page.get_by_role("status")).to_contain_text("Appel au navigateur")
        expect(page.locator("main")).to_contain_text(re.compile(r"50\s000\s\$"))
        calls = db.session.scalars(db.select(Call).filter_by(title_fr="Appel au navigateur")).all()
        assert len(calls) == index + 1 and all(call.annual_max == Decimal("50000.00") for call in calls)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "mêle virgule et point. Écrivez le montant à la québécoise"),
        ("en", "mixes a comma and a period. Type the amount the Quebec way"),
    ],
)
def test_the_english_way_is_refused_with_a_message_in_the_interface_language(page, language, message):
    sign_in(page, staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language=language).email, PASSWORD)
    _new_call(page, "175,000.00")
    expect(page.locator("#error-summary")).to_contain_text(message)
    expect(page.locator("input[name=annual_max]")).to_have_value("175,000.00")
    expect(page.locator("input[name=annual_max]")).to_have_attribute("aria-invalid", "true")
    assert db.session.scalar(db.select(db.func.count(Call.id))) == 0


def test_a_thirty_digit_maximum_is_refused_and_the_calls_page_still_opens(page):
    sign_in(page, staff(StaffRole.PROGRAM_OFFICER, "TNCES").email, PASSWORD)
    _new_call(page, "1" * 30)
    expect(page.locator("#error-summary")).to_contain_text("dépasse le maximum permis")
    assert db.session.scalar(db.select(db.func.count(Call.id))) == 0
    response = page.goto("/appels/")
    assert response.status == 200


def test_envelope_typed_the_quebec_way(page):
    sign_in(page, staff(StaffRole.PROGRAM_OFFICER, "TNCES").email, PASSWORD)
    page.goto("/programmes/TNCES/enveloppes")
    page.locator("input[name=fiscal_year]").fill("2027-2028")
    page.locator("input[name=amount]").fill("1 250 000,50")
    page.locator("form:has(input[name=amount]) [type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("2027-2028")
    envelope = db.session.execute(
        db.select(ProgramEnvelope).filter_by(program_id=program("TNCES").id)
    ).scalar_one()
    assert envelope.amount == Decimal("1250000.50")


def test_request_amounts_typed_the_quebec_way_and_refused_the_english_way(page):
    organization = OrganizationFactory()
    applicant = member(MemberRole.CONTRIBUTOR, organization=organization)
    request = funding_request("TNCES", organization, years=1)
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/demandes/{request.id}/modifier")
    page.get_by_label("Montant demandé pour 2026-2027").fill("150 000 $")
    page.get_by_label("Salaires et charges sociales, 2026-2027").fill("100 000,25")
    page.get_by_label("Fonctionnement, 2026-2027").fill("175,000.00")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#error-summary")).to_contain_text("mêle virgule et point")
    expect(page.get_by_label("Fonctionnement, 2026-2027")).to_have_value("175,000.00")
    page.get_by_label("Fonctionnement, 2026-2027").fill("50 000")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon est enregistré")
    expect(page.get_by_label("Salaires et charges sociales, 2026-2027")).to_have_value("100 000,25")
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert saved.years[0].requested_amount == Decimal("150000.00")
    assert sorted(b.amount for b in saved.budget_lines) == [Decimal("50000.00"), Decimal("100000.25")]


def test_other_funding_typed_in_the_browser_with_date_pickers_reaches_the_server(page):
    """The other-funding dates are date inputs now (they were text boxes wanting AAAA-MM-JJ): what
    Chromium sends is saved, an end before the start is refused on its field, and nothing typed
    is lost."""
    organization = OrganizationFactory()
    applicant = member(MemberRole.CONTRIBUTOR, organization=organization)
    request = funding_request("TNCES", organization, years=1)
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/demandes/{request.id}/modifier")
    start, end = page.get_by_label("Début, ligne 1"), page.get_by_label("Fin, ligne 1")
    assert start.get_attribute("type") == "date" and end.get_attribute("type") == "date"
    page.get_by_label("Bailleur de fonds, ligne 1").fill("Ville de Laval")
    page.get_by_label("Programme, ligne 1").fill("Soutien aux organismes")
    page.get_by_label("Montant, ligne 1").fill("25 000,50")
    start.fill("2026-04-01")
    end.fill("2026-03-01")  # before the start
    page.get_by_label("Statut, ligne 1").select_option("obtained")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#error-summary")).to_contain_text("La date de fin doit suivre la date de début")
    expect(page.get_by_label("Montant, ligne 1")).to_have_value("25 000,50")
    expect(page.get_by_label("Début, ligne 1")).to_have_value("2026-04-01")
    expect(page.get_by_label("Fin, ligne 1")).to_have_value("2026-03-01")
    db.session.expire_all()
    assert not db.session.get(FundingRequest, request.id).other_funding
    page.get_by_label("Fin, ligne 1").fill("2027-03-31")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon est enregistré")
    db.session.expire_all()
    (saved,) = db.session.get(FundingRequest, request.id).other_funding
    assert (saved.funder, saved.program_name, saved.amount) == (
        "Ville de Laval",
        "Soutien aux organismes",
        Decimal("25000.50"),
    )
    assert (saved.start_date.isoformat(), saved.end_date.isoformat(), saved.status) == (
        "2026-04-01",
        "2027-03-31",
        "obtained",
    )
