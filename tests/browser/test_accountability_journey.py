"""Issue 10: a TNCES mid-year report, late past its grace period so the next installment is held,
clicked through in headless Chromium: the organization fills and submits it (a breakdown that does
not add up is refused on its field first), the officer asks for a change on one section, the
organization corrects it, the officer accepts it, and the held installment is released and
authorized; axe finds no serious or critical violation on the pages on the way."""

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from grants.accountability import operations
from grants.core.db import db
from grants.core.roles import MemberRole
from grants.fiscal import FiscalYear
from grants.payments.models import HoldSource, InstallmentStatus, InstallmentTrigger
from grants.payments.operations import installments_of
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganizationFactory, agreement_in_force, member, pdf_bytes, report_of

pytestmark = pytest.mark.browser


def _context(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-CA")
    context.set_default_timeout(15000)
    return context, context.new_page()


def _pdf_file() -> str:
    path = Path(tempfile.mkdtemp()) / "rapport-activites.pdf"
    path.write_bytes(pdf_bytes("Rapport d'activités"))
    return str(path)


def _section(page, name: str) -> None:
    page.get_by_role("navigation", name="Sections du rapport").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def _saved(page) -> None:
    expect(page.get_by_role("status")).to_contain_text("est enregistrée")


def test_a_late_midyear_report_from_draft_to_acceptance_releases_the_held_installment(browser, live_server):
    organization = OrganizationFactory(legal_name="Table de concertation d'essai")
    author = member(MemberRole.CONTRIBUTOR, organization=organization)
    agreement, officer = agreement_in_force("TNCES", organization, years=1)
    report = report_of(agreement, "midyear", 2026)
    # 1 December 2026: the report, due 31 October, is past its 30 days of grace.
    held = operations.hold_late_reports(today=date(2026, 12, 1))
    db.session.commit()
    assert [r.id for r in held] == [report.id]
    midyear_step = next(
        i
        for i in installments_of(agreement.id, FiscalYear(2026))
        if i.trigger == InstallmentTrigger.MIDYEAR_REPORT
    )
    assert (midyear_step.status, midyear_step.hold_source) == (InstallmentStatus.HELD, HoldSource.REPORT_LATE)

    org_context, page = _context(browser, live_server)
    sign_in(page, author.email, PASSWORD)
    page.goto("/redditions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes redditions de comptes")
    assert_accessible(page)
    page.get_by_role("link", name="Rapport d'étape 2026-2027").click()
    expect(page.get_by_role("heading", level=2, name="Avant le dépôt")).to_be_visible()
    assert_accessible(page)

    _section(page, "Activités et résultats")
    page.get_by_label("Activités réalisées pendant la période").fill("Quatre rencontres de la table.")
    page.get_by_label("Résultats obtenus au regard des objectifs de la demande").fill("Plan concerté adopté.")
    page.get_by_role("button", name="Enregistrer la section").click()
    _saved(page)
    assert_accessible(page)

    _section(page, "Indicateurs")
    for label, value in [
        ("Rencontres de la table tenues", "4"),
        ("Organisations membres de la table", "18"),
        ("Partenaires autochtones à la table", "3"),
        ("Actions concertées réalisées", "2"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Enregistrer la section").click()
    _saved(page)

    _section(page, "État financier")
    page.get_by_label("Dépensé : Salaires et charges sociales").fill("60 000")
    page.get_by_label("Dépensé : Fonctionnement").fill("25 000,00")
    page.get_by_label("Total dépensé").fill("85 000")
    page.get_by_role("button", name="Enregistrer la section").click()
    _saved(page)
    assert_accessible(page)

    # People reached: a gender breakdown that does not add up is refused on its field, values kept.
    _section(page, "Personnes rejointes")
    page.get_by_label("Nombre total de personnes rejointes pendant la période").fill("40")
    page.locator("#reach-gender-man").fill("15")
    page.locator("#reach-gender-woman").fill("20")
    page.locator("#reach-age_group-12_17").fill("40")
    page.locator("#reach-indigenous_identity-non_indigenous").fill("40")
    page.locator("#reach-region-06").fill("40")
    expect(page.locator("#reach-gender [data-sum]")).to_have_text("Somme de la ventilation : 35 sur 40")
    page.get_by_role("button", name="Enregistrer la section").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("La ventilation totalise 35 alors que le total est 40")
    expect(page.locator("#reach-gender-woman")).to_have_value("20")
    expect(page.locator("#reach-age_group-12_17")).to_have_value("40")
    assert_accessible(page)
    page.locator("#reach-gender-woman").fill("25")
    page.get_by_role("button", name="Enregistrer la section").click()
    _saved(page)

    _section(page, "Pièces jointes")
    page.get_by_label("Type de pièce jointe").select_option("activity_report")
    page.get_by_label("Fichier à joindre").set_input_files(_pdf_file())
    page.get_by_role("button", name="Joindre le fichier").click()
    _saved(page)
    expect(page.get_by_role("link", name="rapport-activites.pdf")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Retour au rapport et au dépôt").click()
    expect(page.get_by_text("Toutes les sections sont complètes")).to_be_visible()
    page.get_by_role("button", name="Déposer le rapport").click()
    expect(page.get_by_role("status")).to_contain_text("Le rapport est déposé")
    expect(page.get_by_role("link", name="Version déposée (PDF)")).to_be_visible()

    # The officer finds it in the queue and asks for a change on the financial statement.
    desk_context, desk = _context(browser, live_server)
    sign_in(desk, officer.email, PASSWORD)
    desk.goto("/redditions/analyse/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Redditions de comptes à suivre")
    assert_accessible(desk)
    desk.get_by_role("row", name=re.compile("Table de concertation d'essai")).filter(
        has_text="Déposé"
    ).get_by_role("link").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Rapport d'étape 2026-2027")
    assert_accessible(desk)
    desk.locator("#changes-reopen_finances").check()
    desk.get_by_label("Commentaire : État financier").fill("Le loyer payé n'apparaît pas.")
    desk.get_by_role("button", name="Envoyer la demande de corrections").click()
    expect(desk.get_by_role("status")).to_contain_text("La demande de corrections est envoyée")

    # The organization sees the comment; only the financial statement is open; it corrects it.
    page.reload()
    expect(page.get_by_role("region", name="L'agent·e demande des corrections")).to_contain_text(
        "Le loyer payé n'apparaît pas."
    )
    assert_accessible(page)
    _section(page, "Activités et résultats")
    expect(page.get_by_label("Activités réalisées pendant la période")).to_have_count(0)
    _section(page, "État financier")
    page.get_by_label("Dépensé : Loyer").fill("3 000")
    page.get_by_label("Total dépensé").fill("88 000")
    page.get_by_role("button", name="Enregistrer la section").click()
    _saved(page)
    page.get_by_role("link", name="Retour au rapport et au dépôt").click()
    page.get_by_role("button", name="Déposer le rapport").click()
    expect(page.get_by_role("status")).to_contain_text("Le rapport est déposé")

    # The officer accepts: the held installment is released and authorized.
    desk.reload()
    installments = desk.get_by_role("region", name="Versements de l'exercice 2026-2027")
    expect(installments).to_contain_text("Retenu")
    desk.get_by_role("button", name="Accepter le rapport").click()
    expect(desk.get_by_role("status")).to_contain_text("Le rapport est accepté")
    expect(desk.get_by_role("status")).to_contain_text("1 versement qui attendait ce rapport est autorisé")
    expect(installments).not_to_contain_text("Retenu")
    expect(installments).to_contain_text("Autorisé")
    assert_accessible(desk)

    db.session.expire_all()
    statuses = {i.trigger: i.status for i in installments_of(agreement.id, FiscalYear(2026))}
    assert statuses == {
        InstallmentTrigger.SIGNATURE: InstallmentStatus.SCHEDULED,
        InstallmentTrigger.MIDYEAR_REPORT: InstallmentStatus.AUTHORIZED,
    }
    org_context.close()
    desk_context.close()
