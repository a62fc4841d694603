"""Idempotent loading of reference rows: create what is missing, update what differs, count both."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grants.core.db import db


@dataclass
class SeedReport:
    """How many rows a seed created and updated, per table (both zero on a second run)."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, *, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def merge(self, other: SeedReport) -> SeedReport:
        for table, n in other.created.items():
            self.created[table] = self.created.get(table, 0) + n
        for table, n in other.updated.items():
            self.updated[table] = self.updated.get(table, 0) + n
        return self

    def lines(self) -> list[str]:
        tables = sorted(set(self.created) | set(self.updated))
        if not tables:
            return ["nothing to change"]
        return [f"{t}: {self.created.get(t, 0)} created, {self.updated.get(t, 0)} updated" for t in tables]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def upsert(model: type, key: dict[str, Any], values: dict[str, Any], report: SeedReport) -> Any:
    """Find the row by its natural key; create it, or update the fields that differ."""
    instance = db.session.execute(db.select(model).filter_by(**key)).scalar_one_or_none()
    if instance is None:
        instance = model(**key, **values)
        db.session.add(instance)
        report.count(model.__tablename__, created=True)
        return instance
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    if changed:
        report.count(model.__tablename__, updated=True)
    return instance
