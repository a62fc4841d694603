"""The outbox: every email the product sends, kept until delivered, then stamped once sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from grants.core.db import UTCDateTime, db, utcnow


class EmailStatus(StrEnum):
    QUEUED = "queued"  # waiting for the worker (first try or a retry)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # refused for good (a 5xx answer, an impossible address): not retried
    WITHDRAWN = "withdrawn"  # no longer true when its turn came (a delivery check said so): not sent

    @property
    def label(self) -> str:
        return str(EMAIL_STATUS_LABELS[self])


EMAIL_STATUS_LABELS = {
    EmailStatus.QUEUED: _l("En attente d'envoi"),
    EmailStatus.SENDING: _l("En cours d'envoi"),
    EmailStatus.SENT: _l("Envoyé"),
    EmailStatus.FAILED: _l("Échec : non envoyé"),
    EmailStatus.WITHDRAWN: _l("Retiré : plus d'actualité"),
}


class OutboundEmail(db.Model):
    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(255), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(2), default="fr")
    template: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    # Stored files (grants.files) sent as attachments, e.g. an acknowledgement of receipt PDF.
    attachment_file_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    status: Mapped[EmailStatus] = mapped_column(String(10), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return EmailStatus(self.status).label
