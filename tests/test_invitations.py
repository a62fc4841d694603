"""Joining an organization takes the person's consent (issue 12, item 16): an account
administrator invites, the invited person accepts or declines from the emailed link, signed in as
the invited account (or activating it), and every step is in the audit trail."""

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from grants.accounts.models import Membership, User, UserToken
from grants.accounts.operations import TokenPurpose, issue_token
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member
from tests.helpers import csrf_token


def _invite(client, organization, email, role="contributor"):
    url = f"/organismes/{organization.id}/membres/inviter"
    return client.post(
        url, data={"email": email, "role": role, "language": "fr", "csrf_token": csrf_token(client, url)}
    )


def _emailed_link(mailbox, email: str) -> str:
    """The path of the link in the invitation email, as delivered (the outbox forgets personal
    links once they are sent)."""
    message = mailbox.wait_for(email, subject_contains="invitation")
    return urlsplit(re.search(r"https?://\S+/compte/invitation/\S+", message.get_content()).group(0)).path


def _actions(organization_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEntry.action).filter_by(organization_id=organization_id).order_by(AuditEntry.id)
        )
    )


@pytest.mark.worker
def test_an_existing_account_joins_an_organization_only_by_accepting(
    app, client, sign_in, celery_worker, mailbox
):
    organization = OrganizationFactory()
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    someone = member(MemberRole.ACCOUNT_ADMIN)  # an existing account, member elsewhere
    sign_in(admin)

    assert _invite(client, organization, someone.email).status_code == 302
    db.session.expire_all()
    assert someone.member_role(organization.id) is None  # nothing attached without consent
    pending = client.get(f"/organismes/{organization.id}").get_data(as_text=True)
    assert "Invitations en attente de réponse" in pending and someone.email in pending
    link = _emailed_link(mailbox, someone.email)

    invited = app.test_client()
    first = invited.get(link)
    assert first.status_code == 302 and "/compte/connexion" in first.headers["Location"]
    login_url = first.headers["Location"]
    back = invited.post(
        login_url,
        data={"email": someone.email, "password": PASSWORD, "csrf_token": csrf_token(invited, login_url)},
    )
    assert back.headers["Location"] == link  # back to the invitation after signing in
    page = html.unescape(invited.get(link).get_data(as_text=True))
    assert organization.legal_name in page and "Contributeur·rice" in page
    accepted = invited.post(link, data={"accept": "1", "csrf_token": csrf_token(invited, link)})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert someone.member_role(organization.id) is MemberRole.CONTRIBUTOR
    assert invited.get(f"/organismes/{organization.id}").status_code == 200
    assert invited.get(link).status_code == 410  # answered once
    assert _actions(organization.id)[-3:] == [
        "membership.invited",
        "membership.invitation_accepted",
        "membership.created",
    ]


@pytest.mark.worker
def test_an_invited_person_can_decline(app, client, sign_in, celery_worker, mailbox):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    someone = UserFactory()
    _invite(client, organization, someone.email, role="account_admin")
    link = _emailed_link(mailbox, someone.email)

    invited = app.test_client()
    sign_in(someone, target=invited)
    declined = invited.post(link, data={"decline": "1", "csrf_token": csrf_token(invited, link)})
    assert declined.status_code == 302
    db.session.expire_all()
    assert someone.member_role(organization.id) is None
    assert invited.get(f"/organismes/{organization.id}").status_code == 404
    assert invited.get(link).status_code == 410
    assert _actions(organization.id)[-1] == "membership.invitation_declined"


