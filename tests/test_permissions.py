"""One permission layer: sign-in everywhere, 404 for other organizations, officers scoped to programs."""

import pytest

from grants.core.permissions import PUBLIC_ATTR
from grants.core.roles import MemberRole, StaffRole
from tests.factories import OrganizationFactory, member, staff
from tests.helpers import csrf_token

PUBLIC_ENDPOINTS = {
    "static",
    "core.healthz",
    "core.switch_language",
    "accounts.login",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
    "home.index",
}


def test_only_the_expected_views_are_public(app):
    public = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, PUBLIC_ATTR, False)}
    assert public | {"static"} == PUBLIC_ENDPOINTS


def test_every_private_get_route_sends_anonymous_visitors_to_sign_in(app, client):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in rule.methods:
            continue
        url = rule.build({arg: "1" for arg in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/compte/connexion" in response.location, url


def test_member_gets_404_for_another_organization(client, sign_in):
    mine = OrganizationFactory()
    other = OrganizationFactory()
    user = member(MemberRole.ACCOUNT_ADMIN, organization=mine)
    sign_in(user)
    assert client.get(f"/organismes/{mine.id}").status_code == 200
    for url in (
        f"/organismes/{other.id}",
        f"/organismes/{other.id}/modifier",
        f"/organismes/{other.id}/membres/inviter",
        "/organismes/999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert other.legal_name not in response.get_data(as_text=True)


def test_read_only_member_cannot_edit_or_invite(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.READ_ONLY, organization=organization))
    assert client.get(f"/organismes/{organization.id}").status_code == 200
    assert client.get(f"/organismes/{organization.id}/modifier").status_code == 404
    assert client.get(f"/organismes/{organization.id}/membres/inviter").status_code == 404


def test_member_cannot_reach_staff_pages(client, sign_in):
    sign_in(member())
    for url in ("/organismes/", "/courriels/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/journal/").status_code == 200  # their own files' history only


def test_officer_manages_only_their_programs(client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    assert client.get("/programmes/TNCES/enveloppes").status_code == 200
    assert client.get("/programmes/HEBERGEMENT/enveloppes").status_code == 404
    assert client.get("/programmes/HEBERGEMENT").status_code == 200  # the program itself is public reference


@pytest.mark.parametrize("role", [StaffRole.COORDINATION_CELL, StaffRole.SYSTEM_ADMIN])
def test_staff_read_every_organization(client, sign_in, role):
    organization = OrganizationFactory()
    sign_in(staff(role))
    assert client.get(f"/organismes/{organization.id}").status_code == 200
    assert client.get("/organismes/").status_code == 200


def test_forms_refuse_posts_without_csrf_token(client):
    response = client.post("/compte/connexion", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    # Refused, and the form comes back with why (issue 13, item 13: tests/test_expired_forms.py).
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Votre session a expiré ou le formulaire n'était plus valide" in page
    assert "rien n'a été enregistré" in page


def test_security_headers(client):
    response = client.get("/compte/connexion")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only_and_same_site(client, sign_in):
    sign_in(member())
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_cookies_are_secure_outside_tests():
    """Production settings (no SESSION_COOKIE_SECURE set) send session cookies over HTTPS only."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SESSION_COOKIE_SECURE"}
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config import Config; print(Config.SESSION_COOKIE_SECURE, Config.SESSION_COOKIE_HTTPONLY)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert output == ["True", "True"]


def test_the_cell_s_menu_leads_only_to_pages_it_can_read(client, sign_in):
    """Issue 13, item 15: the coordination cell manages no program, so its menu has no Indexation
    entry (an empty page); every entry it keeps shows something, the requests included."""
    import re

    from grants.core.db import db
    from tests.factories import funding_request

    submitted = funding_request(status="submitted")
    cell = staff(StaffRole.COORDINATION_CELL)
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    db.session.commit()

    def menu() -> list[str]:
        page = client.get("/").get_data(as_text=True)
        return re.findall(r'href="([^"]+)"', page.split('class="main-nav"')[1].split("</nav>")[0])

    sign_in(officer)
    assert "/indexation/" in menu()
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})

    sign_in(cell)
    links = menu()
    assert "/indexation/" not in links and "/analyse/" in links
    for href in links:
        response = client.get(href, follow_redirects=True)
        assert response.status_code == 200, href
        assert "Vous ne gérez aucun" not in response.get_data(as_text=True), href
    assert submitted.reference in client.get("/demandes/", follow_redirects=True).get_data(as_text=True)
