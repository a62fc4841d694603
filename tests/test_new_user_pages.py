"""What a new user of the demo tripped on (walk of every role in French and English), each fixed
and pinned here with the Flask test client."""

from __future__ import annotations

import html

from grants.core.db import db
from grants.core.roles import MemberRole
from grants.requests.models import FundingRequest
from tests.factories import OrganizationFactory, funding_request, member
from tests.helpers import csrf_token, normalize_spaces


def _text(response) -> str:
    return normalize_spaces(html.unescape(response.get_data(as_text=True)))


def test_a_draft_refused_for_a_bad_cell_says_that_nothing_was_saved(client, sign_in):
    """A draft with one bad cell is saved not at all: the summary says so (it said only « Le
    formulaire contient des erreurs », and a person who left the page lost every figure)."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    url = f"/demandes/{request.id}/modifier"
    data = {
        "csrf_token": csrf_token(client, url),
        "version": str(request.version),
        "title": "Nouveau titre",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "budget-2026-rent": "abc",
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = _text(response)
    assert "Vos modifications n'ont pas été enregistrées" in page
    assert 'value="Nouveau titre"' in page and 'value="abc"' in page  # what was typed is still there
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title != "Nouveau titre"

    data["csrf_token"] = csrf_token(client, url + "?lang=en")
    english = _text(client.post(url, data=data, content_type="multipart/form-data"))
    assert "Your changes were not saved" in english
