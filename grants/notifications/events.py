"""Every event the product emails about, declared once: what it is called, which template writes
it, who receives it, in which language, and what its template reads.

Operations name the event and give its context, never a template:

    notify(events.REQUEST_SUBMITTED, funding_request=funding_request, attachment_file_ids=[pdf.id])

`grants.notifications.operations.notify` finds the recipients from the event's audience (the
members of the organization that `about` belongs to, the officers of its program, one person),
renders the template once per recipient in that recipient's language and writes each message to
the outbox, in the caller's transaction.

Templates: `templates/email/<key>.txt`, the subject on the first line, a `---` line, then the text
body (plain text only: no email has an HTML body). The key is also what the outbox stores in
`template`. Golden renderings of each event, in French and in English,
live in `tests/golden/emails/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_LANGUAGE = "fr"
"""The language of a message sent to an address rather than a person: an organization's, and
organizations have no language of their own here: French, the language of the administration."""


class Audience(StrEnum):
    """Who receives an event's email."""

    ORGANIZATION = "organization"  # the active members of the organization the event is about
    CONTRIBUTORS = "contributors"  # the organization's account administrators and contributors
    OFFICERS = "officers"  # the active officers of the program the event is about
    OFFICER_IN_CHARGE = "officer_in_charge"  # the officer given (the assignee), else the program's officers
    USER = "user"  # one person, given by the caller
    ADDRESS = "address"  # an address without an account, given by the caller


class LanguageRule(StrEnum):
    """Which language a message is written in."""

    RECIPIENT = "recipient"  # each person's preferred language (User.preferred_language)
    ORGANIZATION = "organization"  # the organization's language, for a bare address (DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class EmailEvent:
    """One kind of email: its key (the template's name), who gets it, what its template reads."""

    key: str
    audience: Audience
    context: frozenset[str]
    """The names the template reads, besides `recipient` (the person, given by `notify`)."""
    about: str | None = None
    """The context entry whose organization (and program) the recipients are found from."""
    secret: bool = False
    """The body holds a personal link: it is wiped from the outbox once delivered."""
    attached: bool = False
    """The caller attaches a stored file (a PDF)."""
    language: LanguageRule = field(init=False)

    def __post_init__(self) -> None:
        rule = LanguageRule.ORGANIZATION if self.audience is Audience.ADDRESS else LanguageRule.RECIPIENT
        object.__setattr__(self, "language", rule)
        if self.about is not None and self.about not in self.context:
            raise ValueError(f"{self.key}: `about` ({self.about}) is not in its context")
        if self.about is None and self.audience not in (Audience.USER, Audience.ADDRESS):
            raise ValueError(f"{self.key}: an audience of {self.audience} needs `about`")

    @property
    def template(self) -> str:
        """The text template: subject line, `---`, body."""
        return f"email/{self.key}.txt"

    def __str__(self) -> str:
        return self.key


REGISTRY: dict[str, EmailEvent] = {}


def _event(
    key: str, audience: Audience, *context: str, secret: bool = False, attached: bool = False
) -> EmailEvent:
    """Declare an event. When the recipients come from an object (every audience but one person or
    an address), that object is the first name of the context."""
    if key in REGISTRY:
        raise ValueError(f"email event {key} declared twice")
    about = None if audience in (Audience.USER, Audience.ADDRESS) else context[0]
    event = EmailEvent(key, audience, frozenset(context), about=about, secret=secret, attached=attached)
    REGISTRY[key] = event
    return event


# Each event: its key (its template), its audience, then the names its template reads.
# == accounts =======================================================================================
PASSWORD_RESET = _event("password_reset", Audience.USER, "link", "hours", secret=True)
_INVITATION_READS = ("inviter", "role", "organization_name", "link", "days", "has_password")
INVITATION = _event("invitation", Audience.USER, *_INVITATION_READS, secret=True)

# == funding requests and their review ==============================================================
REQUEST_SUBMITTED = _event("request_submitted", Audience.ORGANIZATION, "funding_request", attached=True)
REQUEST_SUBMITTED_OFFICER = _event("request_submitted_officer", Audience.OFFICERS, "funding_request")
REQUEST_ASSIGNED = _event("request_assigned", Audience.USER, "funding_request", "assigned_by")
REQUEST_INFO_REQUESTED = _event("request_info_requested", Audience.CONTRIBUTORS, "funding_request", "info")
REQUEST_INFO_PROVIDED = _event("request_info_provided", Audience.OFFICER_IN_CHARGE, "funding_request", "info")
REQUEST_RECOMMENDED = _event("request_recommended", Audience.OFFICERS, "funding_request", "recommended_by")
REQUEST_APPROVED = _event("request_approved", Audience.ORGANIZATION, "funding_request", "agreement")
REQUEST_REFUSED = _event("request_refused", Audience.ORGANIZATION, "funding_request")
REQUEST_WITHDRAWN = _event("request_withdrawn", Audience.USER, "funding_request")

# == agreements =====================================================================================
AGREEMENT_SENT = _event("agreement_sent", Audience.ORGANIZATION, "agreement", "version")
AGREEMENT_ACCEPTED = _event("agreement_accepted", Audience.OFFICERS, "agreement", "version")
AGREEMENT_COUNTERSIGNED = _event("agreement_countersigned", Audience.ORGANIZATION, "agreement", "version")

# == installments ===================================================================================
INSTALLMENT_PAID = _event("installment_pay", Audience.ORGANIZATION, "installment", "agreement")
INSTALLMENT_HELD = _event("installment_hold", Audience.ORGANIZATION, "installment", "agreement")
INSTALLMENT_RELEASED = _event("installment_release", Audience.ORGANIZATION, "installment", "agreement")

# == indexation =====================================================================================
INDEXATION_NOTICE = _event(
    "indexation_notice", Audience.ORGANIZATION, "agreement", "run", "line", attached=True
)
INDEXATION_REVERSED = _event("indexation_reversed", Audience.ORGANIZATION, "agreement", "run", "line")

# == accountability reports =========================================================================
REPORT_SUBMITTED = _event("report_submitted", Audience.ORGANIZATION, "report", "resubmission", attached=True)
REPORT_SUBMITTED_OFFICER = _event("report_submitted_officer", Audience.OFFICERS, "report", "resubmission")
REPORT_CHANGES_REQUESTED = _event("report_changes_requested", Audience.ORGANIZATION, "report", "change")
REPORT_ACCEPTED = _event("report_accepted", Audience.ORGANIZATION, "report", "released", "authorized")
REPORT_DUE_DATE_EXTENDED = _event("report_due_date_extended", Audience.ORGANIZATION, "report", "previous_due")
REPORT_LATE = _event("report_late", Audience.ORGANIZATION, "report", "installments", "grace_days")
REPORT_LATE_OFFICER = _event("report_late_officer", Audience.OFFICERS, "report", "installments", "grace_days")
# Reminders (grants.accountability.reminders): the organization's contacts, before and after the due
# date; an overdue notice is copied to the program's officers (`officer_copy`).
_REMINDER_CONTEXT = ("report", "step", "days", "due", "officer_copy")
REPORT_REMINDER = _event("report_reminder", Audience.ORGANIZATION, *_REMINDER_CONTEXT)
REPORT_OVERDUE = _event("report_overdue", Audience.ORGANIZATION, *_REMINDER_CONTEXT)
