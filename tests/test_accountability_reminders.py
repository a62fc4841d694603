"""Issue 10, item 4: reminders 30, 14, 7 and 1 days before a report's due date and overdue notices 1
and 14 days after, each sent exactly once (two scans at once, a retried scan, SMTP down then up),
none for a report submitted or extended meanwhile; the operators' CLI and the report page's history.

The reports here are due in the 2027-2028 fiscal year (mid-year report due 31 October 2027): the
Celery worker runs in its own process on the real clock, and its delivery check ("has the next step
come?") must not find these steps past."""

from __future__ import annotations

import html
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from grants.accountability import operations, reminders
from grants.accountability.models import ReminderStatus, Report, ReportReminder, ReportSettings
from grants.core import clock
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole
from grants.notifications.models import EmailStatus, OutboundEmail
from grants.notifications.operations import Delivery, deliver
from tests.conftest import wait_until
from tests.factories import OrganizationFactory, agreement_in_force, complete_report, member, report_of
from tests.helpers import csrf_token

DUE = date(2027, 10, 31)
STEP_DAYS = {
    -30: date(2027, 10, 1),
    -14: date(2027, 10, 17),
    -7: date(2027, 10, 24),
    -1: date(2027, 10, 30),
    1: date(2027, 11, 1),
    14: date(2027, 11, 14),
}


def _at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.TIME_ZONE).astimezone(UTC)


def _scan(day: date, *, collect: bool = False, dispatch: bool = True) -> reminders.ScanResult:
    """The daily task's work on `day`: scan, then commit (what the beat task does). `dispatch=False`
    keeps the emails from the broker (a worker left running by another test would send them)."""
    with clock.frozen(_at(day)):
        result = reminders.scan(collect=collect, dispatch=dispatch)
        db.session.commit()
    return result


def _setup():  # type: ignore[no-untyped-def]
    """A one-year TNCES grant of 2027-2028, two contacts (French, English) and its officer."""
    organization = OrganizationFactory(legal_name="Table régionale des rappels")
    french = member(MemberRole.ACCOUNT_ADMIN, organization=organization, email="direction@table.example")
    english = member(
        MemberRole.CONTRIBUTOR,
        organization=organization,
        email="coord@table.example",
        preferred_language="en",
    )
    agreement, officer = agreement_in_force("TNCES", organization, first_year=2027, years=1)
    report = report_of(agreement, "midyear", 2027)
    assert report.due_date == DUE
    return agreement, report, officer, french, english


def _contacts(agreement) -> list[str]:  # type: ignore[no-untyped-def]
    from grants.notifications.operations import recipients_of_organization

    return [u.email for u in recipients_of_organization(agreement.organization_id)]


def _reminders(report_id: int) -> list[ReportReminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(ReportReminder).filter_by(report_id=report_id).order_by(ReportReminder.step)
        )
    )


def _outbox(*templates: str) -> list[OutboundEmail]:
    """The reminder emails in the outbox (or those of `templates`), oldest first."""
    db.session.expire_all()
    templates = templates or (reminders.REMINDER_TEMPLATE, reminders.OVERDUE_TEMPLATE)
    return list(
        db.session.scalars(
            db.select(OutboundEmail).where(OutboundEmail.template.in_(templates)).order_by(OutboundEmail.id)
        )
    )


def _all_sent() -> bool:
    return all(m.status == EmailStatus.SENT for m in _outbox())


def _withdrawn(count: int) -> list[OutboundEmail]:
    """The withdrawn reminder emails, once there are `count` of them."""
    found = [m for m in _outbox() if m.status == EmailStatus.WITHDRAWN]
    return found if len(found) == count else []


def _reminder_mail(mailbox) -> list:  # type: ignore[no-untyped-def]
    """What the SMTP server received of the reminders and overdue notices (not the agreement's emails)."""
    return [
        m
        for m in mailbox.messages
        if any(word in str(m["Subject"]).lower() for word in ("rappel", "reminder", "retard", "overdue"))
    ]


