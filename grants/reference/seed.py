"""Load the reference data shipped in grants/reference/data/ (extracted from shared/seeds/)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from grants.core.db import db
from grants.core.seeding import SeedReport, read_csv, read_yaml, upsert
from grants.reference.models import (
    ActionPlan,
    Measure,
    Ministry,
    Nation,
    PlanAxis,
    Recommendation,
    Region,
)

DATA = Path(__file__).parent / "data"


def _decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _sort_key(number: str) -> int:
    """Measures 1..31 first, then A1..A5."""
    return 100 + int(number[1:]) if number.upper().startswith("A") else int(number)


def seed_reference_tables() -> SeedReport:
    report = SeedReport()
    # Regions, nations and ministries: a code and a name in each language.
    for model, filename in ((Region, "regions.csv"), (Nation, "nations.csv"), (Ministry, "ministries.csv")):
        for row in read_csv(DATA / filename):
            names = {"name_fr": row["name_fr"], "name_en": row["name_en"]}
            upsert(model, {"code": row["code"]}, names, report)
    for item in read_yaml(DATA / "csesm_recommendations.yaml"):
        upsert(
            Recommendation,
            {"number": int(item["number"])},
            {"text_fr": item["text_fr"].strip(), "text_en": (item.get("text_en") or None)},
            report,
        )
    db.session.flush()

    for plan_data in read_yaml(DATA / "plans.yaml"):
        plan = upsert(
            ActionPlan,
            {"code": str(plan_data["code"])},
            {
                "title_fr": plan_data["title_fr"],
                "title_en": plan_data["title_en"],
                "start_year": int(plan_data["start_year"]),
                "end_year": int(plan_data["end_year"]),
                "total_budget": _decimal(plan_data.get("total_budget")),
                "source": plan_data.get("source"),
            },
            report,
        )
        db.session.flush()
        for order, axis in enumerate(plan_data.get("axes", [])):
            upsert(
                PlanAxis,
                {"plan_id": plan.id, "code": axis["code"]},
                {
                    "number": axis.get("number"),
                    "title_fr": axis["title_fr"],
                    "title_en": axis["title_en"],
                    "victims_axis": bool(axis.get("victims_axis")),
                    "sort_order": order,
                    "budget_share_percent": _decimal(axis.get("budget_share_percent")),
                    "budget_amount": _decimal(axis.get("budget_amount")),
                },
                report,
            )
        db.session.flush()
        measures_file = DATA / f"measures_{plan.code}.csv"
        if measures_file.exists():
            _seed_measures(plan, measures_file, report)
    db.session.flush()
    return report


def _seed_measures(plan: ActionPlan, path: Path, report: SeedReport) -> None:
    axes = {axis.code: axis for axis in db.session.scalars(db.select(PlanAxis).filter_by(plan_id=plan.id))}
    recommendations = {r.number: r for r in db.session.scalars(db.select(Recommendation))}
    for row in read_csv(path):
        measure = upsert(
            Measure,
            {"plan_id": plan.id, "number": row["number"]},
            {
                "axis_id": axes[row["axis_code"]].id,
                "sort_order": _sort_key(row["number"]),
                "title_fr": row["title_fr"],
                "lead": row["lead"],
                "collaborators": row["collaborators"],
                "indigenous_adaptation": row["indigenous_adaptation"] == "1",
                "indigenous_accessibility": row["indigenous_accessibility"] == "1",
            },
            report,
        )
        wanted = [recommendations[int(n)] for n in row["csesm"].split(";") if n]
        if [r.number for r in measure.recommendations] != [r.number for r in wanted]:
            measure.recommendations = wanted
            report.count("measure_recommendations", created=False)


def measure_by_number(plan_code: str, number: str) -> Measure | None:
    return db.session.execute(
        db.select(Measure).join(ActionPlan).where(ActionPlan.code == plan_code, Measure.number == number)
    ).scalar_one_or_none()
