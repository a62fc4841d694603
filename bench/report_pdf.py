"""Benchmark: the program report PDF of a fiscal year for 300 organizations.

    .venv/bin/python bench/report_pdf.py          (or: make bench-report-pdf)

Builds, in a scratch PostgreSQL database (BENCH_DATABASE_URL, default `grants_bench_report`), 300
organizations funded by TNCES in 2026-2027 (an agreement each, two installments, one paid), each
with its mid-year report submitted (on time or late), its annual report still owed, the program's
indicators and a full ADS+ breakdown of the people reached (a few small counts in every table).
Then builds the report as the Celery task does (`program_report.render`: the set-based figures,
suppression, WeasyPrint), in French, and prints each step's time, the whole, the page count and the
floor measured in the same run: WeasyPrint rendering a one-line document.
Target (issue 10): under 10 s for 300 organizations.
"""

from __future__ import annotations

import io
import itertools
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/grants_bench_report"
)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

ORGANIZATIONS = int(os.environ.get("ORGANIZATIONS", "300"))
YEAR = 2026


def build_data() -> None:
    """Bulk-insert organizations, requests, agreements, years, installments, reports, indicator
    values and ADS+ counts (SQLAlchemy Core, a few statements)."""
    from sqlalchemy import insert, text

    from grants.accountability.models import Indicator, Report, ReportIndicatorValue, ReportReachCount
    from grants.agreements.models import Agreement, AgreementVersion, AgreementYear
    from grants.core.db import db, utcnow
    from grants.fiscal import FiscalYear
    from grants.organizations.models import Organization
    from grants.payments.models import Installment
    from grants.programs.models import Program
    from grants.requests.models import FundingRequest

    now = utcnow()
    year = FiscalYear(YEAR)
    program = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    indicators = list(db.session.scalars(db.select(Indicator.id).filter_by(program_id=program.id)))
    regions = [f"{n:02d}" for n in range(1, 18)]
    db.session.execute(
        insert(Organization),
        [
            {
                "legal_name": f"Organisme communautaire n° {i:04d}",
                "kind": "community",
                "region_code": regions[i % 17],
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
            for i in range(1, ORGANIZATIONS + 1)
        ],
    )
    organization_ids = list(db.session.scalars(db.select(Organization.id).order_by(Organization.id)))
    requests, agreements, versions, years, installments, reports = [], [], [], [], [], []
    values, reach = [], []
    for n, organization_id in enumerate(organization_ids, start=1):
        amount = Decimal(100_000 + (n % 150) * 500)
        base = {"organization_id": organization_id, "program_id": program.id}
        requests.append(
            harness.approved_request_row(
                base, n, f"TNCES-2026-{n:05d}", "Table", year.start, year.end, YEAR, now
            )
        )
        agreements.append(
            harness.agreement_in_force_row(base, n, f"CAF-TNCES-2026-{n:05d}", year.start, year.end, now)
        )
        versions.append(
            {
                "agreement_id": n,
                "number": 1,
                "kind": "original",
                "reason": "",
                "status": "countersigned",
                "terms": {},
                "created_at": now,
                "signatory_name": "",
                "signatory_title": "",
                "countersigned_at": now,
            }
        )
        years.append(
            {
                "agreement_id": n,
                "fiscal_year": YEAR,
                "approved_amount": amount,
                "amount": amount * Decimal("1.021"),
            }
        )
        for sequence, trigger, status in ((1, "signature", "paid"), (2, "midyear_report", "scheduled")):
            installments.append(
                base
                | {
                    "agreement_id": n,
                    "fiscal_year": YEAR,
                    "sequence": sequence,
                    "amount": (amount / 2).quantize(Decimal("0.01")),
                    "trigger": trigger,
                    "planned_date": year.start + timedelta(days=180 * (sequence - 1)),
                    "status": status,
                    "paid_on": year.start if status == "paid" else None,
                    "hold_reason": "",
                    "payment_reference": "",
                    "created_at": now,
                    "version": 1,
                }
            )
        submitted = datetime(2026, 10, 20, 15, tzinfo=UTC) + timedelta(days=n % 20)  # some late
        people = 20 + n % 60
        for kind, start, end, due, status in (
            ("midyear", year.start, date(2026, 9, 30), date(2026, 10, 31), "submitted"),
            ("annual", year.start, year.end, date(2027, 6, 30), "to_do"),
        ):
            reports.append(
                base
                | {
                    "agreement_id": n,
                    "fiscal_year": YEAR,
                    "kind": kind,
                    "period_start": start,
                    "period_end": end,
                    "scheduled_due": due,
                    "due_date": due,
                    "extension_reason": "",
                    "status": status,
                    "status_changed_at": now,
                    "activities": "",
                    "results": "",
                    "people_total": people if status == "submitted" else None,
                    "reach_explanations": {},
                    "unspent_explanation": "",
                    "submitted_at": submitted if status == "submitted" else None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        small = n % 5  # 0 to 4 non-binary people: small counts in most rows
        men = (people - small) // 3
        breakdown = {
            "gender": {"man": men, "woman": people - small - men, "non_binary": small},
            "age_group": {"12_17": people // 4, "18_24": people // 4, "25_34": people - 2 * (people // 4)},
            "indigenous_identity": {
                "first_nations": n % 4,
                "inuit": n % 3,
                "non_indigenous": people - n % 4 - n % 3,
            },
            "region": {regions[n % 17]: people},
        }
        reach.append((n, breakdown))
        values.append((n, len(indicators)))
    for table, rows in (
        (FundingRequest, requests),
        (Agreement, agreements),
        (AgreementVersion, versions),
        (AgreementYear, years),
        (Installment, installments),
        (Report, reports),
    ):
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(table), rows[start : start + 5_000])
    midyear = dict(
        db.session.execute(
            db.select(Report.agreement_id, Report.id).where(
                Report.kind == "midyear", Report.fiscal_year == year
            )
        ).all()
    )
    db.session.execute(
        insert(ReportIndicatorValue),
        [
            {
                "report_id": midyear[n],
                "indicator_id": indicator_id,
                "target": Decimal(10),
                "achieved": Decimal(5 + (n + index) % 10),
                "comment": "",
            }
            for n, _ in values
            for index, indicator_id in enumerate(indicators)
        ],
    )
    db.session.execute(
        insert(ReportReachCount),
        [
            {"report_id": midyear[n], "variable": variable, "category": category, "count": count}
            for n, breakdown in reach
            for variable, counts in breakdown.items()
            for category, count in counts.items()
        ],
    )
    for sequence in ("funding_requests_id_seq", "agreements_id_seq"):
        table = sequence.removesuffix("_id_seq")
        db.session.execute(text(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def main() -> int:
    harness.prepare_environment()
    harness.recreate_database()
    from flask_migrate import upgrade
    from pypdf import PdfReader

    from grants import create_app
    from grants.accountability import program_report
    from grants.cli import load_reference
    from grants.core import clock
    from grants.core.db import db
    from grants.core.pdf import render_pdf
    from grants.fiscal import FiscalYear
    from grants.programs.models import Program

    app = create_app()
    with app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        started = time.perf_counter()
        build_data()
        print(f"seeded {ORGANIZATIONS} organizations in {time.perf_counter() - started:.1f} s")
        program = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
        year = FiscalYear(YEAR)
        with clock.frozen(datetime(2026, 12, 1, 17, tzinfo=UTC)):
            program_report.render(program, year)  # warm up: templates, fonts, imports
            db.session.rollback()
            marks = [time.perf_counter()]
            cpu = time.process_time()

            def step(done: int) -> None:
                marks.append(time.perf_counter())

            data = program_report.render(program, year, progress=step)
            cpu = time.process_time() - cpu
            total = time.perf_counter() - marks[0]
            with app.test_request_context():
                floor = min(harness.one_line_pdf() for _ in range(3))
                start = time.perf_counter()
                render_pdf("pdf/base.html", language="fr")
                base_floor = time.perf_counter() - start
        pages = len(PdfReader(io.BytesIO(data)).pages)
        gather, suppress, render = (b - a for a, b in itertools.pairwise(marks))
        print(
            f"program report, {ORGANIZATIONS} organizations: {total:.2f} s wall, {cpu:.2f} s CPU, "
            f"{pages} pages, {len(data) / 1024:.0f} KiB"
        )
        print(
            f"  figures (SQL) {gather * 1000:.0f} ms · suppression {suppress * 1000:.0f} ms · "
            f"template + WeasyPrint {render:.2f} s"
        )
        print(
            f"  floor: one-line PDF {floor * 1000:.0f} ms (empty print layout {base_floor * 1000:.0f} ms); "
            f"ratio {total / floor:.0f}x"
        )
        print(
            f"  target < 10 s: {'met' if total < 10 else 'NOT met'} (load average {os.getloadavg()[0]:.1f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
