"""Benchmark: the daily reminder scan over many open reports (issue 10, item 8).

    .venv/bin/python bench/reports.py                       (or: make bench-reports)
    .venv/bin/python bench/reports.py --reports 100000      (one size)

Seeds open reports in a scratch PostgreSQL database (BENCH_DATABASE_URL) with set-based INSERT …
SELECT generate_series statements: one organization, one contact and one agreement per ten reports
(five fiscal years, mid-year and annual), due dates spread evenly over the 400 days around the scan
day, one program officer per program. The reminders of every step whose day came before the scan
day are already claimed (the history a daily beat leaves), so the scan finds what a real day finds:
the steps whose day is today. For each size it prints the scan's time (find and claim in SQL,
queue the emails unwritten in the outbox with their links and the audit, set-based on PostgreSQL;
then the commit and the hand-over to the broker in batches of 200, as the beat task
`workers.tasks.send_report_reminders` does), the emails queued, the Python peak of the scan (to
show memory stays flat as reports grow), and the time the worker takes to write one email at
delivery (a sample of 500, in the recipient's language: the rendering the scan no longer does). Sizes grow in
place: 25 000, then 50 000, then 100 000 reports by default. `--one-day` seeds every report due 30
days after the scan day instead: the worst day, every report at its 30-day step at once.
Floor, measured in the same run before each size: one SQL scan of all the reports (a count and a
max of the due dates), which grows with the machine's load and the table's size alike.
Target (issue 10): the scan over 100 000 open reports under 5 s, memory flat.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

SCAN_DAY = date(2027, 10, 1)
REPORTS_PER_AGREEMENT = 10  # five fiscal years, mid-year and annual
SPREAD_DAYS = 400
WRITE_SAMPLE = 500  # emails written as the worker writes them at delivery, to time it
SERIES = "generate_series(CAST(:a AS integer), CAST(:b AS integer))"
PROGRAM = "(CAST(:programs AS integer[]))[1 + i % CAST(:n AS integer)]"  # programs in turn


def seed(first_agreement: int, last_agreement: int, program_ids: list[int], *, one_day: bool = False) -> None:
    """Agreements first..last (inclusive), each with its organization, contact, request and ten
    open reports, in a handful of INSERT … SELECT statements. `one_day`: every report is due 30 days
    after the scan day (the worst day: every report at its 30-day step at once)."""
    spread = f"""DATE '{SCAN_DAY.isoformat()}' - {SPREAD_DAYS // 2}
                         + ((i * {REPORTS_PER_AGREEMENT} + k) * 7919) % {SPREAD_DAYS}"""
    due = f"DATE '{SCAN_DAY.isoformat()}' + 30" if one_day else spread
    from sqlalchemy import text

    from grants.core.db import db

    bounds = {"a": first_agreement, "b": last_agreement, "programs": program_ids, "n": len(program_ids)}
    statements = [
        f"""INSERT INTO organizations (id, legal_name, kind, region_code, address, city, postal_code,
               communities_served, email, phone, website, created_at, updated_at, version)
           SELECT i, 'Organisme n° ' || i, 'community', '06', '', 'Montréal', '', '', '', '', '',
                  now(), now(), 1
           FROM {SERIES} AS i""",
        f"""INSERT INTO users (id, email, full_name, password_hash, preferred_language, active,
               failed_logins, session_version, created_at)
           SELECT i, 'contact' || i || '@bench.example', 'Contact ' || i, 'x',
                  CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END, true, 0, 1, now()
           FROM {SERIES} AS i""",
        f"""INSERT INTO memberships (user_id, organization_id, role, created_at)
           SELECT i, i, 'account_admin', now() FROM {SERIES} AS i""",
        f"""INSERT INTO funding_requests (id, reference, organization_id, program_id, status,
               status_changed_at, title, summary, objectives, target_populations, start_date, end_date,
               first_fiscal_year,
               recommendation_comment, decision_conditions, decision_reasons,
               envelope_override_reason,
               created_at, updated_at, version)
           SELECT i, 'BENCH-' || i, i, {PROGRAM}, 'approved', now(),
                  'Mission', '', '', '', DATE '2024-04-01', DATE '2029-03-31', 2024, '', '', '', '',
                  now(), now(), 1
           FROM {SERIES} AS i""",
        f"""INSERT INTO agreements (id, number, request_id, organization_id, program_id, start_date, end_date,
               conditions, indexed, status, signed_at, created_at, version)
           SELECT i, 'CAF-BENCH-' || i, i, i, {PROGRAM},
                  DATE '2024-04-01', DATE '2029-03-31', '', true, 'countersigned', now(), now(), 1
           FROM {SERIES} AS i""",
        f"""INSERT INTO reports (agreement_id, organization_id, program_id, fiscal_year, kind, period_start,
               period_end, scheduled_due, due_date, extension_reason, status, status_changed_at, activities,
               results, reach_explanations, unspent_explanation, created_at, updated_at, version)
           SELECT i, i, {PROGRAM}, 2024 + k / 2,
                  CASE WHEN k % 2 = 0 THEN 'midyear' ELSE 'annual' END,
                  make_date(2024 + k / 2, 4, 1), make_date(2024 + k / 2, 9, 30), due, due, '',
                  CASE WHEN (i + k) % 4 = 0 THEN 'draft' ELSE 'to_do' END, now(), '', '', '{{}}', '',
                  now(), now(), 1
           FROM {SERIES} AS i,
                generate_series(0, {REPORTS_PER_AGREEMENT - 1}) AS k,
                LATERAL (SELECT {due} AS due) AS d""",
    ]
    for statement in statements:
        db.session.execute(text(statement), bounds)
    for table in ("organizations", "users", "funding_requests", "agreements"):
        db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    db.session.commit()


def claim_history(first_agreement: int) -> int:
    """What the beat left on earlier days: every step whose day is before the scan day is claimed."""
    from sqlalchemy import text

    from grants.core.db import db

    result = db.session.execute(
        text(
            """INSERT INTO report_reminders (report_id, step, due_date, claimed_on, claimed_at, status,
                   withdrawn_reason)
               SELECT r.id, s.step, r.due_date, r.due_date + s.step, now(), 'queued', ''
               FROM reports r CROSS JOIN (VALUES (-30), (-14), (-7), (-1), (1), (14)) AS s(step)
               WHERE r.agreement_id >= :a AND r.due_date + s.step < :day"""
        ),
        {"a": first_agreement, "day": SCAN_DAY},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return result.rowcount


def forget_scan_day() -> None:
    """Undo the scan day's claims and emails, so the next size scans the same day afresh."""
    from sqlalchemy import text

    from grants.core.db import db

    db.session.execute(text("DELETE FROM report_reminder_emails"))
    db.session.execute(text("DELETE FROM report_reminders WHERE claimed_on = :day"), {"day": SCAN_DAY})
    db.session.execute(text("DELETE FROM outbound_emails"))
    db.session.commit()


def sql_floor() -> float:
    """One scan of every report, in seconds (best of 3)."""
    from sqlalchemy import text

    from grants.core.db import db

    def scan() -> float:
        started = time.perf_counter()
        db.session.execute(text("SELECT count(*), max(due_date) FROM reports")).one()
        return time.perf_counter() - started

    return min(scan() for _ in range(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument(
        "--one-day", action="store_true", help="every report due 30 days after the scan day (the worst day)"
    )
    args = parser.parse_args()
    sizes = sorted(args.reports)

    harness.prepare_environment()
    harness.recreate_database()
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from grants import create_app
    from grants.accountability import reminders
    from grants.cli import load_reference
    from grants.core import clock
    from grants.core.db import db
    from grants.notifications.models import OutboundEmail
    from grants.notifications.operations import write
    from grants.programs.models import Program
    from workers.tasks import DISPATCH_BATCH, deliver_emails

    app = create_app()
    with app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        program_ids = list(db.session.scalars(db.select(Program.id).order_by(Program.id)))
        officers = 10_000_000  # ids far above the contacts'
        for offset, program_id in enumerate(program_ids):
            user_id = officers + offset
            db.session.execute(
                text(
                    "INSERT INTO users (id, email, full_name, password_hash, preferred_language, active, "
                    "failed_logins, session_version, created_at) VALUES (:id, :email, 'Agent', 'x', 'fr', "
                    "true, 0, 1, now())"
                ),
                {"id": user_id, "email": f"agent{offset}@bench.example"},
            )
            db.session.execute(
                text(
                    "INSERT INTO staff_assignments (user_id, role, program_id, can_authorize) "
                    "VALUES (:id, 'program_officer', :program, false)"
                ),
                {"id": user_id, "program": program_id},
            )
        db.session.commit()
        print(
            f"reminder scan of {SCAN_DAY} (target: 100 000 open reports < 5 s, memory flat); "
            "floor: one SQL scan of the reports, measured before each size:"
        )
        seeded = 0
        for size in sizes:
            agreements = size // REPORTS_PER_AGREEMENT
            started = time.perf_counter()
            seed(seeded + 1, agreements, program_ids, one_day=args.one_day)
            history = claim_history(seeded + 1)
            built = time.perf_counter() - started
            seeded = agreements
            forget_scan_day()
            reports = db.session.scalar(text("SELECT count(*) FROM reports"))
            floor_s = sql_floor()
            with clock.frozen(clock.now()):
                # Memory: a traced scan, rolled back (nothing claimed, nothing handed to the broker).
                tracemalloc.start()
                reminders.scan(SCAN_DAY, dispatch=False)
                peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                db.session.rollback()
                # Time: the scan as the beat task runs it, then its commit (emails handed to the broker).
                started = time.perf_counter()
                result = reminders.scan(SCAN_DAY, dispatch=False)
                scan_s = time.perf_counter() - started
                started = time.perf_counter()
                db.session.commit()
                for start in range(0, len(result.message_ids), DISPATCH_BATCH):
                    deliver_emails.delay(result.message_ids[start : start + DISPATCH_BATCH])
                commit_s = time.perf_counter() - started
            total_s = scan_s + commit_s
            # The text, written by the worker at delivery (`_write`): a sample, not stored.
            sample = result.message_ids[:WRITE_SAMPLE]
            messages = list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(sample))))
            started = time.perf_counter()
            for message in messages:
                write(message)
            write_ms = (time.perf_counter() - started) * 1000 / max(len(messages), 1)
            db.session.rollback()
            print(
                f"  {reports:>7} open reports (built in {built:4.1f} s, {history} earlier steps claimed): "
                f"{result.reminders} reminders, {result.emails} emails queued in {total_s * 1000:5.0f} ms "
                f"(scan {scan_s * 1000:5.0f} ms + commit and broker {commit_s * 1000:4.0f} ms; "
                f"Python peak {peak_mib:4.1f} MiB)  | floor {floor_s * 1000:5.1f} ms, "
                f"ratio {total_s / floor_s:5.1f}\n"
                f"      written at delivery (worker, per email, {len(messages)} sampled): {write_ms:4.2f} ms"
            )
            again = reminders.scan(SCAN_DAY)
            db.session.commit()
            assert again.reminders == 0, "a second scan the same day claims nothing"
        # The deliveries handed to the broker have no worker here: drop them.
        app.extensions["celery"].control.purge()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