@pytest.mark.worker
def test_only_the_invited_account_answers_its_invitation(app, client, sign_in, celery_worker, mailbox):
    organization = OrganizationFactory()
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    sign_in(admin)
    someone = UserFactory()
    _invite(client, organization, someone.email)
    link = _emailed_link(mailbox, someone.email)

    # The inviting administrator holding the link cannot accept for the person.
    assert client.get(link).status_code == 403
    refused = client.post(
        link, data={"accept": "1", "csrf_token": csrf_token(client, f"/organismes/{organization.id}")}
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert someone.member_role(organization.id) is None


def test_inviting_a_current_member_says_so(client, sign_in):
    organization = OrganizationFactory()
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    colleague = member(MemberRole.READ_ONLY, organization=organization)
    sign_in(admin)
    response = _invite(client, organization, colleague.email, role="account_admin")
    assert response.status_code == 422
    assert "déjà membre" in response.get_data(as_text=True)
    db.session.expire_all()
    assert colleague.member_role(organization.id) is MemberRole.READ_ONLY  # not changed in passing


@pytest.mark.worker
def test_a_new_address_becomes_a_member_once_the_person_chooses_a_password(
    app, client, sign_in, celery_worker, mailbox
):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    _invite(client, organization, "nouvelle@example.org")
    invited = db.session.execute(db.select(User).filter_by(email="nouvelle@example.org")).scalar_one()
    assert invited.password_hash is None and invited.member_role(organization.id) is None
    link = _emailed_link(mailbox, invited.email)

    visitor = app.test_client()
    password = "my first passphrase"
    done = visitor.post(
        link, data={"password": password, "confirm": password, "csrf_token": csrf_token(visitor, link)}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert invited.member_role(organization.id) is MemberRole.CONTRIBUTOR
    sign_in(invited, password=password, target=visitor)
    assert visitor.get(f"/organismes/{organization.id}").status_code == 200


def test_a_link_sent_before_consent_was_needed_still_activates_the_account(client):
    """Invitation links emailed before this change (membership already made) keep working."""
    organization = OrganizationFactory()
    user = member(MemberRole.CONTRIBUTOR, organization=organization, password_hash=None)
    token = issue_token(user, TokenPurpose.INVITATION, timedelta(days=14), organization_id=organization.id)
    db.session.commit()
    url = f"/compte/invitation/{token}"
    password = "an older invitation"
    done = client.post(
        url, data={"password": password, "confirm": password, "csrf_token": csrf_token(client, url)}
    )
    assert done.status_code == 302
    assert db.session.query(UserToken).filter(UserToken.used_at.is_not(None)).count() == 1


@pytest.mark.worker
def test_a_double_click_on_accept_makes_one_membership(app, client, sign_in, celery_worker, mailbox):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    someone = UserFactory()
    _invite(client, organization, someone.email)
    link = _emailed_link(mailbox, someone.email)
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        sign_in(someone, target=tab)
    tokens = [csrf_token(tab, link) for tab in tabs]
    start = threading.Barrier(len(tabs))

    def click(index: int) -> int:
        start.wait()
        return tabs[index].post(link, data={"accept": "1", "csrf_token": tokens[index]}).status_code

    with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
        statuses = sorted(pool.map(click, range(len(tabs))))
    assert statuses == [302, 410]
    memberships = db.session.query(Membership).filter_by(organization_id=organization.id, user_id=someone.id)
    assert memberships.count() == 1


@pytest.mark.worker
def test_an_english_invitee_s_link_opens_in_english(app, client, sign_in, celery_worker, mailbox):
    """Issue 13, item 4: emailed links carry their email's language (`lang=en`); the page opens in
    it before anyone signs in, the next pages keep it, and the language switch still wins."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    url = f"/organismes/{organization.id}/membres/inviter"
    client.post(
        url,
        data={
            "email": "new@example.org",
            "role": "contributor",
            "language": "en",
            "csrf_token": csrf_token(client, url),
        },
    )
    message = mailbox.wait_for("new@example.org", subject_contains="invitation")
    parts = urlsplit(re.search(r"https?://\S+/compte/invitation/\S+", message.get_content()).group(0))
    assert parts.query == "lang=en"
    link = f"{parts.path}?{parts.query}"

    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    assert '<html lang="en-CA">' in page
    assert '<html lang="en-CA">' in visitor.get("/compte/connexion").get_data(as_text=True)

    switched = visitor.post(
        "/language", data={"language": "fr", "next": link, "csrf_token": csrf_token(visitor, link)}
    )
    assert switched.headers["Location"] == parts.path  # `lang=en` would undo the switch
    assert '<html lang="fr-CA">' in visitor.get(switched.headers["Location"]).get_data(as_text=True)