def _days(first: date, last: date):  # type: ignore[no-untyped-def]
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- the whole life of a report ------------------------------------------------------------------------
@pytest.mark.worker
def test_each_reminder_reaches_the_smtp_server_once_across_the_life_of_a_report(celery_worker, mailbox):
    agreement, report, officer, french, english = _setup()
    contacts = _contacts(agreement)
    assert set(contacts) >= {french.email, english.email}
    claimed_on: dict[int, date] = {}
    for day in _days(date(2027, 9, 20), date(2027, 12, 10)):
        first = _scan(day)
        second = _scan(day)  # the beat task retried, or run twice the same day
        assert second.reminders == 0
        if first.reminders:
            for reminder in _reminders(report.id):
                claimed_on.setdefault(reminder.step, day)
            wait_until(_all_sent, timeout=30)  # delivered before the next step comes
    assert claimed_on == STEP_DAYS
    # Before the due date the contacts get the reminder; after it, the overdue notice, copied to the officer.
    expected: Counter[str] = Counter()
    for step in STEP_DAYS:
        expected.update(contacts)
        if step > 0:
            expected[officer.email] += 1
    wait_until(lambda: len(_reminder_mail(mailbox)) >= sum(expected.values()), timeout=30)
    assert Counter(str(m["To"]) for m in _reminder_mail(mailbox)) == expected
    # The text names the days left (or late): each step's email is one of a kind.
    texts = Counter((str(m["To"]), m.get_content()) for m in _reminder_mail(mailbox))
    assert len(texts) == sum(expected.values()) and max(texts.values()) == 1, "no email twice"
    french_reminder = next(
        m for m in _reminder_mail(mailbox) if str(m["To"]) == french.email and "rappel" in str(m["Subject"])
    )
    assert "31 octobre 2027" in str(french_reminder["Subject"])
    assert "dans 30 jours" in french_reminder.get_content()
    english_overdue = [
        m for m in _reminder_mail(mailbox) if str(m["To"]) == english.email and "overdue" in str(m["Subject"])
    ]
    assert len(english_overdue) == 2 and "October 31, 2027" in str(english_overdue[0]["Subject"])
    officer_copy = next(m for m in _reminder_mail(mailbox) if str(m["To"]) == officer.email)
    assert "Copie pour information" in officer_copy.get_content()
    # Every claim is audited, once per (report, step).
    audited = db.session.scalars(db.select(AuditEntry).filter_by(action="report.reminder_queued")).all()
    assert sorted(e.changes["step"] for e in audited) == sorted(STEP_DAYS)


