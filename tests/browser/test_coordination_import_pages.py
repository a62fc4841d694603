"""The cell's import pages in Chromium: upload through the form, the progress then the counts, the
bad lines, the funding list, the withdrawal; axe finds no serious or critical violation on any of
them."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from grants.coordination.models import ExternalFunding
from grants.core.db import db
from grants.core.roles import StaffRole
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, staff
from tests.test_coordination_import import MIXED


def test_the_cell_uploads_a_file_and_reads_its_bad_lines(page, celery_worker, tmp_path):
    user = staff(StaffRole.COORDINATION_CELL, email="cellule.navigateur@example.org")
    db.session.commit()
    path = tmp_path / "financement-msss.csv"
    path.write_bytes(MIXED)
    sign_in(page, user.email, PASSWORD)
    page.goto("/cellule/importations/")
    assert_accessible(page)
    page.get_by_label("Fichier CSV").set_input_files(str(path))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_url(re.compile(r"/cellule/importations/\d+$"))
    page.locator("#import-counts").wait_for(timeout=60000)
    counts = page.locator("#import-counts").inner_text()
    assert "3 lignes chargées" in counts and "7 refusées" in counts
    rows = page.locator("#line-errors tbody tr")
    assert rows.count() == 7
    assert "mesure 99 inconnue" in rows.nth(6).inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Toutes les lignes, avec filtres et pages").click()
    page.get_by_label("Région").select_option("06")
    page.get_by_role("button", name="Filtrer").click()
    assert page.locator("table tbody tr").count() == 2
    assert_accessible(page)
    # Withdraw it: refused until confirmed, then its lines are gone and the page gives the counts.
    page.go_back()
    page.go_back()
    page.wait_for_url(re.compile(r"/cellule/importations/\d+$"))
    page.get_by_role("button", name="Retirer l'importation").click()
    expect(page.get_by_text("Cochez la case pour confirmer le retrait.").first).to_be_visible()
    page.get_by_label("Je confirme le retrait").check()
    page.get_by_role("button", name="Retirer l'importation").click()
    counts = page.locator("#withdrawal-counts")
    expect(counts).to_contain_text("3 lignes supprimées")
    expect(counts).to_contain_text("0 lignes remises dans leur version précédente")
    assert db.session.scalar(select(func.count()).select_from(ExternalFunding)) == 0
    assert_accessible(page)
