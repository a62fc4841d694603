"""A TNCES request from first draft to payment schedule, clicked through in headless Chromium by
the organization and the officer, with the live budget totals and an accessibility check."""

import io
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.reference.models import Region
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import (
    PASSWORD,
    OrganizationFactory,
    funding_request,
    member,
    open_call,
    pdf_bytes,
    staff,
)

pytestmark = pytest.mark.browser

YEARS = ["2026-2027", "2027-2028", "2028-2029", "2029-2030", "2030-2031"]


def _pdf_file() -> str:
    path = Path(tempfile.mkdtemp()) / "resolution-ca.pdf"
    path.write_bytes(pdf_bytes("Résolution du conseil"))
    return str(path)


def test_tnces_request_from_draft_to_schedule(browser, live_server):
    organization = OrganizationFactory(legal_name="Table nationale d'essai")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    call = open_call("TNCES", title_fr="Financement de la TNCES 2026-2031")

    org = browser.new_context(base_url=live_server, locale="fr-CA")
    org.set_default_timeout(15000)
    page = org.new_page()
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/appels/{call.id}")
    page.get_by_role("link", name="Déposer une demande").click()
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demande TNCES-")
    reference = re.search(r"TNCES-\d{4}-\d{5}", page.get_by_role("heading", level=1).inner_text()).group(0)

    page.get_by_label("Titre du projet ou de la demande").fill("Coordination nationale")
    page.get_by_label("Début de la période").fill("2026-04-01")
    page.get_by_label("Fin de la période").fill("2031-03-31")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_be_visible()

    # Leave and come back: what was typed is there, and the grid now has the five fiscal years.
    page.goto("/demandes/")
    page.get_by_role("link", name=reference).click()
    if page.get_by_role("link", name="Modifier le brouillon").count():
        page.get_by_role("link", name="Modifier le brouillon").click()
    expect(page.get_by_label("Titre du projet ou de la demande")).to_have_value("Coordination nationale")
    page.get_by_label("Résumé du projet ou de la mission").fill("Soutenir les tables régionales.")
    page.get_by_label("Objectifs").fill("Concertation et formation.")
    page.get_by_label("Populations visées").fill("Jeunes à risque.")
    page.get_by_label("Capitale-Nationale").check()
    for year in YEARS:
        page.get_by_label(f"Salaires et charges sociales, {year}").fill("125 000")
        page.get_by_label(f"Fonctionnement, {year}").fill("50 000")
        page.get_by_label(f"Montant demandé pour {year}").fill("175 000")
    expect(page.locator("[data-grand-total]")).to_contain_text("875")  # computed as the user types
    expect(page.locator("[data-amount-total]")).to_contain_text("875")
    page.get_by_label("Type de pièce jointe").select_option("board_resolution")
    page.get_by_label("Pièce jointe", exact=True).set_input_files(_pdf_file())
    assert_accessible(page)
    page.get_by_role("button", name="Déposer la demande").click()
    expect(page.get_by_role("status")).to_contain_text(reference)
    expect(page.get_by_role("link", name=re.compile("Accusé de réception"))).to_be_visible()

    # The officer takes the file and asks for information on the budget.
    staff_context = browser.new_context(base_url=live_server, locale="fr-CA")
    staff_context.set_default_timeout(15000)
    desk = staff_context.new_page()
    sign_in(desk, officer.email, PASSWORD)
    desk.goto("/analyse/")
    desk.get_by_role("link", name=reference).click()
    assert_accessible(desk)
    desk.get_by_role("button", name="Confier et commencer l'analyse").click()
    desk.get_by_role("checkbox", name="Période, budget et montants demandés").check()
    desk.get_by_label("Votre question à l'organisme").fill("Précisez la part des salaires.")
    desk.get_by_role("button", name="Envoyer la demande d'information").click()
    expect(desk.get_by_role("status")).to_be_visible()

    # The organization answers; only the budget section is open.
    page.goto("/demandes/")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name=re.compile("Répondre à la demande d'information")).click()
    expect(page.get_by_label("Titre du projet ou de la demande")).to_have_count(0)
    page.get_by_label("Votre réponse à l'agent·e").fill("Deux postes à temps plein.")
    page.get_by_role("button", name="Transmettre ma réponse").click()
    expect(page.get_by_role("status")).to_be_visible()

    # The officer recommends and approves; the agreement PDF says 175 000 $ for each year.
    desk.reload()
    desk.get_by_label("Accepter").first.check()
    desk.get_by_role("button", name="Enregistrer la recommandation").click()
    desk.locator("#decision").get_by_label("Accepter").check()
    desk.get_by_label("Conditions de l'aide (acceptation)").fill("Rapports semestriels.")
    desk.get_by_role("button", name="Enregistrer la décision").click()
    expect(desk.get_by_role("status")).to_contain_text("acceptée")
    desk.get_by_role("link", name=re.compile("Convention CAF-")).first.click()
    agreement_url = desk.url
    href = desk.get_by_role("link", name="Télécharger la convention (PDF)").get_attribute("href")
    document = desk.request.get(href)
    assert document.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document.body())).pages)
    text = re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))
    assert "Table nationale d'essai" in text and "175 000,00 $" in text and "875 000,00 $" in text
    assert all(year in text for year in YEARS), "the agreement names each of the five fiscal years"

    # The organization accepts; the officer countersigns; the schedule is on the agreement page.
    page.goto(agreement_url.replace(live_server, ""))
    page.get_by_label("Nom de la personne autorisée à signer").fill("Line Tremblay")
    page.get_by_label("Fonction").fill("Directrice générale")
    page.get_by_label(re.compile("J'accepte la convention")).check()
    page.get_by_role("button", name="Accepter la convention").click()
    expect(page.get_by_role("status")).to_contain_text("acceptée")
    desk.reload()
    desk.get_by_role("button", name="Contresigner au nom du ministère").click()
    expect(desk.get_by_role("status")).to_contain_text("contresignée")
    page.reload()
    schedule = page.get_by_role("region", name="Calendrier des versements")
    expect(schedule).to_contain_text("87 500,00 $")
    expect(schedule).to_contain_text("2030-2031")
    assert_accessible(page)
    org.close()
    staff_context.close()


