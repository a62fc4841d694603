"""Thin Celery tasks: each calls one grants operation inside the Flask app context."""

from __future__ import annotations

from celery import shared_task

from grants.core.db import db


@shared_task(bind=True, name="workers.tasks.deliver_email", max_retries=None)
def deliver_email(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one outbox message; on an SMTP failure try again later (the message is never lost)."""
    from grants.notifications.operations import Delivery, deliver

    try:
        outcome, retry_in = deliver(message_id)
    finally:
        db.session.remove()
    if outcome is Delivery.FAILED:
        raise self.retry(countdown=retry_in)
    return outcome.value


@shared_task(name="workers.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Hand over queued messages the broker may have lost (sent to it while it was down)."""
    from grants.notifications.operations import due_messages

    try:
        message_ids = due_messages()
    finally:
        db.session.remove()
    for message_id in message_ids:
        deliver_email.delay(message_id)
    return len(message_ids)