@pytest.mark.worker
def test_two_scans_at_the_same_time_claim_each_step_once(app, celery_worker, mailbox):
    organization = OrganizationFactory()
    contact = member(MemberRole.ACCOUNT_ADMIN, organization=organization, email="seule@table.example")
    agreements = [agreement_in_force("TNCES", organization, first_year=2027, years=1)[0] for _ in range(6)]
    day = STEP_DAYS[-30]
    barrier = threading.Barrier(2)
    results: list[reminders.ScanResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context(), clock.frozen(_at(day)):
                barrier.wait()
                result = reminders.scan()
                db.session.commit()
                results.append(result)
        except BaseException as error:
            errors.append(error)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(results) == 2
    # The six mid-year reports (due 31 October) are at their 30-day step; each is claimed by one scan,
    # and each contact of the organization gets one email per report.
    contacts = _contacts(agreements[0])
    assert contact.email in contacts
    assert sum(r.reminders for r in results) == len(agreements)
    assert sum(r.emails for r in results) == len(agreements) * len(contacts)
    rows = db.session.scalars(db.select(ReportReminder)).all()
    assert len(rows) == len(agreements) and {r.step for r in rows} == {-30}
    assert len(_outbox()) == len(agreements) * len(contacts)
    wait_until(lambda: len(_reminder_mail(mailbox)) >= len(agreements) * len(contacts), timeout=30)
    wait_until(_all_sent, timeout=30)
    received = Counter((str(m["To"]), str(m["Subject"])) for m in _reminder_mail(mailbox))
    assert len(received) == len(agreements) * len(contacts) and max(received.values()) == 1
    assert Counter(str(m["To"]) for m in _reminder_mail(mailbox)) == {a: len(agreements) for a in contacts}


@pytest.mark.worker
def test_a_reminder_queued_while_smtp_is_down_goes_out_once_when_it_is_back(celery_worker, mailbox):
    agreement, _report, _officer, _french, _english = _setup()
    mailbox.stop()
    try:
        result = _scan(STEP_DAYS[-30])
        assert result.reminders == 1 and result.emails == len(_contacts(agreement)) == 3
        wait_until(lambda: all(m.attempts >= 1 and m.last_error for m in _outbox()), timeout=30)
        assert all(m.status == EmailStatus.QUEUED for m in _outbox()), "kept for a later try"
        assert _scan(STEP_DAYS[-30] + timedelta(days=1)).reminders == 0
    finally:
        mailbox.start()
    wait_until(_all_sent, timeout=40)
    wait_until(lambda: len(_reminder_mail(mailbox)) >= 3, timeout=10)
    assert sorted(str(m["To"]) for m in _reminder_mail(mailbox)) == sorted(_contacts(agreement))
    assert all(m.attempts >= 2 for m in _outbox())


# -- no stale reminder ---------------------------------------------------------------------------------
@pytest.mark.worker
def test_a_submitted_report_gets_no_further_reminder(celery_worker, mailbox):
    _agreement, report, _officer, french, _english = _setup()
    _scan(STEP_DAYS[-30])
    wait_until(_all_sent, timeout=30)
    # The 14-day reminder is queued while the SMTP server is down; the report is submitted meanwhile.
    mailbox.stop()
    try:
        assert _scan(STEP_DAYS[-14]).reminders == 1
        wait_until(lambda: all(m.attempts >= 1 for m in _outbox()), timeout=30)
        complete_report(db.session.get(Report, report.id), french)
        operations.submit(report.id, actor=french)
        db.session.commit()
    finally:
        mailbox.start()
    withdrawn = wait_until(lambda: _withdrawn(3), timeout=40)
    assert len(withdrawn) == 3 and "submitted" in withdrawn[0].last_error
    assert {r.step: r.status for r in _reminders(report.id)} == {
        -30: ReminderStatus.QUEUED,
        -14: ReminderStatus.WITHDRAWN,
    }
    for day in STEP_DAYS.values():
        assert _scan(day).reminders == 0
    received = _reminder_mail(mailbox)
    assert len(received) == 3, "only the 30-day reminder to each contact, before the submission"
    assert all("30 jours" in m.get_content() or "30 days" in m.get_content() for m in received)


@pytest.mark.worker
def test_an_extended_report_steps_follow_the_new_date(celery_worker, mailbox):
    _agreement, report, officer, _french, _english = _setup()
    new_due = date(2027, 11, 30)
    # The 30-day reminder is queued while the SMTP server is down, then the officer extends the date.
    mailbox.stop()
    try:
        _scan(STEP_DAYS[-30])
        wait_until(lambda: all(m.attempts >= 1 for m in _outbox()), timeout=30)
        with clock.frozen(_at(date(2027, 10, 5))):
            operations.extend_due_date(
                db.session.get(Report, report.id), new_due, "Vérificateur malade", actor=officer
            )
            db.session.commit()
    finally:
        mailbox.start()
    stale = wait_until(lambda: _withdrawn(3), timeout=40)
    assert len(stale) == 3 and "extended" in stale[0].last_error
    claimed: dict[int, date] = {}
    for day in _days(date(2027, 10, 6), date(2027, 12, 20)):
        if _scan(day).reminders:
            for reminder in _reminders(report.id):
                if reminder.status == ReminderStatus.QUEUED:
                    claimed.setdefault(reminder.step, day)
            wait_until(
                lambda: all(m.status in (EmailStatus.SENT, EmailStatus.WITHDRAWN) for m in _outbox()),
                timeout=30,
            )
    assert claimed == {
        -30: date(2027, 10, 31),
        -14: date(2027, 11, 16),
        -7: date(2027, 11, 23),
        -1: date(2027, 11, 29),
        1: date(2027, 12, 1),
        14: date(2027, 12, 14),
    }
    assert all(r.due_date == new_due for r in _reminders(report.id))
    reminders_sent = [m for m in _reminder_mail(mailbox) if "31 octobre 2027" in str(m["Subject"])]
    assert reminders_sent == [], "nothing speaks of the old date"
    french = [m for m in _reminder_mail(mailbox) if str(m["To"]) == "direction@table.example"]
    assert len(french) == 6 and all("30 novembre 2027" in str(m["Subject"]) for m in french)


def test_a_reminder_whose_next_step_has_come_is_withdrawn_at_delivery(mailbox):
    _agreement, report, _officer, _french, _english = _setup()
    _scan(STEP_DAYS[-30], dispatch=False)
    first, second = _outbox()[:2]
    with clock.frozen(_at(date(2027, 10, 5))):
        assert deliver(first.id)[0] is Delivery.SENT
    with clock.frozen(_at(STEP_DAYS[-14])):
        assert deliver(second.id)[0] is Delivery.WITHDRAWN
    assert len(_reminder_mail(mailbox)) == 1
    reminder = _reminders(report.id)[0]
    assert reminder.status == ReminderStatus.WITHDRAWN and reminder.withdrawn_reason == "superseded"
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="report.reminder_withdrawn")).one()
    assert entry.changes["reason"] == "superseded" and entry.object_id == str(report.id)


