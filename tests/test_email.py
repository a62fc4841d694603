"""Email through a real Celery worker to a real SMTP server on loopback; outages lose nothing."""

import pytest

from grants.accounts.operations import request_password_reset
from grants.core.db import db
from grants.notifications.models import EmailStatus, OutboundEmail
from tests.conftest import wait_until
from tests.factories import UserFactory

pytestmark = pytest.mark.worker


def _message(to: str) -> OutboundEmail:
    db.session.expire_all()
    return db.session.execute(db.select(OutboundEmail).filter_by(to_address=to)).scalar_one()


def test_worker_delivers_in_the_recipients_language(celery_worker, mailbox):
    french = UserFactory(preferred_language="fr")
    english = UserFactory(preferred_language="en")
    request_password_reset(french.email)
    request_password_reset(english.email)
    db.session.commit()  # the tasks are handed to Celery after the commit
    fr_mail = mailbox.wait_for(french.email)
    en_mail = mailbox.wait_for(english.email)
    assert "réinitialisation" in fr_mail["Subject"]
    assert "reset" in en_mail["Subject"].lower()
    assert "/compte/reinitialiser/" in fr_mail.get_content()
    sent = wait_until(lambda: _message(french.email).status == EmailStatus.SENT and _message(french.email))
    assert sent.sent_at is not None
    assert "/compte/reinitialiser/" not in sent.body_text  # the personal link is not kept once sent


def test_smtp_outage_keeps_the_message_and_delivers_it_later(celery_worker, mailbox):
    user = UserFactory()
    mailbox.stop()
    try:
        request_password_reset(user.email)
        db.session.commit()
        failed = wait_until(lambda: (m := _message(user.email)).attempts >= 1 and m.last_error and m)
        assert failed.status == EmailStatus.QUEUED
    finally:
        mailbox.start()
    delivered = mailbox.wait_for(user.email, timeout=30)
    assert user.email in delivered["To"]
    final = wait_until(lambda: (m := _message(user.email)).status == EmailStatus.SENT and m)
    assert final.attempts >= 2
    assert len([m for m in mailbox.messages if user.email in m["To"]]) == 1  # exactly once


def test_broker_outage_keeps_the_message_and_the_sweep_delivers_it(app, celery_worker, mailbox):
    """The broker is unreachable when the message is queued: it waits in the outbox, then the
    periodic sweep (run here on the real worker) hands it over."""
    from config import TestConfig
    from grants import create_app

    class BrokerDown(TestConfig):
        CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    user = UserFactory()
    cut_off = create_app(BrokerDown)
    try:
        with cut_off.app_context():
            request_password_reset(user.email)
            db.session.commit()  # dispatch fails quietly; the message stays in the outbox
            db.session.remove()
    finally:
        real = app.extensions["celery"]
        real.set_default()
        real.set_current()
    message = _message(user.email)
    assert message.status == EmailStatus.QUEUED and message.attempts == 0
    from workers.tasks import sweep_outbox

    def swept() -> bool:
        sweep_outbox.delay()
        return _message(user.email).status == EmailStatus.SENT

    wait_until(swept, timeout=30, interval=1)
    mailbox.wait_for(user.email)


def test_administrators_see_what_was_sent_to_whom(client, sign_in):
    from grants.core.roles import StaffRole
    from tests.factories import staff

    user = UserFactory()
    request_password_reset(user.email)
    db.session.commit()
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    page = client.get("/courriels/").get_data(as_text=True)
    assert user.email in page
    message = _message(user.email)
    detail = client.get(f"/courriels/{message.id}").get_data(as_text=True)
    assert "/compte/reinitialiser/" not in detail  # a personal link is never shown, even to them


def test_eager_mode_delivers_in_the_callers_process_and_an_outage_leaves_it_queued(app, mailbox):
    """CELERY_ALWAYS_EAGER: `queue_task` runs the delivery at once, with no broker and no worker.
    With the SMTP server down it is tried once (not again and again in the caller's process) and
    stays queued for the sweep."""
    from config import TestConfig
    from grants import create_app
    from tests.sqlite_app import restore_celery

    class Eager(TestConfig):
        CELERY_ALWAYS_EAGER = True
        CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens: the broker is never asked

    delivered, kept = UserFactory(), UserFactory()
    db.session.commit()
    eager = create_app(Eager)
    try:
        with eager.app_context():
            request_password_reset(delivered.email)
            db.session.commit()
            db.session.remove()
        assert _message(delivered.email).status == EmailStatus.SENT
        assert delivered.email in mailbox.wait_for(delivered.email)["To"]
        mailbox.stop()
        with eager.app_context():
            request_password_reset(kept.email)
            db.session.commit()
            db.session.remove()
    finally:
        mailbox.start()
        restore_celery(app)
    message = _message(kept.email)
    assert message.status == EmailStatus.QUEUED and message.attempts == 1 and message.last_error
