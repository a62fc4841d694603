"""Only same-site pages are followed after sign-in and after the language switch (issue 12,
item 14; issue 13, item 4): `grants.core.security.safe_next` is the one check."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.factories import member
from tests.helpers import csrf_token

# Addresses a browser would take off the site: it drops tabs and line breaks and reads a backslash
# as a slash, so "/<tab>/evil.example" is "//evil.example".
OFF_SITE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: stolen=1",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " //evil.example",
]


def _stays_on_site(location: str) -> bool:
    """Where a browser would go with this Location header, from a page of this site."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in location):
        return False
    as_read = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    return urlsplit(urljoin("http://localhost/compte/", as_read)).netloc == "localhost"


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_follows_next_off_the_site(client, target):
    user = member()
    token = csrf_token(client, "/compte/connexion")
    response = client.post(
        "/compte/connexion",
        query_string={"next": target},
        data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 302
    assert _stays_on_site(response.headers["Location"])


def test_sign_in_returns_to_the_page_asked_for(client):
    user = member()
    organization_page = f"/organismes/{user.memberships[0].organization_id}?onglet=membres"
    first = client.get(organization_page)
    assert first.status_code == 302
    login_url = first.headers["Location"]
    token = csrf_token(client, login_url)
    response = client.post(
        login_url, data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token}
    )
    assert response.headers["Location"] == organization_page


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_leaves_the_site(client, target):
    token = csrf_token(client, "/compte/connexion")
    response = client.post("/language", data={"language": "en", "next": target, "csrf_token": token})
    assert response.status_code == 302
    assert _stays_on_site(response.headers["Location"])


def test_language_switch_after_a_form_post_returns_to_a_page(client, sign_in):
    """A page shown in answer to a POST carries that POST-only address as `next`: going back to it
    would answer 405. The switch goes to the referring page when it is a page, else home."""
    sign_in(member())
    token = csrf_token(client, "/")
    response = client.post(
        "/language", data={"language": "en", "next": "/compte/deconnexion", "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200

    response = client.post(
        "/language",
        data={"language": "fr", "next": "/compte/deconnexion", "csrf_token": token},
        headers={"Referer": "http://localhost/programmes/TNCES"},
    )
    assert response.headers["Location"] == "/programmes/TNCES"
    assert client.get("/programmes/TNCES").status_code == 200

    response = client.post("/language", data={"language": "en", "next": "/programmes/", "csrf_token": token})
    assert response.headers["Location"] == "/programmes/"


def test_safe_next_keeps_same_site_paths_and_encodes_what_a_header_cannot_carry():
    from grants.core.security import safe_next

    assert safe_next("/demandes/3?onglet=budget#lignes") == "/demandes/3?onglet=budget#lignes"
    assert safe_next("/programmes/?q=%C3%A9cole") == "/programmes/?q=%C3%A9cole"
    assert safe_next("/programmes/?q=école") == "/programmes/?q=%C3%A9cole"
    for target in [*OFF_SITE, None, "", "demandes/3", "/" + "a" * 3000]:
        assert safe_next(target) is None, target
