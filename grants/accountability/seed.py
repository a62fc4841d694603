"""Reference data of accountability: each program's indicators (from `data/indicators.yaml`) and its
settings row. Idempotent, and it never overwrites what an officer changed: it only adds what is
missing."""

from __future__ import annotations

from pathlib import Path

from grants.accountability.models import (
    DEFAULT_GRACE_DAYS,
    DEFAULT_UNSPENT_THRESHOLD,
    Indicator,
    IndicatorKind,
    IndicatorUnit,
    ReportSettings,
)
from grants.core.db import db
from grants.core.seeding import SeedReport, read_yaml
from grants.programs.models import Program

DATA = Path(__file__).parent / "data"


def seed_accountability() -> SeedReport:
    report = SeedReport()
    programs = {p.code: p for p in db.session.scalars(db.select(Program))}
    for code, items in read_yaml(DATA / "indicators.yaml")["programs"].items():
        program = programs.get(code)
        if program is None:
            continue
        existing = set(db.session.scalars(db.select(Indicator.code).filter_by(program_id=program.id)))
        for order, item in enumerate(items):
            if item["code"] in existing:
                continue
            db.session.add(
                Indicator(
                    program_id=program.id,
                    code=item["code"],
                    label_fr=item["label_fr"],
                    label_en=item.get("label_en", ""),
                    unit=IndicatorUnit(item.get("unit", "other")),
                    kind=IndicatorKind(item.get("kind", "count")),
                    default_target=item.get("default_target"),
                    sort_order=(order + 1) * 10,
                    active=True,
                )
            )
            report.count("report_indicators", created=True)
    configured = set(db.session.scalars(db.select(ReportSettings.program_id)))
    for program in programs.values():
        if program.id not in configured:
            db.session.add(
                ReportSettings(
                    program_id=program.id,
                    grace_days=DEFAULT_GRACE_DAYS,
                    unspent_threshold_percent=DEFAULT_UNSPENT_THRESHOLD,
                    adsplus_variables=[],
                )
            )
            report.count("report_settings", created=True)
    db.session.flush()
    return report
