"""Benchmark: the coordination cell's matching run (issue 11) on 100 000 imported lines, and how
many groups keep their id from one run to the next.

    .venv/bin/python bench/coordination_match.py [--lines 100000]

Loads a file of the dedupe benchmark's generator (`bench/dedupe_data.py`, seed 11, as
`bench/coordination_import.py`) into a scratch database (BENCH_MATCH_DATABASE_URL,
`grants_bench_match` by default) with the product's own load, then runs the matching
(`matching_run.refresh_matching`, what `grants coordination match` and the Celery job run), each
committed, three times:

1. the first run (no group yet),
2. the same data again (nothing changed),
3. after the cell split 100 groups (one member apart from the rest of each: 100 decisions),

and prints each run's wall time and, for runs 2 and 3, how many groups of the run before kept
their id (a group keeps it when the same party keys still make it up) and how many ids of the run
before no longer name a group.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL",
    os.environ.get(
        "BENCH_MATCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/grants_bench_match"
    ),
)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

SPLITS = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    harness.prepare_environment()
    harness.recreate_database()
    import dedupe_data
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from grants import create_app
    from grants.cli import load_reference
    from grants.coordination.decisions import decide_parties
    from grants.coordination.imports import load_file
    from grants.coordination.matching_run import refresh_matching
    from grants.coordination.models import EntityMember, MatchedEntity
    from grants.core.db import db

    app = create_app()
    with tempfile.TemporaryDirectory() as folder, app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        path = Path(folder) / "financement.csv"
        generated, _truth = dedupe_data.generate(args.lines, seed=11)
        dedupe_data.write_csv(generated, path)
        started = time.perf_counter()
        outcome = load_file(path.read_bytes(), "financement.csv")
        db.session.commit()
        print(f"loaded {outcome.funding_import.lines_loaded} lines in {time.perf_counter() - started:.1f} s")

        def groups() -> dict[int, frozenset[str]]:
            members: dict[int, set[str]] = {}
            for entity_id, key in db.session.execute(select(EntityMember.entity_id, EntityMember.party_key)):
                members.setdefault(entity_id, set()).add(key)
            return {entity_id: frozenset(keys) for entity_id, keys in members.items()}

        def run(label: str, before: dict[int, frozenset[str]]) -> dict[int, frozenset[str]]:
            started = time.perf_counter()
            summary = refresh_matching()
            db.session.commit()
            seconds = time.perf_counter() - started
            after = groups()
            same = sum(1 for entity_id, keys in before.items() if after.get(entity_id) == keys)
            unchanged = len(set(before.values()) & set(after.values()))
            gone = sum(1 for entity_id in before if entity_id not in after)
            print(
                f"{label:<34} {seconds:6.1f} s  {summary.lines} lines, {summary.entities} groups"
                + (
                    f"; groups unchanged {unchanged}, of which kept their id {same}; "
                    f"ids no longer naming a group {gone}"
                    if before
                    else ""
                )
                + (
                    f" (run: kept {summary.groups_kept}, new {summary.groups_new}, "
                    f"retired {summary.groups_retired})"
                    if hasattr(summary, "groups_kept")
                    else ""
                )
            )
            db.session.expunge_all()
            return after

        first = run("1. first run", {})
        second = run("2. same data again", first)
        several = db.session.scalars(
            select(MatchedEntity)
            .where(MatchedEntity.member_count > 2, MatchedEntity.members.any())
            .order_by(MatchedEntity.id)
            .limit(SPLITS)
        ).all()
        for entity in several:
            members = sorted(entity.members, key=lambda m: m.party_key)
            decide_parties(members[-1:], members[:-1], same=False, comment="bench", actor=None)
        db.session.commit()
        db.session.expunge_all()
        run(f"3. after {len(several)} splits", second)
        print(f"matched_entities rows: {db.session.scalar(select(func.count()).select_from(MatchedEntity))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
