"""Reminders before a report's due date and overdue notices after it, each sent exactly once.

The daily scan (`scan(on)`, run by the beat task `workers.tasks.send_report_reminders` and by
`grants reports reminders`) claims in one set-based INSERT … SELECT … ON CONFLICT every
(report, step) whose day has come and whose next step has not come yet: a report owed on
31 October gets its 30-day reminder on 1 October (or, if the scan did not run that day, any day
until the 14-day one takes over). The unique constraint (report_id, step) is the claim, so two
scans at once, a retried task or a worker killed mid-batch (its transaction rolls back) never claim
a step twice. The emails go to the outbox in the claim's transaction, and the outbox survives broker
and SMTP outages. They are queued unwritten (`queue_for_delivery`: the outbox row holds the event,
the recipient and the language; the link row holds the reminder, the due date and the officer's
copy) and written at delivery (`_write`, in the recipient's language, from those rows and the day
of the claim), so the worst day (every report at the same step, 10 000 emails) costs the scan no
template rendering; the text is the one the scan would have rendered, golden files included.
When an email's turn comes, `_still_true` withdraws it (before it is written) if the report was
submitted or cancelled meanwhile, its due date moved (an extension: the steps follow the new date),
or the next step has come.

Steps are days from the due date, negative before it (-30, -14, -7, -1) and positive after it
(1, 14): per program in `ReportSettings` (`reminder_days_before`, `overdue_days_after`; defaults in
CONVENTIONS). Overdue notices copy the program's officers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, and_, exists, insert, literal, or_, select, text, union_all
from sqlalchemy.orm import Load, joinedload, selectinload

from grants.accountability.models import (
    DEFAULT_OVERDUE_DAYS_AFTER,
    DEFAULT_REMINDER_DAYS_BEFORE,
    ReminderStatus,
    Report,
    ReportReminder,
    ReportReminderEmail,
    ReportSettings,
)
from grants.accountability.workflow import AWAITING_SUBMISSION, ReportStatus
from grants.accounts.models import User
from grants.accounts.queries import officers_of_programs, recipients_of_organizations
from grants.core import clock
from grants.core.audit import record, record_many
from grants.core.db import db, utcnow
from grants.core.roles import StaffRole
from grants.notifications import events
from grants.notifications.models import EmailStatus, OutboundEmail
from grants.notifications.operations import (
    NOT_WRITTEN,
    RenderedEmail,
    delivery_check,
    delivery_renderer,
    is_written,
    queue_for_delivery,
    render,
)
from grants.programs.models import Program

REMINDER_TEMPLATE = events.REPORT_REMINDER.key  # what the outbox's `template` holds
OVERDUE_TEMPLATE = events.REPORT_OVERDUE.key
BATCH = 500  # claimed reminders rendered and queued at a time (memory stays flat)
NO_LOWER_BOUND = date(1900, 1, 1)


# == steps =========================================================================================
def steps_of(settings: ReportSettings | None) -> list[int]:
    """A program's steps in days from the due date, in order (-30, -14, -7, -1, 1, 14 by default);
    a setting left empty (None) takes the default, an empty list means none."""
    before = getattr(settings, "reminder_days_before", None)
    after = getattr(settings, "overdue_days_after", None)
    before = DEFAULT_REMINDER_DAYS_BEFORE if before is None else before
    after = DEFAULT_OVERDUE_DAYS_AFTER if after is None else after
    steps = {-int(d) for d in before if int(d) > 0} | {int(d) for d in after if int(d) > 0}
    return sorted(steps)


def parse_days(text: str) -> list[int] | None:
    """ "30, 14, 7, 1" as days (each 1 to 365, repeats dropped, largest first); blank is none;
    None when something typed is not such a number."""
    parts = [p.strip() for p in text.replace(";", ",").replace(" et ", ",").split(",")]
    days = set()
    for part in filter(None, parts):
        if not re.fullmatch(r"[0-9]{1,3}", part) or not 1 <= int(part) <= 365:  # "²" is a digit too
            return None
        days.add(int(part))
    return sorted(days, reverse=True)


def days_of(settings: ReportSettings) -> dict[str, str]:
    """A program's steps as its settings form shows them ("30, 14, 7, 1" and "1, 14")."""
    steps = steps_of(settings)
    return {
        "reminder_days_before": ", ".join(str(-s) for s in steps if s < 0),
        "overdue_days_after": ", ".join(str(s) for s in steps if s > 0),
    }


