"""The outbox: every email the product sends, kept until delivered, then stamped once sent."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from grants.core.db import UTCDateTime, db, utcnow
from grants.core.enums import LabelledEnum


class EmailStatus(LabelledEnum):
    QUEUED = "queued", _l("En attente d'envoi")  # waiting for the worker (first try or a retry)
    SENDING = "sending", _l("En cours d'envoi")  # claimed by a worker
    SENT = "sent", _l("Envoyé")
    FAILED = "failed", _l("Échec : non envoyé")  # refused for good (a 5xx, an impossible address)
    WITHDRAWN = "withdrawn", _l("Retiré : plus d'actualité")  # a delivery check found it stale: not sent


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
