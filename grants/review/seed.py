"""The default analysis grid of each program (weights out of 100, scores out of 5).

No page edits a grid yet: a program that needs another grid gets its criteria in the database."""

from __future__ import annotations

from decimal import Decimal

from grants.core.db import db
from grants.core.seeding import SeedReport
from grants.programs.models import Program
from grants.review.models import AssessmentCriterion

DEFAULT_GRID = (
    ("Pertinence au regard du plan d'action et des besoins", "Relevance to the action plan and needs", "30"),
    (
        "Capacité de l'organisme à réaliser le projet ou la mission",
        "Organization's capacity to deliver",
        "25",
    ),
    ("Réalisme du budget et autres sources de financement", "Realistic budget and other funding", "25"),
    (
        "Concertation, partenariats et accessibilité (dont Premières Nations et Inuit)",
        "Partnerships and accessibility",
        "20",
    ),
)


def seed_default_grids() -> SeedReport:
    """Give each program the default grid once; a program that has criteria keeps its own."""
    report = SeedReport()
    for program in db.session.scalars(db.select(Program)):
        has_grid = db.session.execute(
            db.select(AssessmentCriterion.id).filter_by(program_id=program.id).limit(1)
        ).first()
        if has_grid:
            continue
        for order, (name_fr, name_en, weight) in enumerate(DEFAULT_GRID):
            db.session.add(
                AssessmentCriterion(
                    program_id=program.id,
                    name_fr=name_fr,
                    name_en=name_en,
                    weight=Decimal(weight),
                    max_score=5,
                    sort_order=order,
                )
            )
            report.count("assessment_criteria", created=True)
    db.session.flush()
    return report
