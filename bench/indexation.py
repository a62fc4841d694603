"""Benchmark: the yearly indexation at volume, preview and application, and the notices.

    .venv/bin/python bench/indexation.py          (or: make bench-indexation)

Builds active multi-year grants in a scratch PostgreSQL database (BENCH_DATABASE_URL): 2 500 in
TRCES, 5 000 in PQLC and 10 000 in TNCES (three years each, 2025-2026 to 2027-2028, two scheduled
installments a year), then indexes 2026-2027 with each program's rule (annual-average change of
2025, from the shipped Quebec series). For each size it prints the preview time, the application
time (amounts, installments, audit, in one transaction) and the peak Python memory of each, to
show whether memory stays flat as the number of grants grows. The notices (PDF + email) are the
Celery task's work: they are timed apart, in notices per second.
Each figure comes with a floor measured in the same run: for the preview and the application, one
scan of the installments in SQL (a sum over all of them), which grows with the machine's load and
the table's size alike; for the notices, the rendering of a one-line PDF.
Targets (issue: CPI indexation): preview < 1 s and application < 3 s for 10 000 grants.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

SIZES = {"TRCES": 2_500, "PQLC": 5_000, "TNCES": 10_000}
NOTICES = 40


def build_data() -> None:
    """Bulk-insert organizations, requests, agreements, years and installments (SQLAlchemy Core)."""
    from sqlalchemy import insert, text

    from grants.agreements.models import Agreement, AgreementYear
    from grants.core.db import db, utcnow
    from grants.fiscal import FiscalYear
    from grants.organizations.models import Organization
    from grants.payments.models import Installment
    from grants.programs.models import Program
    from grants.requests.models import FundingRequest

    now = utcnow()
    total = sum(SIZES.values())
    db.session.execute(
        insert(Organization),
        [
            {
                "legal_name": f"Organisme n° {i:05d}",
                "kind": "community",
                "region_code": "06",
                "address": "",
                "city": "Montréal",
                "postal_code": "",
                "communities_served": "",
                "email": "",
                "phone": "",
                "website": "",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(total)
        ],
    )
    organization_ids = list(db.session.scalars(db.select(Organization.id).order_by(Organization.id)))
    first = FiscalYear(2025)
    requests, agreements, years, installments = [], [], [], []
    n = 0
    for code, size in SIZES.items():
        program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()
        for _ in range(size):
            n += 1
            amount = Decimal(50_000 + (n % 250) * 500)
            base = {"organization_id": organization_ids[n - 1], "program_id": program.id}
            requests.append(
                harness.approved_request_row(
                    base, n, f"{code}-2025-{n:05d}", "Mission", first.start, (first + 2).end, 2025, now
                )
            )
            agreements.append(
                harness.agreement_in_force_row(
                    base, n, f"CAF-{code}-{n:05d}", first.start, (first + 2).end, now
                )
            )
            for offset in range(3):
                year = first + offset
                years.append(
                    {
                        "agreement_id": n,
                        "fiscal_year": year.start_year,
                        "approved_amount": amount,
                        "amount": amount,
                    }
                )
                for sequence, trigger in ((1, "year_start"), (2, "midyear_report")):
                    installments.append(
                        base
                        | {
                            "agreement_id": n,
                            "fiscal_year": year.start_year,
                            "sequence": sequence,
                            "amount": amount / 2,
                            "trigger": trigger,
                            "planned_date": year.start + timedelta(days=180 * (sequence - 1)),
                            "status": "scheduled",
                            "hold_reason": "",
                            "payment_reference": "",
                            "created_at": now,
                            "version": 1,
                        }
                    )
    for table, rows in (
        (FundingRequest, requests),
        (Agreement, agreements),
        (AgreementYear, years),
        (Installment, installments),
    ):
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(table), rows[start : start + 5_000])
    for sequence in ("funding_requests_id_seq", "agreements_id_seq"):
        table = sequence.removesuffix("_id_seq")
        db.session.execute(text(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def timed(action):  # type: ignore[no-untyped-def]
    """Run `action()`; answer (result, seconds)."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def sql_floor() -> float:
    """The floor of the database figures: one scan of every installment, in seconds (best of 3)."""
    from sqlalchemy import text

    from grants.core.db import db

    def scan() -> float:
        started = time.perf_counter()
        db.session.execute(text("SELECT sum(amount) FROM installments")).scalar()
        return time.perf_counter() - started

    return min(scan() for _ in range(3))