def program_steps() -> dict[int, list[int]]:
    """Every program's steps (a program without its settings row gets the defaults)."""
    rows = db.session.execute(
        select(Program.id, ReportSettings).outerjoin(ReportSettings, ReportSettings.program_id == Program.id)
    )
    return {program_id: steps_of(settings) for program_id, settings in rows}


def next_step(steps: list[int], step: int) -> int | None:
    return next((s for s in steps if s > step), None)


def step_code(step: int) -> str:
    """The step as operators write it: J-30, J+1."""
    return f"J{step:+d}"


# == the scan ======================================================================================
def _windows(on: date) -> list[tuple[int, int, date, date]]:
    """(program, step, latest due date, earliest due date excluded) of each step current on `on`: a
    report is at step s on day `on` when due + s <= on < due + next step, i.e. its due date lies in
    (on - next, on - s]. The last step has no next one."""
    windows = []
    for program_id, steps in program_steps().items():
        for step in steps:
            following = next_step(steps, step)
            lower = on - timedelta(days=following) if following is not None else NO_LOWER_BOUND
            windows.append((program_id, step, on - timedelta(days=step), lower))
    return windows


def _due(on: date) -> Any:
    """The (report, step, due date) due on `on` and not yet claimed, as one SELECT (set-based: the
    reports' due-date index is scanned once per step window; no report is loaded)."""
    windows = _windows(on)
    if not windows:
        return None
    # The windows as a derived table (a UNION ALL of rows: SQLite has no VALUES with column names).
    rows = [
        select(
            literal(program_id, Integer).label("program_id"),
            literal(step, Integer).label("step"),
            literal(upper, Date).label("upper_due"),
            literal(lower, Date).label("lower_due"),
        )
        for program_id, step, upper, lower in windows
    ]
    steps = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("steps")
    claimed = exists().where(
        ReportReminder.report_id == Report.id,
        ReportReminder.step == steps.c.step,
        or_(ReportReminder.status != ReminderStatus.WITHDRAWN, ReportReminder.due_date == Report.due_date),
    )
    return (
        select(Report.id.label("report_id"), steps.c.step, Report.due_date)
        .join(
            steps,
            and_(
                steps.c.program_id == Report.program_id,
                Report.due_date <= steps.c.upper_due,
                Report.due_date > steps.c.lower_due,
            ),
        )
        .where(Report.status.in_([s.value for s in AWAITING_SUBMISSION]), ~claimed)
    )