def test_a_scan_run_twice_claims_each_step_once():
    """Also run on SQLite (tests/test_concurrency_sqlite.py): `make run` scans there."""
    agreement, report, _officer, _french, _english = _setup()
    first = _scan(STEP_DAYS[-30], collect=True)
    assert first.reminders == 1 and first.emails == len(_contacts(agreement)) == len(first.lines)
    assert _scan(STEP_DAYS[-30]).reminders == 0
    later = STEP_DAYS[-30] + timedelta(days=3)
    assert _scan(later).reminders == 0, "the 30-day step holds until the 14-day one"
    assert _scan(STEP_DAYS[-14]).reminders == 1
    assert [r.step for r in _reminders(report.id)] == [-30, -14]
    assert len(_outbox()) == 2 * len(_contacts(agreement))


def test_a_cancelled_report_is_not_reminded(mailbox):
    _agreement, report, officer, _french, _english = _setup()
    from grants.accountability.workflow import WORKFLOW, ReportEvent

    WORKFLOW.move(db.session.get(Report, report.id), ReportEvent.CANCEL, actor=officer)
    db.session.commit()
    assert _scan(STEP_DAYS[-30]).reminders == 0


# -- steps per program ---------------------------------------------------------------------------------
def test_a_program_sets_its_own_steps(accountability_sandbox):
    _agreement, report, _officer, _french, _english = _setup()
    settings = db.session.execute(
        db.select(ReportSettings).filter_by(program_id=report.program_id)
    ).scalar_one()
    assert reminders.steps_of(settings) == [-30, -14, -7, -1, 1, 14], "the defaults (CONVENTIONS)"
    settings.reminder_days_before = [10]
    settings.overdue_days_after = []
    db.session.commit()
    assert _scan(STEP_DAYS[-30]).reminders == 0
    assert _scan(date(2027, 10, 21)).reminders == 1
    assert _scan(date(2027, 11, 15)).reminders == 0
    assert [(r.step, r.claimed_on) for r in _reminders(report.id)] == [(-10, date(2027, 10, 21))]


@pytest.mark.pure
def test_days_are_read_from_what_an_officer_types():
    assert reminders.parse_days("30, 14; 7 et 1, 14") == [30, 14, 7, 1]
    assert reminders.parse_days("  ") == []
    for typed in ("dix", "0", "366", "²", "-1", "1.5"):
        assert reminders.parse_days(typed) is None, typed


