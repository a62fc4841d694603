"""The coordination cell's forms, driven in headless Chromium as a member of the cell would: on a
matched organization's page, « Séparer » then « Confirmer : même organisme », each waited for in the
page while the matching job rebuilds the groups, then read back in the journal; a page opened before
a run answers with a clear message; the budget dashboard's PDF asked for, waited for, downloaded and
read back with pypdf (French, then English with the interface switched); the cumulative aid page's
filters (one by keyboard alone) and its CSV. axe finds no serious or critical violation on any page."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from grants.coordination.matching_run import refresh_matching
from grants.coordination.models import EntityDecision
from grants.core.db import db
from grants.core.roles import StaffRole
from grants.fiscal import FiscalYear
from grants.reference.models import Measure
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganizationFactory, agreement_in_force, external_funding, staff
from tests.helpers import normalize_spaces

pytestmark = pytest.mark.browser

LAVAL = {"recipient_city": "Laval", "recipient_region": "13"}


def _context(browser, live_server, locale: str = "fr-CA"):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, locale=locale, accept_downloads=True)
    context.set_default_timeout(20000)
    return context


def _wait_for_the_run(page) -> None:  # type: ignore[no-untyped-def]
    """The list of groups follows the matching job and reloads itself when it ends (app.js)."""
    progress = page.locator("section[aria-labelledby=run] .job-progress")
    expect(progress).to_contain_text("Terminé.", timeout=60000)


def _search_groups(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Nom, NEQ ou ville").fill(text)
    page.get_by_role("button", name="Filtrer").click()


def _group_rows(page):  # type: ignore[no-untyped-def]
    return page.locator("table tbody tr")


# -- matched organizations: split, confirm, the journal, stable numbers, a stale page ------------------------
def test_the_cell_splits_and_confirms_groups_and_finds_its_decisions_in_the_journal(
    browser, live_server, celery_worker
):
    external_funding("S-1", "Centre de femmes L'Écho", **LAVAL)
    external_funding("S-2", "Centre de femmes L'Éco", **LAVAL)
    external_funding("S-3", "Le Havre des femmes", **LAVAL)
    external_funding("S-4", "Maison Simonne-Monet", **LAVAL)
    refresh_matching()
    cell = staff(StaffRole.COORDINATION_CELL, full_name="Sacha Cellule")
    db.session.commit()

    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, cell.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Cellule de coordination"
    ).click()
    assert_accessible(page)
    page.get_by_role("link", name="Organismes rapprochés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organismes rapprochés")
    assert_accessible(page)

    # The two spellings of one centre are one group; the cell knows they are two centres.
    _search_groups(page, "Centre de femmes")
    expect(_group_rows(page)).to_have_count(1)
    expect(_group_rows(page).first.locator("td.num")).to_have_text("2")
    _group_rows(page).first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Centre de femmes")
    expect(page.locator("section[aria-labelledby=members] tbody tr")).to_have_count(2)
    assert_accessible(page)
    # Sent with nothing ticked: refused beside the list, the comment typed kept, focus on the summary.
    split = page.get_by_role("region", name="Séparer", exact=True)
    split.get_by_label("Commentaire").fill("Deux centres distincts à Laval.")
    split.get_by_role("button", name="Séparer").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Cochez au moins un membre à séparer.")
    split = page.get_by_role("region", name="Séparer", exact=True)
    expect(split.locator(".error-message")).to_have_text("Cochez au moins un membre à séparer.")
    expect(split.get_by_label("Commentaire")).to_have_value("Deux centres distincts à Laval.")
    assert_accessible(page)
    summary.get_by_role("link").click()
    page.keyboard.press("Tab")  # from the list's fieldset, the keyboard reaches its first box
    expect(split.get_by_role("checkbox").first).to_be_focused()
    split.get_by_label("Centre de femmes L'Éco (ext:MSSS:S-2)", exact=True).check()
    split.get_by_role("button", name="Séparer").click()
    page.wait_for_url(re.compile(r"/cellule/organismes/$"))
    expect(page.get_by_text("Décision enregistrée : organismes distincts.")).to_be_visible()
    _wait_for_the_run(page)
    assert_accessible(page)
    _search_groups(page, "Centre de femmes")
    expect(_group_rows(page)).to_have_count(2)
    for row in range(2):
        expect(_group_rows(page).nth(row).locator("td.num")).to_have_text("1")

    # Two names the matching kept apart: the cell joins them by the other group's number.
    _search_groups(page, "Simonne")
    expect(_group_rows(page)).to_have_count(1)
    other_number = _group_rows(page).first.locator("td").first.inner_text().strip()
    _search_groups(page, "Havre")
    expect(_group_rows(page)).to_have_count(1)
    _group_rows(page).first.get_by_role("link").click()
    confirm = page.get_by_role("region", name="Confirmer : même organisme")
    number = confirm.get_by_label("Numéro d'un autre groupe à joindre (facultatif)")
    number.fill("le groupe de Simonne")  # not a number: refused on its field, the comment kept
    confirm.get_by_label("Commentaire").fill("Ancien nom de la maison.")
    confirm.get_by_role("button", name="Confirmer : même organisme").click()
    confirm = page.get_by_role("region", name="Confirmer : même organisme")
    number = confirm.get_by_label("Numéro d'un autre groupe à joindre (facultatif)")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(confirm.locator(".error-message")).to_have_text("Un numéro de groupe est un nombre entier.")
    expect(confirm.get_by_label("Commentaire")).to_have_value("Ancien nom de la maison.")
    assert_accessible(page)
    # Two tabs opened on the group the join will merge away (the younger of the two numbers).
    havre_number = re.search(r"/organismes/(\d+)", page.url).group(1)  # the refused form's page
    survivor, retired = sorted((int(havre_number), int(other_number)))
    stale_pages = [context.new_page(), context.new_page()]
    for stale in stale_pages:
        stale.goto(f"/cellule/organismes/{retired}")
    number.fill(other_number)
    confirm.get_by_role("button", name="Confirmer : même organisme").click()
    page.wait_for_url(re.compile(r"/cellule/organismes/$"))
    expect(page.get_by_text("Décision enregistrée : même organisme.")).to_be_visible()
    _wait_for_the_run(page)
    _search_groups(page, "Havre")
    expect(_group_rows(page)).to_have_count(1)
    expect(_group_rows(page).first.locator("td.num")).to_have_text("2")
    _group_rows(page).first.get_by_role("link").click()
    members = page.locator("section[aria-labelledby=members] tbody")
    expect(members).to_contain_text("Le Havre des femmes")
    expect(members).to_contain_text("Maison Simonne-Monet")
    expect(members).to_contain_text("confirmé par la cellule")
    assert_accessible(page)
    db.session.expire_all()
    decisions = {d.same: d.comment for d in db.session.scalars(db.select(EntityDecision))}
    assert decisions == {False: "Deux centres distincts à Laval.", True: "Ancien nom de la maison."}

    # Both decisions, in words, where the product lists the cell's work.
    page.get_by_role("link", name="Journal").click()
    page.get_by_label("Type d'objet").select_option(label="Décision de rapprochement")
    page.get_by_role("button", name="Filtrer").click()
    journal = page.get_by_role("main")
    expect(journal).to_contain_text("Sacha Cellule a séparé deux enregistrements d'organismes")
    expect(journal).to_contain_text(
        "Sacha Cellule a confirmé que deux enregistrements désignent le même organisme"
    )
    assert_accessible(page)

    # The matching done again (by a colleague) keeps the joined group's number: a page opened on
    # it before still shows it.
    page.goto(f"/cellule/organismes/{survivor}")
    colleague = context.new_page()
    colleague.goto("/cellule/organismes/")
    colleague.get_by_role("button", name="Refaire le rapprochement").click()
    expect(colleague.get_by_text("Les rapprochements sont recalculés en arrière-plan")).to_be_visible()
    _wait_for_the_run(colleague)
    colleague.close()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"groupe {survivor}")
    expect(page.locator("section[aria-labelledby=members] tbody tr")).to_have_count(2)

    # The tabs opened on the group merged away: a form sent from one says in words that the group
    # changed, records nothing, and leads to the group its member is in now.
    stale = stale_pages[0]
    confirm = stale.get_by_role("region", name="Confirmer : même organisme")
    confirm.get_by_role("button", name="Confirmer : même organisme").click()
    expect(stale.get_by_role("heading", level=1)).to_have_text(f"Le groupe {retired} a changé depuis")
    expect(stale.get_by_role("alert")).to_contain_text("La décision n'a pas été enregistrée")
    assert_accessible(stale)
    stale.locator(f'main a[href$="/cellule/organismes/{survivor}"]').click()
    expect(stale.locator("section[aria-labelledby=members] tbody")).to_contain_text("Maison Simonne-Monet")
    # Meanwhile the interface was switched to English in another tab: the message is in English.
    english = context.new_page()
    english.goto("/cellule/organismes/")
    english.locator("#language-switch").click()
    expect(english.locator("html")).to_have_attribute("lang", "en-CA")
    english.close()
    second = stale_pages[1]
    confirm = second.get_by_role("region", name="Confirmer : même organisme")
    confirm.get_by_role("button", name="Confirmer : même organisme").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(f"Group {retired} has changed since")
    expect(second.get_by_role("alert")).to_contain_text("The decision was not saved")
    assert_accessible(second)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(EntityDecision)) == 2
    context.close()


# -- the budget dashboard's PDF -------------------------------------------------------------------------
def _measure(number: str) -> Measure:
    return db.session.execute(
        db.select(Measure).where(Measure.number == number, Measure.plan.has(code="2026-2029"))
    ).scalar_one()


def _pdf_text(path: str) -> str:
    reader = PdfReader(path)
    text = normalize_spaces("\n".join(page.extract_text() for page in reader.pages))
    return re.sub(r"\s+", " ", text)


def _ask_for_the_report(page, language_label: str, button: str, done: str, download: str) -> str:  # type: ignore[no-untyped-def]
    """Ask for the 2026-2027 PDF in the given language, wait for it on the page, download it."""
    page.get_by_label(re.compile("^(Langue du rapport|Report language)")).select_option(label=language_label)
    page.get_by_role("button", name=button).click()
    progress = page.locator("section[aria-labelledby=current-job] .job-progress")
    expect(progress).to_contain_text(done, timeout=90000)
    assert_accessible(page)
    with page.expect_download() as info:
        progress.get_by_role("link", name=download).click()
    path = info.value.path()
    assert info.value.suggested_filename.endswith(".pdf")
    assert Path(path).read_bytes().startswith(b"%PDF-")
    return _pdf_text(path)


def test_the_cell_asks_for_the_budget_pdf_waits_for_it_and_reads_it(browser, live_server, celery_worker):
    # 2026-2027: our TNCES grant of 150 000 $ (measure 10, axis 2) and 10 000 $ of another ministry
    # on measure 19 (axis 4, the victims' axis): 6,25 % for the victims, under the 20 % floor.
    agreement_in_force("TNCES", OrganizationFactory(legal_name="Table Alpha"), years=1, amount="150000.00")
    nineteen = _measure("19")
    external_funding("B-1", "Maison Oméga", amount="10000.00", measure_code="19", measure_id=nineteen.id)
    axes = nineteen.axis.plan.axes
    titles = {"fr": [a.title_fr for a in axes], "en": [a.title_en for a in axes]}
    cell = staff(StaffRole.COORDINATION_CELL)
    db.session.commit()

    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, cell.email, PASSWORD)
    page.goto("/cellule/")
    assert_accessible(page)
    page.get_by_role("link", name="Budget par axe et par mesure").click()
    page.get_by_label("Période", exact=True).select_option(label="2026-2027")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text(re.compile("sous le plancher")).first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Produire le rapport PDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport PDF du budget par axe")
    expect(page.get_by_label("Période", exact=True)).to_have_value("2026")
    assert_accessible(page)
    text = _ask_for_the_report(page, "Français", "Produire le rapport", "Terminé.", "Télécharger le fichier")
    assert "Budget par axe et par mesure" in text and "2026-2027" in text
    for title in titles["fr"]:
        assert " ".join(title.split()) in text, title
    assert "93,75 %" in text and "6,25 %" in text  # each axis's share
    assert "160 000,00 $" in text
    assert "la part de l'axe des personnes victimes (6,25 %) est sous le plancher de 20 %" in text

    # The interface in English: the same page, the report asked for in English.
    page.locator("#language-switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PDF report of the budget by axis")
    expect(page.locator("html")).to_have_attribute("lang", "en-CA")
    text = _ask_for_the_report(page, "English", "Produce the report", "Done.", "Download the file")
    assert "Budget by axis and measure" in text and "2026-2027" in text
    for title in titles["en"]:
        assert " ".join(title.split()) in text, title
    assert "93.75%" in text and "6.25%" in text
    assert "$160,000.00" in text
    assert "below the floor" in text and "20%" in text
    assert "sous le plancher" not in text
    context.close()


# -- cumulative aid -------------------------------------------------------------------------------------
def test_the_cell_filters_the_cumulative_aid_by_keyboard_and_exports_it(browser, live_server):
    gamma = OrganizationFactory(legal_name="Refuge Gamma")
    delta = OrganizationFactory(legal_name="Centre Delta")
    agreement_in_force("TNCES", gamma, years=2, amount="40000.00")
    external_funding("G-1", "Refuge Gamma", amount="15000.00", organization_id=gamma.id)
    external_funding(
        "D-1",
        "Centre Delta",
        amount="700000.00",
        organization_id=delta.id,
        start_date=FiscalYear(2027).start,
        end_date=FiscalYear(2027).end,
    )
    cell = staff(StaffRole.COORDINATION_CELL)
    db.session.commit()

    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, cell.email, PASSWORD)
    page.goto("/cellule/")
    page.get_by_role("link", name="Aide cumulative par organisme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aide cumulative par organisme")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("3 lignes")).to_be_visible()
    assert_accessible(page)

    # Keyboard only: Tab from the top of the page to the name field, type, Tab through the
    # filters, tick with Space, Enter on the button.
    name = page.get_by_label("Organisme")
    for _press in range(40):
        page.keyboard.press("Tab")
        if name.evaluate("field => field === document.activeElement"):
            break
    expect(name).to_be_focused()
    page.keyboard.type("Gamma")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Exercice", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("États financiers exigés")).to_be_focused()
    page.keyboard.press("Tab")
    others_only = page.get_by_label("Avec financement d'autres ministères seulement")
    expect(others_only).to_be_focused()
    page.keyboard.press("Space")
    expect(others_only).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Filtrer")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"organisme=Gamma"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Refuge Gamma")
    expect(rows.first).to_contain_text("2026-2027")
    expect(rows.first).to_contain_text("55 000,00 $")
    expect(rows.first).to_contain_text("mission d'examen")
    expect(page.get_by_label("Organisme")).to_have_value("Gamma")  # the filters keep what was typed
    expect(others_only).to_be_checked()
    assert_accessible(page)

    # The mouse, for another filter: the audit threshold picks Delta's 2027-2028 alone.
    page.get_by_role("link", name="Effacer").click()
    expect(rows).to_have_count(3)
    page.get_by_label("États financiers exigés").select_option(label="états financiers audités")
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Centre Delta")
    expect(rows.first).to_contain_text("700 000,00 $")
    assert_accessible(page)

    # The CSV follows the filters shown.
    with page.expect_download() as info:
        page.get_by_role("link", name="Exporter en CSV").click()
    assert info.value.suggested_filename == "aide-cumulative.csv"
    content = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == [
        "Organisme",
        "NEQ",
        "Exercice financier",
        "Nos subventions",
        "Autres ministères",
        "Aide cumulative",
        "États financiers exigés",
        "Selon nos seules subventions",
    ]
    assert len(lines) == 2
    assert lines[1][0] == "Centre Delta" and lines[1][2] == "2027-2028"
    assert [Decimal(v) for v in lines[1][3:6]] == [Decimal("0"), Decimal("700000"), Decimal("700000")]
    assert lines[1][6] == "états financiers audités"

    # All of it, sorted by total, descending: Delta, then Gamma's two years.
    page.get_by_role("link", name="Effacer").click()
    page.get_by_role("link", name="Aide cumulative", exact=True).click()  # ascending
    page.get_by_role("link", name=re.compile("^Aide cumulative ▲")).click()  # then descending
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Aide cumulative")
    with page.expect_download() as info:
        page.get_by_role("link", name="Exporter en CSV").click()
    lines = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert [(r[0], r[2], r[5]) for r in lines[1:]] == [
        ("Centre Delta", "2027-2028", "700000.00"),
        ("Refuge Gamma", "2026-2027", "55000.00"),
        ("Refuge Gamma", "2027-2028", "40000.00"),
    ]
    assert_accessible(page)
    context.close()
