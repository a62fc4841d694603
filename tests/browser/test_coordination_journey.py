"""Issue 11, clicked through in headless Chromium: the coordination cell uploads another ministry's
funding file, watches the progress bar, opens the flagged pair it produced against one of our
grants, reads the explanation, marks it a confirmed duplicate; the program officer of our grant
sees the flag and the decision on the request's page; the budget dashboard shows each axis's share
and warns that the victims' axis is under the floor. axe finds no serious or critical violation
on the way."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from grants.coordination.models import CoordinationSettings, FlagDecision, FundingFlag
from grants.core.db import db
from grants.core.roles import StaffRole
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganizationFactory, agreement_in_force, staff

pytestmark = pytest.mark.browser

HEADER = (
    "record_id,source_ministry,program,recipient_name,recipient_neq,recipient_city,recipient_region,"
    "project_title,description,amount_cad,start_date,end_date,fiscal_year"
)


def _funding_file(tmp_path, request) -> str:
    """Another ministry's lines: one pays our grantee (same NEQ, another spelling) for the same
    national coordination over the same years; one funds an unrelated organization elsewhere."""
    lines = [
        HEADER,
        "MSSS-2026-0042,MSSS,PSOC,TABLE NATIONALE DE CONCERTATION CONTRE L'EXPLOITATION SEXUELLE INC.,"
        "1149876543,Montréal,06,Coordination nationale des tables régionales,"
        f'"{request.summary} Soutenir la concertation.",120000.00,2026-04-01,2027-03-31,2026-2027',
        "MSSS-2026-0043,MSSS,PSOC,Maison des jeunes du Lac,,Alma,02,Activités parascolaires,"
        '"Sports et loisirs pour les jeunes du secteur.",15000.00,2026-04-01,2027-03-31,2026-2027',
    ]
    path = tmp_path / "financement-msss-2026.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_cell_finds_a_duplicate_the_officer_sees_it_and_the_budget_warns(
    browser, live_server, celery_worker, tmp_path
):
    organization = OrganizationFactory(
        legal_name="Table nationale de concertation contre l'exploitation sexuelle",
        neq="1149876543",
        city="Montréal",
        region_code="06",
    )
    agreement, officer = agreement_in_force("TNCES", organization, years=2)
    cell = staff(StaffRole.COORDINATION_CELL, full_name="Sacha Cellule")
    db.session.commit()
    request_id = agreement.request_id
    funding_file = _funding_file(tmp_path, agreement.request)

    context = browser.new_context(base_url=live_server, locale="fr-CA")
    context.set_default_timeout(20000)
    page = context.new_page()
    sign_in(page, cell.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Cellule de coordination"
    ).click()
    assert_accessible(page)
    page.get_by_role("link", name="Financement des autres ministères").click()
    page.get_by_label("Fichier CSV").set_input_files(funding_file)
    page.get_by_role("button", name="Importer").click()
    page.wait_for_url(re.compile(r"/cellule/importations/\d+$"))
    page.locator("#import-counts").wait_for(timeout=60000)
    expect(page.locator("#import-counts")).to_contain_text("2 lignes chargées")
    assert_accessible(page)

    # The matching runs in the background after the import; the flag appears when it is done.
    def flagged() -> bool:
        db.session.expire_all()
        return db.session.scalar(db.select(FundingFlag).filter_by(request_id=request_id)) is not None

    deadline = 60
    while not flagged() and deadline:
        page.wait_for_timeout(1000)
        deadline -= 1
    assert flagged(), "the matching run found no flag"

    page.goto("/cellule/")
    page.get_by_role("link", name="Financements en double").click()
    assert_accessible(page)
    page.get_by_label("Type").select_option("duplicate")
    page.get_by_role("button", name="Filtrer").click()
    row = page.get_by_role("row").filter(has_text=re.compile("Table nationale", re.I))
    row.get_by_role("link", name="Financement en double").click()
    explanation = page.get_by_text(
        re.compile(
            r"^même NEQ ; .*périodes qui se chevauchent sur 12 mois ; descriptions semblables à 0,\d\d$"
        )
    )
    expect(explanation.first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Doublon confirmé").check()
    page.get_by_label("Commentaire").fill("Même coordination payée par le MSSS et le SCF.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Doublon confirmé").first).to_be_visible()
    db.session.expire_all()
    flag = db.session.scalar(db.select(FundingFlag).filter_by(request_id=request_id))
    assert flag.decision == FlagDecision.CONFIRMED

    page.goto("/cellule/budget/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Budget par axe et par mesure")
    expect(page.get_by_text(re.compile("sous le plancher")).first).to_be_visible()
    assert_accessible(page)
    # The floor, typed the Quebec way; a value out of range is refused on its field, nothing saved.
    floor = page.get_by_label("Plancher de l'axe des personnes victimes (%)")
    floor.fill("120")
    page.get_by_role("button", name="Enregistrer le plancher").click()
    expect(page.get_by_label("Plancher de l'axe des personnes victimes (%)")).to_have_attribute(
        "aria-invalid", "true"
    )
    db.session.expire_all()
    saved_floor = db.session.scalar(db.select(CoordinationSettings.victims_floor_percent))
    assert saved_floor in (None, Decimal("20.00"))
    page.get_by_label("Plancher de l'axe des personnes victimes (%)").fill("12,5")
    page.get_by_role("button", name="Enregistrer le plancher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Budget par axe et par mesure")
    db.session.expire_all()
    assert db.session.scalar(db.select(CoordinationSettings.victims_floor_percent)) == Decimal("12.50")
    expect(page.get_by_text(re.compile("sous le plancher")).first).to_be_visible()  # 0 % is under 12,5 %
    context.close()

    context = browser.new_context(base_url=live_server, locale="fr-CA")
    context.set_default_timeout(20000)
    page = context.new_page()
    sign_in(page, officer.email, PASSWORD)
    page.goto(f"/analyse/{request_id}")
    section = page.get_by_role("region", name="Signalements de la cellule de coordination")
    expect(section).to_contain_text("Doublon confirmé")
    expect(section).to_contain_text("MSSS")
    assert_accessible(page)
    assert page.goto("/cellule/").status == 404
    context.close()
