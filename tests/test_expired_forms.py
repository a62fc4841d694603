"""Issue 13, item 13: a form sent after its session expired (or with a token the server no longer
recognises) comes back with what the person typed, a fresh token and a message saying why, in their
language; a signed-out person is told to sign in again. Never an error page, never a 500."""

from __future__ import annotations

import html
import re

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.requests.models import FundingRequest
from tests.factories import OrganizationFactory, funding_request, member, staff
from tests.helpers import csrf_token

EXPIRED_FR = "Votre session a expiré ou le formulaire n'était plus valide"
EXPIRED_EN = "Your session expired or the form was no longer valid"
SIGN_IN_AGAIN_FR = "Connectez-vous de nouveau"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _draft(client, sign_in, **user):
    organization = OrganizationFactory()
    request = funding_request("TNCES", organization, years=1, title="Ancien titre")
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization, **user))
    return request


def _typed(request) -> dict[str, str]:
    return {
        "version": str(request.version),
        "title": "Titre tapé avant l'expiration",
        "summary": "Un résumé « long » & détaillé\nsur deux lignes.",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "budget-2026-salaries": "12 345,67",
        "amount-2026": "10 000",
        "region_codes": ["06", "13"],
    }


def test_an_expired_session_gives_the_form_back_with_what_was_typed(client, sign_in):
    request = _draft(client, sign_in)
    url = f"/demandes/{request.id}/modifier"
    old_token = csrf_token(client, url)
    # The session's token is gone (the session expired on the server side): the old token fails.
    with client.session_transaction() as session:
        session.pop("csrf_token", None)
    typed = _typed(request)
    response = client.post(url, data={**typed, "csrf_token": old_token}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = _text(response)
    assert EXPIRED_FR in page
    assert 'value="Titre tapé avant l\'expiration"' in page
    assert "Un résumé « long » & détaillé\nsur deux lignes.</textarea>" in page
    assert 'value="12 345,67"' in page
    assert re.search(r'<input[^>]*value="06"[^>]*checked', page) or re.search(
        r'<input[^>]*checked[^>]*value="06"', page
    )
    fresh = _TOKEN.search(response.get_data(as_text=True)).group(1)
    assert fresh != old_token
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title == "Ancien titre"  # nothing saved

    # Sent again with the page's fresh token, it is saved.
    again = client.post(url, data={**typed, "csrf_token": fresh}, content_type="multipart/form-data")
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title == "Titre tapé avant l'expiration"


def test_a_forged_token_on_an_action_address_comes_back_on_its_page_in_english(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="en")
    request = funding_request("TNCES", status="recommended", years=1)
    sign_in(officer)
    page_url = f"/analyse/{request.id}"
    client.get(page_url)
    data = {
        "csrf_token": "not-a-token",
        "decision-version": str(request.version),
        "decision-decision": "refuse",
        "decision-reasons": "Hors du mandat du programme.",
    }
    response = client.post(
        f"{page_url}/decision", data=data, headers={"Referer": f"http://localhost{page_url}"}
    )
    assert response.status_code == 400
    page = _text(response)
    assert EXPIRED_EN in page
    assert "Hors du mandat du programme.</textarea>" in page
    assert re.search(r'<input[^>]*value="refuse"[^>]*checked', page)
    fresh = _TOKEN.search(response.get_data(as_text=True)).group(1)
    again = client.post(f"{page_url}/decision", data={**data, "csrf_token": fresh})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).decision_reasons == "Hors du mandat du programme."


def test_a_signed_out_person_is_told_to_sign_in_again(app, client, sign_in):
    request = _draft(client, sign_in)
    url = f"/demandes/{request.id}/modifier"
    stranger = app.test_client()  # the session is gone altogether: signed out
    response = stranger.post(url, data={**_typed(request), "csrf_token": "old"})
    assert response.status_code == 303
    assert "/compte/connexion" in response.headers["Location"]
    page = _text(stranger.get(response.headers["Location"]))
    assert SIGN_IN_AGAIN_FR in page
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title == "Ancien titre"


def test_the_sign_in_form_keeps_the_address_but_never_the_password(app):
    visitor = app.test_client()
    visitor.get("/compte/connexion")
    response = visitor.post(
        "/compte/connexion", data={"email": "marie@example.org", "password": "secret-123", "csrf_token": "x"}
    )
    assert response.status_code == 400
    page = _text(response)
    assert EXPIRED_FR in page
    assert 'value="marie@example.org"' in page
    assert "secret-123" not in page
    assert _TOKEN.search(page)


def test_a_post_without_a_page_to_go_back_to_still_answers_a_page(client, sign_in):
    request = _draft(client, sign_in)
    response = client.post(f"/demandes/{request.id}/pieces/1/retirer", data={"csrf_token": "x"})
    assert response.status_code == 400
    assert "Formulaire expiré" in _text(response)