def _pdf_named(name: str) -> str:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(pdf_bytes(name))
    return str(path)


def test_request_with_two_attachments_saves_removes_one_and_submits(page):
    """Issue 12, item 1: the attachment's "Retirer" form was nested in the request form, so once a
    file was attached the draft could be neither saved nor submitted."""
    organization = OrganizationFactory(legal_name="Organisme aux pièces jointes")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    request.regions = [db.session.execute(db.select(Region).filter_by(code="03")).scalar_one()]
    db.session.commit()
    sign_in(page, applicant.email, PASSWORD)
    page.goto(f"/demandes/{request.id}/modifier")

    page.get_by_label("Type de pièce jointe").select_option("board_resolution")
    page.get_by_label("Pièce jointe", exact=True).set_input_files(_pdf_named("resolution.pdf"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon est enregistré")
    # With one file attached, saving again must work (the nested form cut the request form short).
    page.get_by_label("Titre du projet ou de la demande").fill("Titre après la première pièce")
    page.get_by_label("Type de pièce jointe").select_option("financial_statements")
    page.get_by_label("Pièce jointe", exact=True).set_input_files(_pdf_named("etats-financiers.pdf"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon est enregistré")
    attachments = page.get_by_role("region", name="Pièces jointes")
    expect(attachments.get_by_role("link", name="resolution.pdf")).to_be_visible()
    expect(attachments.get_by_role("link", name="etats-financiers.pdf")).to_be_visible()
    expect(page.get_by_label("Titre du projet ou de la demande")).to_have_value(
        "Titre après la première pièce"
    )

    # "Retirer" removes that file, and only that: the draft is not saved instead.
    page.get_by_role("button", name="Retirer resolution.pdf").click()
    expect(page.get_by_role("status")).to_contain_text("La pièce jointe est retirée")
    expect(attachments.get_by_role("link", name="resolution.pdf")).to_have_count(0)
    expect(attachments.get_by_role("link", name="etats-financiers.pdf")).to_be_visible()

    page.get_by_role("button", name="Déposer la demande").click()
    expect(page.get_by_role("status")).to_contain_text(request.reference)
    db.session.expire_all()
    submitted = db.session.get(FundingRequest, request.id)
    assert submitted.status == RequestStatus.SUBMITTED
    assert [a.file.original_name for a in submitted.attachments] == ["etats-financiers.pdf"]
