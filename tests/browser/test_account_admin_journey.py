"""Issue 13, item 12, clicked through in headless Chromium: an administrator finds an officer in
the account list, entrusts a program to them with budget authority, is refused authority on a
program not entrusted (the error is said on the field), deactivates another account; the changes
hold in the database and axe finds no serious or critical violation on the pages."""

import pytest
from playwright.sync_api import expect

from grants.accounts.models import User
from grants.core.db import db
from grants.core.roles import StaffRole
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, program, staff

pytestmark = pytest.mark.browser


def test_an_administrator_manages_an_officer_and_deactivates_an_account(page):
    admin = staff(StaffRole.SYSTEM_ADMIN, full_name="Alice Admin")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", full_name="Olivier Agent")
    leaving = staff(StaffRole.PROGRAM_OFFICER, "TNCES", full_name="Léa Départ")
    trces = program("TRCES")
    db.session.commit()
    officer_id, leaving_id, trces_id = officer.id, leaving.id, trces.id

    sign_in(page, admin.email, PASSWORD)
    page.goto("/admin/comptes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes")
    page.get_by_label("Nom ou courriel").fill("Olivier")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Olivier Agent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Olivier Agent")
    assert_accessible(page)

    programs = page.get_by_role("group", name="Programmes confiés (agent·e de programme)")
    authority = page.get_by_role("group", name="Autorité budgétaire déléguée")
    # Authority on a program not entrusted is refused, and the reason is said on its field.
    authority.get_by_label("TRCES", exact=False).check()
    page.get_by_role("button", name="Enregistrer les accès").click()
    expect(page.locator("#authority-error")).to_contain_text(
        "L'autorité budgétaire ne vaut que sur un programme confié"
    )
    summary_link = page.get_by_role("link", name="Autorité budgétaire déléguée")
    expect(summary_link).to_have_attribute("href", "#authority")
    db.session.expire_all()
    assert trces_id not in db.session.get(User, officer_id).authorized_program_ids()

    programs = page.get_by_role("group", name="Programmes confiés (agent·e de programme)")
    programs.get_by_label("TRCES", exact=False).check()
    page.get_by_role("group", name="Autorité budgétaire déléguée").get_by_label("TRCES", exact=False).check()
    page.get_by_role("button", name="Enregistrer les accès").click()
    expect(page.get_by_text("Les accès du compte sont enregistrés.")).to_be_visible()
    db.session.expire_all()
    saved = db.session.get(User, officer_id)
    assert trces_id in saved.officer_program_ids()
    assert trces_id in saved.authorized_program_ids()

    page.goto(f"/admin/comptes/{leaving_id}")
    page.get_by_role("button", name="Désactiver le compte").click()
    expect(page.get_by_role("button", name="Réactiver le compte")).to_be_visible()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(User, leaving_id).active is False
