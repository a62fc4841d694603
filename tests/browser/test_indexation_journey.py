"""Indexation in headless Chromium: an authorized officer previews the TNCES indexation for
2027-2028, checks the line, saves, approves and applies it; the organization then sees its
indexed amount and adjusted installments on its agreement."""

import pytest
from playwright.sync_api import expect

from grants.core.roles import MemberRole
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganizationFactory, agreement_in_force, budget_officer, member
from tests.test_indexation import future_cpi  # noqa: F401  (the hypothetical CPI months)

pytestmark = pytest.mark.browser


def test_officer_indexes_and_the_organization_sees_the_new_amounts(browser, live_server, future_cpi):  # noqa: F811
    organization = OrganizationFactory(legal_name="Table nationale d'essai")
    reader = member(MemberRole.READ_ONLY, organization=organization)
    agreement, _ = agreement_in_force(organization=organization, years=3)
    officer = budget_officer("TNCES")

    desk = browser.new_context(base_url=live_server, locale="fr-CA").new_page()
    desk.set_default_timeout(15000)
    sign_in(desk, officer.email, PASSWORD)
    desk.get_by_role("link", name="Indexation", exact=True).click()
    desk.get_by_label("Programme").select_option("TNCES")
    desk.get_by_label("Exercice financier").fill("2027-2028")
    desk.get_by_role("button", name="Voir l'aperçu").click()
    expect(desk.get_by_role("heading", level=2, name="Taux d'indexation : 3,1\u00a0%")).to_be_visible()
    row = desk.get_by_role("row", name="Table nationale d'essai")
    expect(row).to_contain_text(agreement.number)
    expect(row).to_contain_text("175\u00a0000,00\u00a0$")
    expect(row).to_contain_text("180\u00a0425,00\u00a0$")
    assert_accessible(desk)
    desk.get_by_role("button", name="Enregistrer l'aperçu pour approbation").click()
    expect(desk.get_by_role("status")).to_contain_text("aperçu est enregistré")
    desk.get_by_role("button", name="Approuver l'indexation").click()
    expect(desk.get_by_role("status")).to_contain_text("approuvée")
    desk.get_by_role("button", name="Appliquer l'indexation").click()
    expect(desk.get_by_role("status")).to_contain_text("appliquée")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Appliquée")

    page = browser.new_context(base_url=live_server, locale="fr-CA").new_page()
    page.set_default_timeout(15000)
    sign_in(page, reader.email, PASSWORD)
    page.goto(f"/conventions/{agreement.id}")
    indexation = page.get_by_role("region", name="Indexation selon l'IPC")
    year_row = indexation.get_by_role("row", name="2027-2028")
    expect(year_row).to_contain_text("3,1\u00a0%")
    expect(year_row).to_contain_text("180\u00a0425,00\u00a0$")
    schedule = page.get_by_role("region", name="Calendrier des versements")
    expect(schedule).to_contain_text("90\u00a0212,50\u00a0$")
    assert_accessible(page)
