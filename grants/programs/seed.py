"""Load the real programs of the plan (PQLC, TNCES, TRCES and the two calls for projects)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from grants.core.seeding import SeedReport, read_yaml, upsert
from grants.programs.models import Program
from grants.reference.seed import measure_by_number

DATA = Path(__file__).parent / "data"


def seed_programs() -> SeedReport:
    report = SeedReport()
    for item in read_yaml(DATA / "programs.yaml"):
        measure = measure_by_number(str(item["plan"]), str(item["measure"]))
        upsert(
            Program,
            {"code": item["code"]},
            {
                "name_fr": item["name_fr"],
                "name_en": item["name_en"],
                "description_fr": item.get("description_fr", ""),
                "description_en": item.get("description_en", ""),
                "kind": item["kind"],
                "ministry_code": item["ministry"],
                "measure_id": measure.id if measure else None,
                "indexed": bool(item.get("indexed")),
                "years_max": int(item.get("years_max") or 1),
                "annual_max": Decimal(item["annual_max"]) if item.get("annual_max") else None,
                "reports_per_year": int(item.get("reports_per_year") or 2),
                "source": item.get("source", ""),
                "office_attachments_allowed": bool(item.get("office_attachments_allowed")),
            },
            report,
        )
    return report
