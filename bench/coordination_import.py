"""Benchmark: importing other ministries' funding (issue 11, item 1) into PostgreSQL.

    .venv/bin/python bench/coordination_import.py [--lines 100000]   (or: make bench-import)

Generates a realistic file with the dedupe benchmark's generator (`bench/dedupe_data.py`: Quebec
organizations, name variants, missing or mistyped NEQs, an extra column), writes it as CSV, then
loads it into a scratch database (BENCH_IMPORT_DATABASE_URL, `grants_bench_import` by default)
with the product's own load (`grants.coordination.imports.load_file`, what the Celery task and
`grants coordination import` run): the reader's checks, the batched upsert by (ministry,
record_id), the bad lines. Three loads of the same file:

1. into an empty table (every line new: INSERTs),
2. the same file again (every line unchanged: only SELECTs; nothing written),
3. the file with every amount changed (every line changed: UPDATEs),

each committed, with its wall time and lines per second; then the Python peak memory of a load
(tracemalloc, on a fourth load of the first file, as it slows Python down) and the process's peak
resident memory. Target (issue 11, brief): 100 000 lines in well under a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL",
    os.environ.get(
        "BENCH_IMPORT_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/grants_bench_import"
    ),
)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness


def write_file(lines: int, path: Path) -> int:
    import dedupe_data

    generated, _truth = dedupe_data.generate(lines, seed=11)
    dedupe_data.write_csv(generated, path)
    return len(generated)


def changed_amounts(data: bytes) -> bytes:
    """The same file with every amount raised by one dollar (every line then changes)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    at = rows[0].index("amount_cad")
    for row in rows[1:]:
        with contextlib.suppress(ValueError):  # a bad amount stays bad
            row[at] = f"{float(row[at]) + 1:.2f}"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    harness.prepare_environment()
    harness.recreate_database()
    from flask_migrate import upgrade

    from grants import create_app
    from grants.cli import load_reference
    from grants.coordination.imports import load_file
    from grants.coordination.models import ExternalFunding
    from grants.core.db import db

    app = create_app()
    with tempfile.TemporaryDirectory() as folder, app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        path = Path(folder) / "financement.csv"
        started = time.perf_counter()
        count = write_file(args.lines, path)
        data = path.read_bytes()
        print(
            f"file: {count} lines, {len(data) / 2**20:.1f} MB, "
            f"generated in {time.perf_counter() - started:.1f} s"
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        def run(label: str, content: bytes) -> None:
            started = time.perf_counter()
            outcome = load_file(content, "financement.csv")
            db.session.commit()
            seconds = time.perf_counter() - started
            done = outcome.funding_import
            print(
                f"{label:<28} {seconds:6.1f} s  {count / seconds:9,.0f} lines/s   "
                f"loaded {done.lines_loaded}, unchanged {done.lines_unchanged}, refused {done.lines_refused}"
            )
            db.session.expunge_all()

        print("load (target: 100 000 lines in well under a minute):")
        run("1. new lines (INSERT)", data)
        run("2. same file (unchanged)", data)
        run("3. every amount changed", changed_amounts(data))
        stored = db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding))
        print(f"external_funding rows: {stored}")
        tracemalloc.start()
        load_file(data, "financement.csv")
        db.session.commit()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"peak memory: Python {peak / 2**20:.0f} MiB during a load (tracemalloc); "
            f"process peak RSS {rss_after / 1024:.0f} MiB "
            f"({rss_before / 1024:.0f} MiB before the loads, file held in memory included)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
