"""The main journeys of the foundation, in headless Chromium."""

import re

import pytest
from playwright.sync_api import expect

from grants.core.roles import MemberRole, StaffRole
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member, staff

pytestmark = pytest.mark.browser

HOMES = {
    "organization": "Espace organisme",
    "officer": "Espace agent·e de programme",
    "cell": "Cellule de coordination du financement",
    "admin": "Administration du système",
}


def _user(kind: str):
    if kind == "organization":
        return member(MemberRole.ACCOUNT_ADMIN)
    if kind == "officer":
        return staff(StaffRole.PROGRAM_OFFICER, "TNCES", "TRCES")
    if kind == "cell":
        return staff(StaffRole.COORDINATION_CELL)
    return staff(StaffRole.SYSTEM_ADMIN)


def test_sign_in_page_is_accessible(page):
    page.goto("/compte/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    assert_accessible(page)


@pytest.mark.parametrize("kind", list(HOMES))
def test_each_role_signs_in_to_its_home_page(page, kind):
    user = _user(kind)
    sign_in(page, user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(HOMES[kind])
    assert_accessible(page)


def test_member_guessing_another_organizations_url_gets_404(page):
    mine, theirs = OrganizationFactory(), OrganizationFactory(legal_name="Organisme voisin secret")
    user = member(MemberRole.ACCOUNT_ADMIN, organization=mine)
    sign_in(page, user.email, PASSWORD)
    response = page.goto(f"/organismes/{theirs.id}")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    assert "Organisme voisin secret" not in page.content()
    assert page.goto(f"/organismes/{mine.id}").status == 200


def test_five_wrong_passwords_lock_the_account(page):
    user = UserFactory()
    for _ in range(5):
        sign_in(page, user.email, "not my password")
    expect(page.get_by_role("alert")).to_contain_text("verrouillé")
    sign_in(page, user.email, PASSWORD)  # even the right password waits for the unlock
    expect(page.get_by_role("alert")).to_contain_text("verrouillé")


@pytest.mark.worker
def test_password_reset_from_the_emailed_link(page, celery_worker, mailbox):
    user = UserFactory()
    page.goto("/compte/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse courriel").fill(user.email)
    page.get_by_role("button", name="Recevoir un lien de réinitialisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos courriels")
    email = mailbox.wait_for(user.email)
    link = re.search(r"https?://\S+/compte/reinitialiser/\S+", email.get_content()).group(0)
    page.goto(link)
    new_password = "une nouvelle phrase secrète"
    page.get_by_label("Nouveau mot de passe").fill(new_password)
    page.get_by_label("Confirmez le mot de passe").fill(new_password)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("Vous pouvez maintenant vous connecter")
    sign_in(page, user.email, new_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace organisme")
    assert page.goto(link).status == 410  # the link works once


def test_language_switch(page):
    user = member()
    sign_in(page, user.email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "fr-CA")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization space")
    expect(page.locator("html")).to_have_attribute("lang", "en-CA")
    page.goto("/programmes/TNCES")
    expect(page.get_by_text("$175,000", exact=True)).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Table nationale")