def test_an_officer_sets_the_programs_steps_on_its_settings_page(client, sign_in, accountability_sandbox):
    _agreement, report, officer, _french, _english = _setup()
    sign_in(officer)
    url = "/redditions/analyse/programmes/TNCES"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "Rappels, en jours avant l'échéance" in page
    assert 'value="30, 14, 7, 1"' in page and 'value="1, 14"' in page
    token = csrf_token(client, url)
    settings = {
        "csrf_token": token,
        "version": "1",
        "grace_days": "30",
        "unspent_threshold_percent": "10",
        "reminder_days_before": "dix, 3",
        "overdue_days_after": "2",
    }
    refused = client.post(f"{url}/parametres", data=settings)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "Des nombres de jours de 1 à 365" in page and 'value="dix, 3"' in page
    settings["reminder_days_before"] = "3, 10, 10"
    assert client.post(f"{url}/parametres", data=settings).status_code == 303
    saved = db.session.execute(db.select(ReportSettings).filter_by(program_id=report.program_id)).scalar_one()
    db.session.refresh(saved)
    assert (saved.reminder_days_before, saved.overdue_days_after) == ([10, 3], [2])
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="report_settings.saved")).one()
    assert entry.changes["reminder_days_before"] == [[30, 14, 7, 1], [10, 3]]
    assert _scan(date(2027, 10, 21)).reminders == 1 and _scan(date(2027, 11, 2)).reminders == 1
    assert [r.step for r in _reminders(report.id)] == [-10, 2]


