"""Queue an email with the change that causes it; deliver it later, exactly once, retrying on failure.

`notify(events.X, **context)` finds the event's recipients (grants.notifications.events);
`queue_email` renders the message in each recipient's language and writes it to the outbox in the
caller's transaction; after commit the delivery task is handed to Celery. If the broker is
down at that moment nothing is lost: the periodic sweep hands over every queued message whose
time has come. `deliver` claims a message atomically, sends it, and stamps it sent; a passing
failure (the server is down, a 4xx answer) puts it back in the queue with a growing delay; a
failure that will not pass (a 5xx answer for the address or the message, an address the server
cannot take) is tried MAIL_PERMANENT_FAILURE_TRIES times, then marked failed with its reason.
An event may register a delivery check (`delivery_check`): run after each claim, it withdraws a
message that is no longer true (a report reminder once the report is submitted). An event may also
register a delivery renderer (`delivery_renderer`): its messages are queued without their text
(`queue_for_delivery`: the outbox row holds the event, the recipient and its language, and the
feature keeps the parameters, as ids and dates, in its own rows) and written when their turn comes,
in the recipient's language, just before sending; `content` shows a message not yet written (the
outbox pages).
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from enum import StrEnum
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import insert, or_, update

from grants.core.db import db, utcnow
from grants.core.i18n import locale_for_language
from grants.core.tasks import DELIVER_EMAIL, queue_task
from grants.notifications.events import DEFAULT_LANGUAGE, REGISTRY, Audience, EmailEvent
from grants.notifications.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)
SUBJECT_SEPARATOR = "\n---\n"
STALE_CLAIM = timedelta(minutes=10)
SUBJECT_MAX = 255  # the outbox column
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """A header value on one line: line breaks and other control characters (a line break typed
    in an organization's name) become one space, so a header can always be written."""
    return re.sub(r" {2,}", " ", _CONTROL.sub(" ", text or "")).strip()


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str


def render(event: EmailEvent, language: str, *, recipient: Any, **context: Any) -> RenderedEmail:
    """The event's subject and text body in `language` (`templates/email/<key>.txt`: the subject
    on the first line, then a `---` line, then the body). The context must be the event's."""
    _check_context(event, context)
    with force_locale(locale_for_language(language)):
        rendered = render_template(event.template, language=language, recipient=recipient, **context)
    subject, _, body = rendered.partition(SUBJECT_SEPARATOR)
    return RenderedEmail(subject=one_line(subject)[:SUBJECT_MAX], body_text=body.strip() + "\n")


def _check_context(event: EmailEvent, context: dict[str, Any]) -> None:
    missing, unknown = event.context - context.keys(), context.keys() - event.context
    if missing or unknown:
        raise TypeError(
            f"email {event.key}: context missing {sorted(missing) or 'nothing'}, "
            f"unknown {sorted(unknown) or 'nothing'}"
        )


def notify(
    event: EmailEvent,
    *,
    to: Any = None,
    exclude: Any = None,
    organization_id: int | None = None,
    language: str | None = None,
    attachment_file_ids: list[int] | tuple[int, ...] = (),
    **context: Any,
) -> list[OutboundEmail]:
    """Queue the event's email for each of its recipients (events.Audience), each in their own
    language. `to` is the person (or, for an address audience, the address) the caller names;
    `exclude` a person not to tell (the one who acted); `organization_id` the organization the
    message concerns when the event is not about one of its objects; `language` the language of
    a message to an address."""
    if not isinstance(event, EmailEvent):
        raise TypeError(f"name an event of grants.notifications.events, not {event!r}")
    _check_context(event, context)
    subject = context[event.about] if event.about else None
    if organization_id is None:
        organization_id = getattr(subject, "organization_id", None)
    if event.audience is Audience.ADDRESS:
        if not to:
            raise ValueError(f"email {event.key}: no address given")
        language = language or DEFAULT_LANGUAGE
        return [
            queue_email(
                to,
                event,
                language=language,
                organization_id=organization_id,
                attachment_file_ids=attachment_file_ids,
                **context,
            )
        ]
    excluded = getattr(exclude, "id", None)
    return [
        queue_email(
            person.email,
            event,
            language=person.preferred_language or DEFAULT_LANGUAGE,
            recipient=person,
            organization_id=organization_id,
            attachment_file_ids=attachment_file_ids,
            **context,
        )
        for person in recipients(event, subject, to)
        if excluded is None or person.id != excluded
    ]


def recipients(event: EmailEvent, subject: Any, to: Any = None) -> list[Any]:
    """The people an event's email goes to: its audience, read from what it is about."""
    audience = event.audience
    if audience is Audience.ORGANIZATION:
        return recipients_of_organization(subject.organization_id)
    if audience is Audience.CONTRIBUTORS:
        return recipients_of_organization(subject.organization_id, contributors_only=True)
    if audience is Audience.OFFICERS:
        return officers_of_program(subject.program_id)
    if audience is Audience.OFFICER_IN_CHARGE:
        return [to] if to is not None else officers_of_program(subject.program_id)
    if to is None:
        raise ValueError(f"email {event.key}: say to whom (`to=`)")
    return [to]


def queue_email(
    to_address: str,
    event: EmailEvent,
    *,
    language: str = DEFAULT_LANGUAGE,
    recipient: Any = None,
    organization_id: int | None = None,
    attachment_file_ids: list[int] | tuple[int, ...] = (),
    **context: Any,
) -> OutboundEmail:
    """Render the event's email in `language` and add it to the outbox, in the caller's
    transaction. Attachments are stored files (grants.files), read from storage when sent."""
    rendered = render(event, language, recipient=recipient, **context)
    message = OutboundEmail(
        to_address=to_address,
        recipient_id=getattr(recipient, "id", None),
        organization_id=organization_id,
        language=language,
        template=event.key,
        subject=rendered.subject,
        body_text=rendered.body_text,
        attachment_file_ids=list(attachment_file_ids),
    )
    db.session.add(message)
    db.session.flush()
    pending = db.session.info.setdefault("emails_to_dispatch", [])
    pending.append(message.id)
    return message


def queue_for_delivery(
    batch: Iterable[tuple[Any, EmailEvent, int | None]], *, dispatch: bool = True
) -> list[int]:
    """Queue many messages whose text is written at delivery (the event has a `delivery_renderer`):
    each item is (person, event, organization_id); nothing is rendered here, so a batch of 10 000
    costs one INSERT. The caller keeps, in its transaction, what the renderer reads (the claim and
    its rows). Answers the message ids, in order. `dispatch=False`: the caller hands the ids to the
    broker after commit (a Celery task sends them in a few batches instead of one broker round trip
    per message); if it never does, the outbox sweep delivers them."""
    now = utcnow()
    rows = []
    for person, event, organization_id in batch:
        if event.key not in DELIVERY_RENDERERS:
            raise TypeError(f"email {event.key}: no delivery renderer registered")
        rows.append(
            {
                "to_address": person.email,
                "recipient_id": person.id,
                "organization_id": organization_id,
                "language": person.preferred_language or DEFAULT_LANGUAGE,
                "template": event.key,
                "subject": "",
                "body_text": NOT_WRITTEN,
                "attachment_file_ids": [],
                "status": EmailStatus.QUEUED,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    if not rows:
        return []
    message_ids = list(
        db.session.scalars(
            insert(OutboundEmail).returning(OutboundEmail.id, sort_by_parameter_order=True), rows
        )
    )
    if dispatch:
        db.session.info.setdefault("emails_to_dispatch", []).extend(message_ids)
    return message_ids


NOT_WRITTEN = ""
"""The body of a message queued by `queue_for_delivery` until its delivery writes it (a written
body is never empty: it ends with a line break)."""

DeliveryRenderer = Callable[[OutboundEmail], RenderedEmail]
DELIVERY_RENDERERS: dict[str, DeliveryRenderer] = {}


def delivery_renderer(*events: EmailEvent) -> Callable[[DeliveryRenderer], DeliveryRenderer]:
    """Register how to write a message of one of `events` queued without its text: from the outbox
    row (its recipient, its language) and the feature's own rows, it answers `render(...)`."""

    def register(renderer: DeliveryRenderer) -> DeliveryRenderer:
        for event in events:
            DELIVERY_RENDERERS[event.key] = renderer
        return renderer

    return register


def is_written(message: OutboundEmail) -> bool:
    return message.body_text != NOT_WRITTEN


def content(message: OutboundEmail) -> RenderedEmail:
    """A message's subject and body: as stored, or, for one written at delivery and not yet sent,
    as it would be written now (nothing is stored)."""
    renderer = DELIVERY_RENDERERS.get(message.template)
    if is_written(message) or renderer is None:
        return RenderedEmail(subject=message.subject, body_text=message.body_text)
    try:
        return renderer(message)
    except LookupError:  # what it was about is gone (it is withdrawn at delivery)
        return RenderedEmail(subject=f"({message.template})", body_text="")


def write(message: OutboundEmail) -> None:
    """Write the text of a message queued by `queue_for_delivery`, in its recipient's language
    (kept with the message once it is sent)."""
    if is_written(message):
        return
    renderer = DELIVERY_RENDERERS.get(message.template)
    if renderer is None:
        raise RuntimeError(f"email {message.id} ({message.template}) has no text and no renderer")
    rendered = renderer(message)
    message.subject = rendered.subject
    message.body_text = rendered.body_text


def dispatch_after_commit(session: Any) -> None:
    """After a commit, hand the new messages to Celery; a broker outage only delays them."""
    message_ids = session.info.pop("emails_to_dispatch", [])
    if not message_ids:
        return
    for message_id in message_ids:
        try:
            queue_task(DELIVER_EMAIL, message_id)
        except Exception as error:
            log.warning("broker unavailable, email %s stays queued: %s", message_id, error)


def forget_after_rollback(session: Any, previous_transaction: Any = None) -> None:
    session.info.pop("emails_to_dispatch", None)


def claim(message_id: int) -> OutboundEmail | None:
    """Take a queued message for sending; None if another worker has it or it was sent."""
    now = utcnow()
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == message_id,
            or_(
                OutboundEmail.status == EmailStatus.QUEUED,
                (OutboundEmail.status == EmailStatus.SENDING)
                & (OutboundEmail.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status=EmailStatus.SENDING, claimed_at=now, attempts=OutboundEmail.attempts + 1)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboundEmail, message_id)


def build_message(message: OutboundEmail) -> EmailMessage:
    """The email as it goes on the wire: one-line headers, a Date and a Message-ID on our domain."""
    config = current_app.config
    sender = one_line(config["MAIL_DEFAULT_SENDER"])
    email = EmailMessage()
    email["Subject"] = one_line(message.subject)
    email["From"] = sender
    email["To"] = smtp_address(message.to_address)
    email["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "subventions.invalid"
    email["Message-ID"] = make_msgid(idstring=f"grants-{message.id}", domain=domain)
    email["Content-Language"] = "fr-CA" if message.language == "fr" else "en-CA"
    email.set_content(message.body_text)
    _attach_files(email, message.attachment_file_ids or [])
    return email


def smtp_address(address: str) -> str:
    """The address as SMTP takes it: one line, an accented domain in its ASCII (IDNA) form. An
    accented name before the @ stays: only a server announcing SMTPUTF8 accepts it."""
    address = one_line(address)
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return f"{local}{at}{domain}" if at else address


def send_smtp(message: OutboundEmail) -> None:
    """Hand one message to the SMTP server named by MAIL_SERVER / MAIL_PORT."""
    config = current_app.config
    email = build_message(message)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def _attach_files(email: EmailMessage, file_ids: list[int]) -> None:
    from grants.files.models import StoredFile
    from grants.files.storage import read

    for file_id in file_ids:
        stored = db.session.get(StoredFile, file_id)
        if stored is None:
            continue
        maintype, _, subtype = stored.media_type.partition("/")
        email.add_attachment(
            read(stored), maintype=maintype, subtype=subtype or "octet-stream", filename=stored.original_name
        )


@dataclass(frozen=True)
class RecipientFinders:
    """How to find the people of an organization or a program. Accounts own those tables and
    register their queries here (`grants.accounts.queries`), so notifications never import
    accounts and the arrow runs one way."""

    organization: Callable[..., list[Any]]
    program_officers: Callable[[int], list[Any]]


_finders: list[RecipientFinders] = []


def register_recipient_finders(finders: RecipientFinders) -> None:
    _finders[:] = [finders]


def _finder() -> RecipientFinders:
    if not _finders:
        raise RuntimeError("no recipient finders registered (grants.accounts.queries is not imported)")
    return _finders[0]


def recipients_of_organization(organization_id: int, *, contributors_only: bool = False) -> list[Any]:
    """The active members of an organization who receive its emails (each in their language)."""
    return _finder().organization(organization_id, contributors_only=contributors_only)


def officers_of_program(program_id: int) -> list[Any]:
    """The active program officers assigned to a program."""
    return _finder().program_officers(program_id)


DeliveryCheck = Callable[[OutboundEmail], str | None]
DELIVERY_CHECKS: dict[str, DeliveryCheck] = {}


def delivery_check(*events: EmailEvent) -> Callable[[DeliveryCheck], DeliveryCheck]:
    """Register a check run when a message of one of `events` is about to go (after its claim, at
    every try): it answers why the message is no longer true (then it is withdrawn, not sent) or
    None. A reminder for a report submitted while the SMTP server was down, say."""

    def register(check: DeliveryCheck) -> DeliveryCheck:
        for event in events:
            DELIVERY_CHECKS[event.key] = check
        return check

    return register


class Delivery(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # sent already, or another worker holds it
    WITHDRAWN = "withdrawn"  # its delivery check found it no longer true: not sent
    FAILED = "failed"  # back in the queue; try again later
    GAVE_UP = "gave_up"  # a failure that will not pass, tried enough: marked failed, not retried


def is_permanent(error: BaseException) -> bool:
    """Whether a failure is about this message and will not pass by waiting: the server refused
    the address or the message with a 5xx answer, cannot take the address (SMTPUTF8), or the
    message cannot be written. A server that is down, a 4xx answer, a server refusing the
    connection, the sender or the credentials (the configuration, not the message) are passing
    failures."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    passing = (
        smtplib.SMTPSenderRefused,
        smtplib.SMTPAuthenticationError,
        smtplib.SMTPConnectError,
        smtplib.SMTPHeloError,
    )
    if isinstance(error, passing):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    return isinstance(error, ValueError | LookupError)  # UnicodeError included


def failure_reason(error: BaseException) -> str:
    """The reason kept with the message and shown on the outbox page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        details = "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in error.recipients.items()
        )
        return f"SMTPRecipientsRefused: {details}"[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def deliver(message_id: int) -> tuple[Delivery, int]:
    """Send one message; answer what happened and, on failure, the seconds before the next try."""
    message = claim(message_id)
    if message is None:
        return Delivery.SKIPPED, 0
    check = DELIVERY_CHECKS.get(message.template)
    reason = check(message) if check is not None else None
    if reason:
        message.status = EmailStatus.WITHDRAWN
        message.last_error = reason[:2000]
        db.session.commit()
        log.info("email %s withdrawn: %s", message_id, reason)
        return Delivery.WITHDRAWN, 0
    try:
        write(message)  # a message queued without its text: written now, in its recipient's language
        send_smtp(message)
    except Exception as error:  # every failure is kept with the message, none leaves it claimed
        db.session.rollback()
        message = db.session.get(OutboundEmail, message_id)
        reason = failure_reason(error)
        message.last_error = reason
        tries = current_app.config["MAIL_PERMANENT_FAILURE_TRIES"]
        if is_permanent(error) and message.attempts >= tries:
            message.status = EmailStatus.FAILED
            db.session.commit()
            log.error("email %s failed for good after %s attempts: %s", message_id, message.attempts, reason)
            return Delivery.GAVE_UP, 0
        delay = min(current_app.config["MAIL_RETRY_DELAY"] * 2 ** (message.attempts - 1), 3600)
        message.status = EmailStatus.QUEUED
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
        db.session.commit()
        log.warning("email %s not delivered (attempt %s): %s", message_id, message.attempts, reason)
        return Delivery.FAILED, delay
    message.status = EmailStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    event = REGISTRY.get(message.template)
    if event is not None and event.secret:  # a personal link is not kept once delivered
        message.body_text = "[personal link removed after delivery]\n"
    db.session.commit()
    return Delivery.SENT, 0


def due_messages(limit: int = 500) -> list[int]:
    """Messages the broker may have lost: queued and due, or claimed by a worker that died."""
    now = utcnow()
    grace = timedelta(seconds=current_app.config["MAIL_SWEEP_AFTER"])
    queued_due = (
        (OutboundEmail.status == EmailStatus.QUEUED)
        & (OutboundEmail.next_attempt_at <= now)
        & ((OutboundEmail.attempts > 0) | (OutboundEmail.created_at <= now - grace))
    )
    stale_claim = (OutboundEmail.status == EmailStatus.SENDING) & (
        OutboundEmail.claimed_at < now - STALE_CLAIM
    )
    return list(
        db.session.scalars(
            db.select(OutboundEmail.id)
            .where(or_(queued_due, stale_claim))
            .order_by(OutboundEmail.id)
            .limit(limit)
        )
    )