def _insert() -> Any:
    """INSERT … ON CONFLICT for the database in use (PostgreSQL; SQLite for `make run`)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(ReportReminder)


def _claim(on: date) -> list[int]:
    """Claim every step due on `on`: one statement; a step another scan holds is skipped (its row
    lock makes this one wait for that scan's commit, then ON CONFLICT skips it). A step withdrawn
    because the due date moved is claimed again for the new date."""
    due = _due(on)
    if due is None:
        return []
    due = due.subquery()
    statement = _insert().from_select(
        ["report_id", "step", "due_date", "claimed_on", "claimed_at", "status", "withdrawn_reason"],
        select(
            due.c.report_id,
            due.c.step,
            due.c.due_date,
            literal(on, Date),
            literal(utcnow(), ReportReminder.claimed_at.type),
            literal(ReminderStatus.QUEUED.value),
            literal(""),
        ).where(literal(True)),
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["report_id", "step"],
        set_={
            "due_date": excluded.due_date,
            "claimed_on": excluded.claimed_on,
            "claimed_at": excluded.claimed_at,
            "status": ReminderStatus.QUEUED.value,
            "withdrawn_reason": "",
        },
        where=and_(
            ReportReminder.status == ReminderStatus.WITHDRAWN,
            ReportReminder.due_date != excluded.due_date,
        ),
    ).returning(ReportReminder.id)
    return sorted(db.session.scalars(statement))


@dataclass
class Line:
    """One reminder email, as the CLI prints it."""

    report_id: int
    report: str
    agreement: str
    step: int
    address: str
    officer_copy: bool = False

    def __str__(self) -> str:
        copy = " (copie agent·e)" if self.officer_copy else ""
        return (
            f"rapport {self.report_id} ({self.agreement}, {self.report}) {step_code(self.step)}"
            f" -> {self.address}{copy}"
        )


@dataclass
class ScanResult:
    on: date
    reminders: int = 0  # (report, step) claimed
    emails: int = 0
    lines: list[Line] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)  # with dispatch=False: for the caller to hand over


def _chunks(ids: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _recipients(reports: list[Report], steps: dict[int, int]) -> Iterator[tuple[Report, int, Any, bool]]:
    """(report, step, user, officer copy) for every email of these reports' steps: the
    organization's contacts, and the program's officers for an overdue notice."""
    contacts = recipients_of_organizations(r.organization_id for r in reports)
    officers = officers_of_programs(r.program_id for r in reports if steps[r.id] > 0)
    for report in reports:
        step = steps[report.id]
        for user in contacts.get(report.organization_id, []):
            yield report, step, user, False
        if step > 0:
            for user in officers.get(report.program_id, []):
                yield report, step, user, True


def _load_reports(report_ids: list[int]) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.id.in_(report_ids))
            .options(selectinload(Report.agreement), selectinload(Report.organization))
            .order_by(Report.id)
        )
    )


def scan(on: date | None = None, *, collect: bool = False, dispatch: bool = True) -> ScanResult:
    """Claim the reminders due on `on` (Quebec today by default) and queue their emails, in the
    caller's transaction (the task or the CLI commits). `collect` keeps one `Line` per email.
    `dispatch=False` leaves handing the emails to the broker to the caller, after its commit
    (`result.message_ids`; the Celery task sends them in batches); the outbox sweep is the net."""
    on = on or clock.today()
    result = ScanResult(on)
    claimed = _claim(on)
    result.reminders = len(claimed)
    if db.engine.dialect.name == "postgresql" and not collect:
        for chunk in _chunks(claimed, SQL_BATCH):
            message_ids = _queue_in_sql(chunk, on)
            if dispatch:
                db.session.info.setdefault("emails_to_dispatch", []).extend(message_ids)
            else:
                result.message_ids += message_ids
            result.emails += len(message_ids)
        return result
    for chunk in _chunks(claimed):
        reminders = {
            r.report_id: r
            for r in db.session.scalars(select(ReportReminder).where(ReportReminder.id.in_(chunk)))
        }
        reports = _load_reports(list(reminders))
        steps = {report_id: reminder.step for report_id, reminder in reminders.items()}
        emails = list(_recipients(reports, steps))
        batch = [
            (user, events.REPORT_OVERDUE if step > 0 else events.REPORT_REMINDER, report.organization_id)
            for report, step, user, _officer_copy in emails
        ]
        message_ids = queue_for_delivery(batch, dispatch=dispatch)
        if message_ids:
            db.session.execute(
                insert(ReportReminderEmail),
                [
                    {
                        "reminder_id": reminders[report.id].id,
                        "message_id": message_id,
                        "officer_copy": officer_copy,
                        "due_date": report.due_date,
                    }
                    for (report, _s, _u, officer_copy), message_id in zip(emails, message_ids, strict=True)
                ],
            )
        addresses: dict[int, list[str]] = {}
        for report, _step, user, _copy in emails:
            addresses.setdefault(report.id, []).append(user.email)
        record_many(
            "report.reminder_queued",
            [
                {
                    "object_type": "Report",
                    "object_id": report.id,
                    "organization_id": report.organization_id,
                    "program_id": report.program_id,
                    "changes": {
                        "step": steps[report.id],
                        "due_date": report.due_date,
                        "on": on,
                        "recipients": addresses.get(report.id, []),
                    },
                }
                for report in reports
            ],
        )
        result.emails += len(message_ids)
        if not dispatch:
            result.message_ids += message_ids
        if collect:
            result.lines += [_line(report, step, user, copy) for report, step, user, copy in emails]
    db.session.flush()
    return result


SQL_BATCH = 5000  # claimed reminders queued per statement on PostgreSQL

# The emails of the claimed reminders, their links and their audit entries, in one statement and
# no Python per email (PostgreSQL: data-modifying CTEs). The recipients are those of `_recipients`:
# the organization's active members, and for an overdue notice its program's active officers
# (`officer_copy`). The messages are queued unwritten (`queue_for_delivery`'s rows): `_write`
# writes them at delivery.
_QUEUE_SQL = """
WITH claimed AS (
    SELECT rr.id AS reminder_id, rr.step, r.id AS report_id, r.organization_id, r.program_id, r.due_date
    FROM report_reminders rr JOIN reports r ON r.id = rr.report_id
    WHERE rr.id = ANY(CAST(:ids AS integer[]))
),
recipients AS (
    SELECT c.*, u.id AS user_id, u.email, u.preferred_language, false AS officer_copy
    FROM claimed c
    JOIN memberships m ON m.organization_id = c.organization_id
    JOIN users u ON u.id = m.user_id AND u.active
    UNION ALL
    SELECT c.*, u.id, u.email, u.preferred_language, true
    FROM claimed c
    JOIN (SELECT DISTINCT program_id, user_id FROM staff_assignments WHERE role = :officer) s
      ON s.program_id = c.program_id
    JOIN users u ON u.id = s.user_id AND u.active
    WHERE c.step > 0
),
emails AS (
    SELECT nextval(pg_get_serial_sequence('outbound_emails', 'id')) AS message_id, e.*
    FROM (SELECT * FROM recipients ORDER BY report_id, officer_copy, user_id) e
),
messages AS (
    INSERT INTO outbound_emails (id, to_address, recipient_id, organization_id, language, template,
        subject, body_text, attachment_file_ids, status, attempts, created_at, next_attempt_at)
    SELECT message_id, email, user_id, organization_id,
           COALESCE(NULLIF(preferred_language, ''), :default_language),
           CASE WHEN step > 0 THEN :overdue ELSE :reminder END,
           '', :not_written, CAST('[]' AS json), :queued, 0, :now, :now
    FROM emails
    RETURNING id
),
audited AS (
    INSERT INTO audit_entries (occurred_at, actor_id, actor_label, action, object_type, object_id,
        organization_id, program_id, changes, ip_address)
    SELECT :now, NULL, 'system', 'report.reminder_queued', 'Report', CAST(c.report_id AS text),
           c.organization_id, c.program_id,
           json_build_object(
               'step', c.step,
               'due_date', to_char(c.due_date, 'YYYY-MM-DD'),
               'on', CAST(:on AS text),
               'recipients', COALESCE(g.addresses, CAST('[]' AS json))
           ),
           NULL
    FROM claimed c
    LEFT JOIN (
        SELECT reminder_id, json_agg(email ORDER BY officer_copy, user_id) AS addresses
        FROM emails GROUP BY reminder_id
    ) g ON g.reminder_id = c.reminder_id
    RETURNING id
)
INSERT INTO report_reminder_emails (reminder_id, message_id, officer_copy, due_date)
SELECT e.reminder_id, e.message_id, e.officer_copy, e.due_date
FROM emails e JOIN messages m ON m.id = e.message_id
RETURNING message_id
"""


def _queue_in_sql(reminder_ids: list[int], on: date) -> list[int]:
    """Queue the emails of these claimed reminders, link them and audit the claims (PostgreSQL),
    in the caller's transaction; answers the message ids."""
    rows = db.session.execute(
        text(_QUEUE_SQL),
        {
            "ids": reminder_ids,
            "officer": StaffRole.PROGRAM_OFFICER.value,
            "default_language": events.DEFAULT_LANGUAGE,
            "overdue": OVERDUE_TEMPLATE,
            "reminder": REMINDER_TEMPLATE,
            "not_written": NOT_WRITTEN,
            "queued": EmailStatus.QUEUED.value,
            "now": utcnow(),
            "on": on.isoformat(),
        },
    )
    return sorted(rows.scalars())


def preview(on: date | None = None) -> list[Line]:
    """What `scan(on)` would queue, claiming nothing (the CLI's --dry-run)."""
    on = on or clock.today()
    due = _due(on)
    if due is None:
        return []
    rows = db.session.execute(due.order_by(Report.id)).all()
    lines: list[Line] = []
    for chunk_start in range(0, len(rows), BATCH):
        chunk = rows[chunk_start : chunk_start + BATCH]
        steps = {row.report_id: row.step for row in chunk}
        reports = _load_reports(list(steps))
        lines += [_line(report, step, user, copy) for report, step, user, copy in _recipients(reports, steps)]
    return lines


def _line(report: Report, step: int, user: Any, officer_copy: bool) -> Line:
    return Line(
        report.id,
        f"{report.kind} {report.fiscal_year}",
        report.agreement.number,
        step,
        user.email,
        officer_copy,
    )


# == at delivery ===================================================================================
def stale_reason(reminder: ReportReminder, report: Report, email_due: date, today: date) -> str | None:
    """Why a reminder email is no longer true, or None: the report was submitted or cancelled, its
    due date is no longer the one the email speaks of, or the next step has come (claimed, or its
    day reached)."""
    status = ReportStatus(report.status)
    if status is ReportStatus.CANCELLED:
        return "cancelled"
    if status not in AWAITING_SUBMISSION:
        return "submitted"
    if report.due_date != email_due:
        return "extended"
    later_claimed = db.session.scalar(
        select(
            exists().where(
                ReportReminder.report_id == report.id,
                ReportReminder.step > reminder.step,
                ReportReminder.status == ReminderStatus.QUEUED,
                ReportReminder.due_date == report.due_date,
            )
        )
    )
    if later_claimed:
        return "superseded"
    settings = db.session.execute(
        select(ReportSettings).filter_by(program_id=report.program_id)
    ).scalar_one_or_none()
    following = next_step(steps_of(settings), reminder.step)
    if following is not None and today >= report.due_date + timedelta(days=following):
        return "superseded"
    return None


@delivery_check(events.REPORT_REMINDER, events.REPORT_OVERDUE)
def _still_true(message: OutboundEmail) -> str | None:
    """The outbox asks before sending a reminder (at every try): withdraw it if it is stale."""
    row = db.session.execute(
        select(ReportReminderEmail, ReportReminder, Report)
        .join(ReportReminder, ReportReminder.id == ReportReminderEmail.reminder_id)
        .join(Report, Report.id == ReportReminder.report_id)
        .where(ReportReminderEmail.message_id == message.id)
    ).first()
    if row is None:  # its report was deleted: an unwritten email has nothing left to say
        return None if is_written(message) else "reminder withdrawn: report deleted"
    link, reminder, report = row
    reason = stale_reason(reminder, report, link.due_date, clock.today())
    if reason is None:
        return None
    if reminder.due_date == link.due_date and not reminder.is_withdrawn:
        reminder.status = ReminderStatus.WITHDRAWN
        reminder.withdrawn_reason = reason
    record(
        "report.reminder_withdrawn",
        report,
        changes={
            "step": reminder.step,
            "due_date": link.due_date,
            "reason": reason,
            "to": message.to_address,
        },
    )
    return f"reminder withdrawn: {reason}"


class _Nobody:
    """The recipient of a message whose account was deleted since (its address is all there is)."""

    def __init__(self, address: str) -> None:
        self.display_name = address
        self.email = address
        self.id = None


@delivery_renderer(events.REPORT_REMINDER, events.REPORT_OVERDUE)
def _write(message: OutboundEmail) -> RenderedEmail:
    """A reminder's text, written when it is sent (or shown on the outbox page before that): what
    the scan of the claim's day would have written, in the message's language, the recipient's."""
    row = db.session.execute(
        select(ReportReminderEmail, ReportReminder, Report, User)
        .join(ReportReminder, ReportReminder.id == ReportReminderEmail.reminder_id)
        .join(Report, Report.id == ReportReminder.report_id)
        .outerjoin(User, User.id == message.recipient_id)
        .where(ReportReminderEmail.message_id == message.id)
        .options(joinedload(Report.agreement), joinedload(Report.organization), Load(User).lazyload("*"))
    ).first()  # one query (the template reads no membership of the recipient)
    if row is None:
        raise LookupError(f"reminder email {message.id} has no reminder")
    link, reminder, report, recipient = row
    # The day of the scan that queued it: the claim's day, unless the step was claimed again for a
    # new due date since (then this message is withdrawn; its day is the day it was queued).
    on = reminder.claimed_on if reminder.due_date == link.due_date else clock.today(message.created_at)
    return render(
        events.REPORT_OVERDUE if reminder.step > 0 else events.REPORT_REMINDER,
        message.language,
        recipient=recipient or _Nobody(message.to_address),
        report=report,
        step=reminder.step,
        days=abs((link.due_date - on).days),
        due=link.due_date,
        officer_copy=link.officer_copy,
    )


# == the report page ===============================================================================
def reminder_history(report_id: int) -> list[ReportReminder]:
    """A report's reminders, oldest first, with their emails and the outbox status of each."""
    return list(
        db.session.scalars(
            select(ReportReminder)
            .where(ReportReminder.report_id == report_id)
            .options(selectinload(ReportReminder.emails).selectinload(ReportReminderEmail.message))
            .order_by(ReportReminder.due_date, ReportReminder.step)
        )
    )