def peak_python_mib(action) -> float:  # type: ignore[no-untyped-def]
    """The peak of Python allocations while `action()` runs (a second, untimed run)."""
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def main() -> int:
    harness.prepare_environment()
    harness.recreate_database()
    from flask_migrate import upgrade

    from grants import create_app
    from grants.accounts.models import StaffAssignment, User
    from grants.cli import load_reference
    from grants.core.db import db
    from grants.fiscal import FiscalYear
    from grants.indexation import operations
    from grants.indexation.notices import send_notices
    from grants.programs.models import Program

    app = create_app()
    year = FiscalYear(2026)
    with app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        started = time.perf_counter()
        build_data()
        print(
            f"data: {sum(SIZES.values())} grants, 3 years and 6 installments each, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        officer = User(email="indexation.bench@example.org", full_name="Banc d'essai", password_hash="x")
        db.session.add(officer)
        db.session.flush()
        for code in SIZES:
            program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()
            db.session.add(
                StaffAssignment(
                    user_id=officer.id, role="program_officer", program_id=program.id, can_authorize=True
                )
            )
        db.session.commit()
        print(
            "indexation 2026-2027 (targets for 10 000 grants: preview < 1 s, application < 3 s); "
            "floor: one SQL scan of the installments, measured before each program:"
        )
        run_ids = []
        for code, size in SIZES.items():
            program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()

            def preview(program: Program = program):  # type: ignore[no-untyped-def]
                return operations.preview(program, year)

            preview()  # warm the query plan
            floor_s = sql_floor()
            (rate, _lines), preview_s = timed(preview)
            preview_mb = peak_python_mib(preview)
            run = operations.create_run(program, year, actor=officer)
            operations.approve(run, actor=officer)
            db.session.commit()
            run_id = run.id

            def apply(run_id: int = run_id) -> None:
                operations.apply(db.session.get(operations.IndexationRun, run_id), actor=officer)
                db.session.commit()

            _, apply_s = timed(apply)
            # Memory of an application: reverse it, then apply a fresh run of the same year traced.
            operations.reverse(
                db.session.get(operations.IndexationRun, run_id), reason="bench", actor=officer
            )
            again = operations.create_run(program, year, actor=officer)
            operations.approve(again, actor=officer)
            db.session.commit()
            run_id = again.id
            apply_mb = peak_python_mib(lambda run_id=run_id: apply(run_id))
            run_ids.append(run_id)
            print(
                f"  {code:6} {size:>6} grants  rate {rate.percent} %  preview {preview_s * 1000:5.0f} ms "
                f"(Python peak {preview_mb:4.1f} MiB)  application {apply_s * 1000:5.0f} ms "
                f"(Python peak {apply_mb:4.1f} MiB)  | floor {floor_s * 1000:5.1f} ms, ratios "
                f"{preview_s / floor_s:5.1f} and {apply_s / floor_s:5.1f}"
            )
        # The notices: what the Celery task runs, on a sample of the last run's lines.
        from grants.indexation.models import IndexationLine

        sample = list(
            db.session.scalars(db.select(IndexationLine.id).filter_by(run_id=run_ids[-1]).limit(NOTICES))
        )
        keep = set(sample)
        db.session.execute(
            db.update(IndexationLine)
            .where(IndexationLine.run_id == run_ids[-1], IndexationLine.id.not_in(keep))
            .values(notice_file_id=None, excluded_reason="bench_skip")
        )
        db.session.commit()
        send_notices(run_ids[-1])  # warm fonts and templates on the first batch only
        started = time.perf_counter()
        db.session.execute(
            db.update(IndexationLine).where(IndexationLine.id.in_(keep)).values(notice_file_id=None)
        )
        db.session.commit()
        built = send_notices(run_ids[-1])
        elapsed = time.perf_counter() - started
        floor = sorted(harness.one_line_pdf() for _ in range(5))[2]
        per_notice = elapsed / max(built, 1)
        print(
            f"notices (PDF rendered and stored, email queued), one worker thread: {built} in "
            f"{elapsed:.1f} s, {built / elapsed:.1f} notices/s, {per_notice * 1000:.0f} ms each"
            f"  | floor (a one-line PDF) {floor * 1000:.0f} ms, ratio {per_notice / floor:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
