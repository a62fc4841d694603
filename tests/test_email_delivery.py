"""Emails that can never be sent stop being retried: an address the SMTP server refuses (550) or
cannot take (non-ASCII, no SMTPUTF8) is tried MAIL_PERMANENT_FAILURE_TRIES times, then marked
failed with its reason, shown on the outbox page. Headers are always writable (a line break in an
organization's name), one line each, with a Date and a Message-ID."""

import time

import pytest

from grants.accounts.operations import invite_member, request_password_reset
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.notifications.models import EmailStatus, OutboundEmail
from tests.conftest import wait_until
from tests.factories import OrganizationFactory, UserFactory, member, staff

pytestmark = pytest.mark.worker


def _message(to: str) -> OutboundEmail:
    db.session.expire_all()
    return db.session.execute(db.select(OutboundEmail).filter_by(to_address=to)).scalar_one()


def _failed(to: str) -> OutboundEmail | None:
    message = _message(to)
    return message if message.status == EmailStatus.FAILED else None


def test_an_address_the_server_refuses_is_tried_a_few_times_then_marked_failed(
    app, celery_worker, mailbox, client, sign_in
):
    user = UserFactory(email="inconnu@example.org")
    mailbox.refuse(user.email)
    request_password_reset(user.email)
    db.session.commit()
    failed = wait_until(lambda: _failed(user.email), timeout=40)
    assert failed.attempts == app.config["MAIL_PERMANENT_FAILURE_TRIES"]
    assert "550" in failed.last_error and "User unknown" in failed.last_error
    assert not any(user.email in str(m["To"]) for m in mailbox.messages)
    # Not retried any more, and not handed over again by the sweep.
    from workers.tasks import sweep_outbox

    sweep_outbox.delay()
    time.sleep(2)
    assert _message(user.email).attempts == failed.attempts
    # The administrators see it, and why.
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    listing = client.get("/courriels/?statut=failed").get_data(as_text=True)
    assert user.email in listing and "Échec : non envoyé" in listing and "User unknown" in listing
    from html import unescape

    detail = unescape(client.get(f"/courriels/{failed.id}").get_data(as_text=True))
    assert "Motif de l'échec" in detail and "550" in detail


def test_a_non_ascii_address_the_server_cannot_take_fails_with_its_reason(celery_worker, mailbox):
    user = UserFactory(email="josée@example.org")
    mailbox.stop()
    mailbox.start(smtputf8=False)
    try:
        request_password_reset(user.email)
        db.session.commit()
        failed = wait_until(lambda: _failed(user.email), timeout=40)
    finally:
        mailbox.stop()
        mailbox.start()
    assert "SMTPUTF8" in failed.last_error


def test_a_non_ascii_address_goes_to_a_server_that_takes_it(celery_worker, mailbox):
    user = UserFactory(email="josée@example.org")
    request_password_reset(user.email)
    db.session.commit()
    assert mailbox.wait_for("josée@example.org")["Subject"]


def test_an_accented_domain_is_sent_in_its_ascii_form(celery_worker, mailbox):
    user = UserFactory(email="direction@maison-québec.example")
    request_password_reset(user.email)
    db.session.commit()
    ascii_domain = "maison-québec.example".encode("idna").decode()
    delivered = mailbox.wait_for(f"direction@{ascii_domain}")
    assert delivered["Subject"]
    wait_until(lambda: _message(user.email).status == EmailStatus.SENT)


def test_a_line_break_in_an_organization_name_makes_a_one_line_subject(celery_worker, mailbox):
    organization = OrganizationFactory(legal_name="Maison Alpha\r\nBcc: tous@example.org")
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    invite_member(
        organization.id,
        organization.legal_name,
        "nouvelle@example.org",
        MemberRole.CONTRIBUTOR,
        actor=admin,
    )
    db.session.commit()
    delivered = mailbox.wait_for("nouvelle@example.org")
    assert delivered["Subject"] == "Subventions : invitation à rejoindre Maison Alpha Bcc: tous@example.org"
    assert delivered["Bcc"] is None
    assert delivered["Date"] is not None and delivered["Date"].datetime.tzinfo is not None
    assert delivered["Message-ID"].endswith("@subventions.example>")
    stored = wait_until(lambda: (m := _message("nouvelle@example.org")).status == EmailStatus.SENT and m)
    assert "\n" not in stored.subject and stored.attempts == 1