# -- the operators' CLI and the report page --------------------------------------------------------------
def test_the_cli_dry_run_prints_the_lines_and_queues_nothing(app):
    agreement, report, officer, _french, _english = _setup()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["reports", "reminders", "--on", "2027-10-01", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = [line for line in dry.output.splitlines() if "->" in line]
    assert sorted(lines) == sorted(
        f"rapport {report.id} ({agreement.number}, midyear 2027-2028) J-30 -> {address}"
        for address in _contacts(agreement)
    )
    assert "nothing queued" in dry.output
    assert _outbox() == [] and _reminders(report.id) == []
    # An overdue day lists the officer's copy too.
    late = runner.invoke(args=["reports", "reminders", "--on", "2027-11-01", "--dry-run"])
    assert f"J+1 -> {officer.email} (copie agent·e)" in late.output
    # Without --dry-run the same lines, queued; a second run finds nothing left.
    real = runner.invoke(args=["reports", "reminders", "--on", "2027-10-01"])
    assert real.exit_code == 0, real.output
    assert sorted(line for line in real.output.splitlines() if "->" in line) == sorted(lines)
    assert len(_outbox("report_reminder")) == len(lines)
    again = runner.invoke(args=["reports", "reminders", "--on", "2027-10-01"])
    assert "0 reminder(s) claimed, 0 email(s) queued" in again.output


def test_the_report_page_shows_its_reminder_history(client, sign_in, mailbox):
    agreement, report, officer, french, _english = _setup()
    _scan(STEP_DAYS[-30])
    with clock.frozen(_at(date(2027, 10, 2))):
        for message in _outbox():
            deliver(message.id)  # in this process, or already done by a worker: sent either way
    wait_until(_all_sent, timeout=30)
    sign_in(french)
    with clock.frozen(_at(date(2027, 10, 2))):
        page = html.unescape(client.get(f"/redditions/{report.id}").get_data(as_text=True))
    assert "Rappels envoyés" in page and "30 jours avant l'échéance" in page
    assert "31 octobre 2027" in page and "1er octobre 2027" in page
    assert all(address in page for address in _contacts(agreement)) and "Envoyé" in page
    # The officer sees it on the review page too.
    officer_client = client.application.test_client()
    sign_in(officer, target=officer_client)
    with clock.frozen(_at(date(2027, 10, 2))):
        review = html.unescape(officer_client.get(f"/redditions/analyse/{report.id}").get_data(as_text=True))
    assert "Rappels envoyés" in review and "30 jours avant l'échéance" in review


# -- the beat task ---------------------------------------------------------------------------------------
@pytest.mark.worker
def test_the_daily_beat_task_claims_and_hands_the_emails_over_in_batches(app, celery_worker, mailbox):
    from celery.schedules import crontab

    from workers.celery_app import beat_schedule
    from workers.tasks import send_report_reminders

    entry = beat_schedule(app)["report-reminders"]
    assert entry["task"] == "workers.tasks.send_report_reminders" and isinstance(entry["schedule"], crontab)
    agreement, report, _officer, _french, _english = _setup()
    with clock.frozen(_at(STEP_DAYS[-30])):
        assert send_report_reminders() == 3  # run as the worker runs it, on a frozen day
        assert send_report_reminders() == 0  # retried, or run twice: nothing more
    wait_until(lambda: len(_reminder_mail(mailbox)) >= 3, timeout=30)
    wait_until(_all_sent, timeout=30)
    assert sorted(str(m["To"]) for m in _reminder_mail(mailbox)) == sorted(_contacts(agreement))
    assert [(r.step, r.claimed_on) for r in _reminders(report.id)] == [(-30, STEP_DAYS[-30])]


# -- written at delivery ---------------------------------------------------------------------------------
@pytest.mark.worker
def test_a_reminder_is_written_at_delivery_in_its_recipients_language(
    client, sign_in, celery_worker, mailbox
):
    """The scan queues the emails unwritten (no template rendered per email: the worst day stays
    cheap); the worker writes each in its recipient's language, exactly as the scan used to, and
    the outbox keeps what was sent. Before that, the outbox page shows what it will say."""
    from grants.core.roles import StaffRole
    from grants.notifications import events
    from grants.notifications.operations import is_written, render
    from tests.factories import staff

    _agreement, report, _officer, french, english = _setup()
    assert _scan(STEP_DAYS[-30], dispatch=False).emails == 3
    queued = {m.to_address: m for m in _outbox()}
    assert not any(is_written(m) for m in queued.values()), "the scan renders nothing"
    assert (queued[english.email].language, queued[french.email].language) == ("en", "fr")
    # The administrators' outbox shows the text it will have, in the recipient's language.
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    listing = html.unescape(client.get("/courriels/").get_data(as_text=True))
    assert "Grants: reminder" in listing and "Subventions : rappel" in listing
    detail = html.unescape(client.get(f"/courriels/{queued[english.email].id}").get_data(as_text=True))
    assert "rédigé au moment de son envoi" in detail  # the page speaks the administrator's language
    assert "in 30 days" in detail and "October 31, 2027" in detail
    # What the scan used to write, rendered here in the test's process: the reference text.
    db.session.refresh(report)
    expected = {
        person.email: render(
            events.REPORT_REMINDER,
            person.preferred_language,
            recipient=person,
            report=report,
            step=-30,
            days=30,
            due=DUE,
            officer_copy=False,
        )
        for person in (french, english)
    }
    from workers.tasks import deliver_emails

    deliver_emails.delay([m.id for m in queued.values()])
    wait_until(_all_sent, timeout=30)
    wait_until(lambda: len(_reminder_mail(mailbox)) >= 3, timeout=30)
    received = {str(m["To"]): m for m in _reminder_mail(mailbox)}
    for address, rendered in expected.items():
        assert " ".join(str(received[address]["Subject"]).split()) == rendered.subject  # header folding
        assert received[address].get_content().replace("\r\n", "\n") == rendered.body_text
    assert (
        "Hello" in received[english.email].get_content()
        and "dans 30 jours" not in received[english.email].get_content()
    )
    assert "dans 30 jours" in received[french.email].get_content()
    # The outbox keeps what was sent.
    sent = {m.to_address: m for m in _outbox()}
    assert sent[english.email].subject == expected[english.email].subject
    assert sent[english.email].body_text == expected[english.email].body_text
