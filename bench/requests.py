"""Benchmark: the officer's queue, a request's page and the agreement PDF at production volume.

    .venv/bin/python bench/requests.py          (or: make bench-requests)

Builds 20 000 requests, 5 000 agreements and 50 000 installments in a scratch PostgreSQL database
(BENCH_DATABASE_URL, default grants_bench on loopback), serves the app with gunicorn on loopback,
and times pages from 4 concurrent signed-in clients. Prints median and 95th percentile, each beside
a floor measured in the same run: for pages, the p95 of `/healthz` asked by the same clients
between the pages; for PDFs, the rendering of a one-line document.
Targets (issue: requests to payments): pages under 150 ms at the 95th percentile; the agreement
PDF under 1 s.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

REQUESTS, AGREEMENTS, INSTALLMENTS_PER_AGREEMENT = 20_000, 5_000, 10
ORGANIZATIONS = 2_000
PASSWORD = "bench password 2026"
OFFICER = "agent.bench@example.org"
STATUSES = ["submitted", "under_review", "info_requested", "recommended", "refused", "withdrawn"]


def build_data() -> dict[str, object]:
    """Bulk-insert the volume (SQLAlchemy Core, a few statements per table)."""
    from sqlalchemy import insert

    from grants.accounts.models import StaffAssignment, User
    from grants.accounts.passwords import hash_password
    from grants.agreements.models import Agreement, AgreementVersion, AgreementYear
    from grants.core.db import db, utcnow
    from grants.fiscal import FiscalYear
    from grants.organizations.models import Organization
    from grants.payments.models import Installment
    from grants.programs.models import Program
    from grants.requests.models import BudgetLine, FundingRequest, RequestYear

    rng = random.Random(2026)
    now = utcnow()
    programs = list(db.session.scalars(db.select(Program).order_by(Program.id)))
    regions = [f"{n:02d}" for n in range(1, 18)]
    db.session.execute(
        insert(Organization),
        [
            {
                "legal_name": f"Organisme communautaire n° {i:05d}",
                "kind": "community",
                "region_code": rng.choice(regions),
                "address": "",
                "city": "Québec",
                "postal_code": "",
                "communities_served": "",
                "email": "",
                "phone": "",
                "website": "",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(ORGANIZATIONS)
        ],
    )
    organization_ids = list(db.session.scalars(db.select(Organization.id)))
    officer = User(email=OFFICER, full_name="Agent de banc d'essai", password_hash=hash_password(PASSWORD))
    db.session.add(officer)
    db.session.flush()
    db.session.execute(
        insert(StaffAssignment),
        [
            {"user_id": officer.id, "role": "program_officer", "program_id": p.id, "can_authorize": True}
            for p in programs
        ],
    )

    request_rows, year_rows, budget_rows = [], [], []
    for i in range(1, REQUESTS + 1):
        program = programs[i % len(programs)]
        first = FiscalYear(2024 + i % 3)
        years = 1 + i % min(program.years_max, 5)
        status = "approved" if i <= AGREEMENTS else STATUSES[i % len(STATUSES)]
        request_rows.append(
            {
                "id": i,
                "reference": f"{program.code}-{first.start_year}-{i:05d}",
                "organization_id": rng.choice(organization_ids),
                "program_id": program.id,
                "status": status,
                "status_changed_at": now - timedelta(days=i % 300),
                "title": f"Projet de soutien n° {i}",
                "summary": "Accompagnement des personnes victimes d'exploitation sexuelle. " * 3,
                "objectives": "Prévenir, accompagner, concerter.",
                "target_populations": "Jeunes à risque",
                "start_date": first.start,
                "end_date": (first + (years - 1)).end,
                "first_fiscal_year": first.start_year,
                "recommendation_comment": "",
                "decision_conditions": "",
                "decision_reasons": "",
                "envelope_override_reason": "",
                "created_at": now - timedelta(days=i % 400),
                "updated_at": now,
                "submitted_at": now - timedelta(days=i % 400),
                "version": 1,
            }
        )
        amount = Decimal(rng.randrange(20_000, 175_001, 500))
        for offset in range(years):
            year = first.start_year + offset
            year_rows.append(
                {
                    "request_id": i,
                    "fiscal_year": year,
                    "requested_amount": amount,
                    "approved_amount": amount if status == "approved" else None,
                }
            )
            budget_rows.append(
                {"request_id": i, "fiscal_year": year, "category": "salaries", "amount": amount}
            )
    for table, rows in ((FundingRequest, request_rows), (RequestYear, year_rows), (BudgetLine, budget_rows)):
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(table), rows[start : start + 5_000])
    from sqlalchemy import text

    db.session.execute(
        text("SELECT setval('funding_requests_id_seq', (SELECT max(id) FROM funding_requests))")
    )

    agreement_rows, agreement_year_rows, version_rows, installment_rows = [], [], [], []
    by_request = {}
    for row in year_rows:
        by_request.setdefault(row["request_id"], []).append(row)
    for i in range(1, AGREEMENTS + 1):
        request = request_rows[i - 1]
        agreement_rows.append(
            {
                "id": i,
                "number": f"CAF-BENCH-{i:05d}",
                "request_id": i,
                "organization_id": request["organization_id"],
                "program_id": request["program_id"],
                "start_date": request["start_date"],
                "end_date": request["end_date"],
                "conditions": "",
                "indexed": True,
                "status": "countersigned",
                "signed_at": now,
                "created_at": now,
                "version": 1,
            }
        )
        version_rows.append(
            {
                "agreement_id": i,
                "number": 1,
                "kind": "original",
                "reason": "",
                "status": "countersigned",
                "terms": {},
                "created_at": now,
                "signatory_name": "Direction",
                "signatory_title": "Directrice générale",
            }
        )
        years = by_request[i]
        for row in years:
            agreement_year_rows.append(
                {
                    "agreement_id": i,
                    "fiscal_year": row["fiscal_year"],
                    "approved_amount": row["requested_amount"],
                    "amount": row["requested_amount"],
                }
            )
        for n in range(INSTALLMENTS_PER_AGREEMENT):
            row = years[n % len(years)]
            fiscal_year = FiscalYear(row["fiscal_year"])
            installment_rows.append(
                {
                    "agreement_id": i,
                    "organization_id": request["organization_id"],
                    "program_id": request["program_id"],
                    "fiscal_year": row["fiscal_year"],
                    "sequence": n + 1,
                    "amount": (row["requested_amount"] / 2).quantize(Decimal("0.01")),
                    "trigger": "year_start" if n % 2 == 0 else "midyear_report",
                    "planned_date": fiscal_year.start + timedelta(days=30 * (n % 12)),
                    "status": ["scheduled", "authorized", "paid", "held"][n % 4],
                    "hold_reason": "",
                    "payment_reference": "",
                    "created_at": now,
                    "version": 1,
                }
            )
    for table, rows in (
        (Agreement, agreement_rows),
        (AgreementVersion, version_rows),
        (AgreementYear, agreement_year_rows),
        (Installment, installment_rows),
    ):
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(table), rows[start : start + 5_000])
    db.session.execute(text("SELECT setval('agreements_id_seq', (SELECT max(id) FROM agreements))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return {"programs": [p.code for p in programs], "installments": len(installment_rows)}


def main() -> int:
    harness.prepare_environment()
    harness.recreate_database()
    from flask_migrate import upgrade

    from grants import create_app
    from grants.cli import load_reference
    from grants.core.db import db

    app = create_app()
    with app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        started = time.perf_counter()
        built = build_data()
        print(
            f"data: {REQUESTS} requests, {AGREEMENTS} agreements, {built['installments']} installments "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        pdf_timings = time_agreement_pdfs(samples=20)
    rng = random.Random(7)
    with harness.served_app() as port:
        pages = {
            "queue, first page": lambda i: ["/analyse/"] * 25,
            "queue, filtered (program + status)": lambda i: [
                f"/analyse/?program={rng.choice(built['programs'])}&status=under_review" for _ in range(25)
            ],
            "queue, sorted by amount asked (desc)": lambda i: ["/analyse/?sort=-total"] * 25,
            "request page": lambda i: [f"/analyse/{rng.randint(1, REQUESTS)}" for _ in range(25)],
            "payments list, filtered by year": lambda i: ["/versements/?fiscal_year=2025-2026"] * 25,
            "agreement PDF (stored, download)": lambda i: [
                f"/conventions/{n}/versions/1.pdf" for n in range(1, 21)
            ],
        }
        harness.load(port, OFFICER, PASSWORD, lambda i: ["/analyse/"] * 3, clients=2)  # warm-up
        print(
            "pages, 4 concurrent clients (target: p95 < 150 ms; agreement PDF < 1 s); "
            "floor: /healthz between the pages:"
        )
        for name, paths in pages.items():
            samples, floor = harness.load_with_floor(port, OFFICER, PASSWORD, paths, clients=4)
            print("  " + harness.Timing(name, samples).line(harness.Timing("/healthz", floor)))
    print("agreement PDF rendering (WeasyPrint, one at a time; target < 1 s); floor: a one-line PDF:")
    print(
        "  "
        + harness.Timing("render + store an agreement PDF", pdf_timings[0]).line(
            harness.Timing("one-line PDF", pdf_timings[1])
        )
    )
    return 0


def time_agreement_pdfs(samples: int) -> tuple[list[float], list[float]]:
    """Render the first agreements' PDFs the way approval does, timing each one, each after a
    one-line PDF (the floor). Answers (agreement durations, floor durations)."""
    from grants.agreements.models import Agreement
    from grants.agreements.operations import terms_of
    from grants.agreements.pdf import render_version_pdf
    from grants.core.db import db

    durations, floors = [], []
    for agreement_id in range(1, samples + 2):  # the first one warms fonts and templates up
        floors.append(harness.one_line_pdf())
        agreement = db.session.get(Agreement, agreement_id)
        start = time.perf_counter()
        version = agreement.versions[0]
        version.terms = terms_of(agreement)
        render_version_pdf(version)
        durations.append(time.perf_counter() - start)
    db.session.commit()
    return durations[1:], floors[1:]


if __name__ == "__main__":
    raise SystemExit(main())
