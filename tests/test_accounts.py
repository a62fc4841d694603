"""Sign-in with lockout, password reset by single-use token, invitations, the users CLI."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from grants.accounts.models import User, UserToken
from grants.accounts.operations import TokenPurpose, issue_token, sign_in
from grants.core.audit import AuditEntry
from grants.core.db import db, utcnow
from grants.core.roles import MemberRole, StaffRole
from grants.notifications.models import OutboundEmail
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member, staff
from tests.helpers import csrf_token


def _post_login(client, email, password):
    token = csrf_token(client, "/compte/connexion")
    return client.post("/compte/connexion", data={"email": email, "password": password, "csrf_token": token})


def test_sign_in_and_out(client):
    user = member()
    response = _post_login(client, user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert "Espace organisme" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/compte/deconnexion", data={"csrf_token": token}).status_code == 302
    assert client.get("/organismes/1").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_answer(client):
    user = UserFactory()
    wrong = _post_login(client, user.email, "not the password")
    unknown = _post_login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Adresse courriel ou mot de passe incorrect."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    user = UserFactory()
    for _ in range(4):
        assert _post_login(client, user.email, "wrong password!").status_code == 401
    fifth = _post_login(client, user.email, "wrong password!")
    assert "verrouillé" in fifth.get_data(as_text=True)
    right = _post_login(client, user.email, PASSWORD)
    assert right.status_code == 401
    assert "verrouillé" in right.get_data(as_text=True)
    db.session.refresh(user)
    assert user.failed_logins == 5
    assert db.session.query(AuditEntry).filter_by(action="user.locked").count() == 1


def test_lock_expires_after_the_configured_time(app):
    user = UserFactory()
    for _ in range(5):
        sign_in(user.email, "wrong password!")
    assert sign_in(user.email, PASSWORD).outcome == "locked"
    user.locked_until = utcnow() - timedelta(seconds=1)  # the timed unlock has come
    db.session.commit()
    assert sign_in(user.email, PASSWORD).outcome == "ok"
    assert user.failed_logins == 0


def test_reset_page_never_tells_whether_an_address_exists(client):
    user = UserFactory()
    answers = []
    for email in (user.email, "nobody@example.org"):
        token = csrf_token(client, "/compte/mot-de-passe-oublie")
        response = client.post("/compte/mot-de-passe-oublie", data={"email": email, "csrf_token": token})
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        # The CSRF token is signed with the current second: it is the one part allowed to differ.
        answers.append(re.sub(r'name="csrf_token"[^>]*>', "CSRF", page))
    assert answers[0] == answers[1]
    assert db.session.query(OutboundEmail).count() == 1  # only the real account gets an email


def test_reset_token_is_single_use_and_expires(client):
    user = UserFactory()
    token = issue_token(user, TokenPurpose.RESET, timedelta(hours=2))
    expired = issue_token(user, TokenPurpose.RESET, timedelta(seconds=-1))
    db.session.commit()
    assert (
        db.session.query(UserToken).filter(UserToken.token_hash == token).count() == 0
    )  # only a hash is kept
    assert client.get(f"/compte/reinitialiser/{expired}").status_code == 410
    url = f"/compte/reinitialiser/{token}"
    form_token = csrf_token(client, url)
    short = client.post(url, data={"password": "short", "confirm": "short", "csrf_token": form_token})
    assert short.status_code == 200
    assert "au moins 12 caractères" in short.get_data(as_text=True)
    new_password = "a brand new passphrase"
    done = client.post(
        url, data={"password": new_password, "confirm": new_password, "csrf_token": form_token}
    )
    assert done.status_code == 302
    assert client.get(url).status_code == 410  # used once, never again
    assert _post_login(client, user.email, new_password).status_code == 302


@pytest.mark.worker
def test_invitation_by_account_admin(client, sign_in, celery_worker, mailbox):
    organization = OrganizationFactory()
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    sign_in(admin)
    url = f"/organismes/{organization.id}/membres/inviter"
    bad = client.post(
        url,
        data={
            "email": "pas-une-adresse",
            "role": "contributor",
            "language": "en",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert bad.status_code == 422
    assert "Entrez une adresse courriel valide" in bad.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "email": "new.member@example.org",
            "full_name": "New Member",
            "role": "contributor",
            "language": "en",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert response.status_code == 302
    invited = db.session.execute(db.select(User).filter_by(email="new.member@example.org")).scalar_one()
    assert invited.member_role(organization.id) is None  # a member once the invitation is accepted
    assert invited.password_hash is None
    email = db.session.execute(db.select(OutboundEmail).filter_by(to_address=invited.email)).scalar_one()
    assert email.language == "en"
    assert email.subject.startswith("Subventions")
    # The link as delivered: the outbox forgets personal links once they are sent.
    delivered = mailbox.wait_for(invited.email).get_content()
    path = urlsplit(re.search(r"https?://\S+/compte/invitation/\S+", delivered).group(0)).path
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    password = "my first passphrase"
    accepted = client.post(
        path,
        data={"password": password, "confirm": password, "csrf_token": csrf_token(client, path)},
    )
    assert accepted.status_code == 302
    db.session.expire_all()
    assert invited.member_role(organization.id) is MemberRole.CONTRIBUTOR
    assert _post_login(client, invited.email, password).status_code == 302
    assert client.get(f"/organismes/{organization.id}").status_code == 200


def test_users_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "agent@example.org",
            "--name",
            "Agent Test",
            "--password",
            "long enough password",
            "--staff-role",
            "program_officer",
            "--program",
            "TNCES",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(db.select(User).filter_by(email="agent@example.org")).scalar_one()
    assert StaffRole.PROGRAM_OFFICER in user.staff_roles()
    again = runner.invoke(args=["users", "create", "agent@example.org", "--password", "long enough password"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    missing = runner.invoke(
        args=[
            "users",
            "create",
            "x@example.org",
            "--password",
            "long enough password",
            "--staff-role",
            "program_officer",
            "--program",
            "NOPE",
        ]
    )
    assert missing.exit_code != 0


def test_role_home_pages(client, sign_in):
    pages = {
        "Espace organisme": member(),
        "Espace agent·e de programme": staff(StaffRole.PROGRAM_OFFICER, "TNCES"),
        "Cellule de coordination du financement": staff(StaffRole.COORDINATION_CELL),
        "Administration du système": staff(StaffRole.SYSTEM_ADMIN),
    }
    for heading, user in pages.items():
        test_client = client.application.test_client()
        sign_in(user, target=test_client)
        assert heading in test_client.get("/").get_data(as_text=True)
