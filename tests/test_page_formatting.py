"""Quebec formatting in every list (issue 13, item 6): the main list and detail pages, read as an
officer, an organization member and an administrator in French and in English, show no raw ISO
date, no percent after an ordinary space, and no amount whose digit groups an ordinary space splits.
The formatter's own rules (cents, CPI decimal, the form's pre-filled amount) are checked too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grants.core.db import db
from grants.core.formatting import cpi_value, money, money_input
from grants.core.roles import MemberRole, StaffRole
from grants.review.forms import DecisionForm
from tests.factories import agreement_in_force, funding_request, member, staff
from tests.page_scan import offences, visible_text


def _scan(client, urls: list[str]) -> dict[str, list[str]]:
    bad = {}
    for language in ("fr", "en"):
        client.get(f"/?lang={language}")
        for url in urls:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, (url, response.status_code)
            page = response.get_data(as_text=True)
            assert f'lang="{language}' in page
            found = offences(page, language)
            if found:
                bad[f"{language} {url}"] = found
    client.get("/?lang=fr")
    return bad


@pytest.fixture
def data(app):
    """One agreement in force at 30 000,00 $ a year (with its schedule and reports) and a request
    in the queue, in the same program."""
    agreement, officer = agreement_in_force("TNCES", years=2, amount="30000.00")
    queued = funding_request("TNCES", status="under_review", years=1, annual_amount="30000.00")
    queued.assignee_id = officer.id
    db.session.commit()
    return agreement, officer, queued


def test_officer_pages_are_formatted_in_both_languages(client, sign_in, data):
    agreement, officer, queued = data
    sign_in(officer)
    urls = [
        "/analyse/",
        f"/analyse/{queued.id}",
        f"/analyse/{agreement.request_id}",
        "/conventions/",
        f"/conventions/{agreement.id}",
        "/versements/",
        "/versements/programmes/TNCES",
        "/indexation/",
        "/ipc/",
        "/redditions/analyse/",
        "/redditions/analyse/programmes/TNCES",
    ]
    assert _scan(client, urls) == {}


def test_member_pages_are_formatted_in_both_languages(client, sign_in, data):
    agreement, _officer, _queued = data
    user = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    sign_in(user)
    urls = [
        "/demandes/",
        f"/demandes/{agreement.request_id}",
        "/conventions/",
        f"/conventions/{agreement.id}",
        "/redditions/",
    ]
    assert _scan(client, urls) == {}


def test_administrator_pages_are_formatted_in_both_languages(client, sign_in, data):
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    urls = ["/", "/ipc/", "/programmes/", "/programmes/TNCES", "/reference/plans"]
    assert _scan(client, urls) == {}


def test_the_scan_catches_what_it_is_for():
    assert offences("<td>2026-11-28</td>") and offences("<td>30 %</td>") and offences("<td>30 000,00 $</td>")
    assert offences("<td>$30 000.00</td>")
    ok = '<input type="date" value="2026-11-28"><time datetime="2026-11-28">28 novembre 2026</time>'
    assert not offences(ok + "<td>30\u00a0%</td><td>30\u00a0000,00\u00a0$</td><td>2026-2027</td>")


def test_money_keeps_its_cents_and_the_form_prefills_them(app):
    assert money(Decimal("30000"), "fr_CA") == "30\u00a0000,00\u00a0$"
    assert money(Decimal("30000"), "en_CA") == "$30,000.00"
    assert money_input(Decimal("30000")) == "30 000,00"
    assert money_input(Decimal("-1234.5")) == "-1 234,50"
    with app.test_request_context():
        request = funding_request("TNCES", status="under_review", years=1, annual_amount="30000.00")
        form = DecisionForm(meta={"csrf": False})
        form.set_request(request)
        cell = form.approved.entry(request.fiscal_years[0])
        assert 'value="30 000,00"' in str(cell())


def test_cpi_values_keep_one_decimal():
    assert cpi_value(Decimal("161"), "fr_CA") == "161,0"
    assert cpi_value(Decimal("157.2"), "fr_CA") == "157,2"
    assert cpi_value(Decimal("161"), "en_CA") == "161.0"


def test_lists_show_the_cents_like_the_detail_pages(client, sign_in, data):
    agreement, officer, _queued = data
    sign_in(officer)
    listing = client.get("/conventions/").get_data(as_text=True)
    detail = client.get(f"/conventions/{agreement.id}").get_data(as_text=True)
    queue = client.get("/analyse/").get_data(as_text=True)
    assert "60\u00a0000,00\u00a0$" in listing and "30\u00a0000,00\u00a0$" in detail
    assert "30\u00a0000,00\u00a0$" in queue
    assert "1er avril 2026 – 31 mars 2028" in visible_text(listing)
