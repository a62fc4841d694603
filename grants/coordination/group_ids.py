"""Stable group ids across matching runs: the rule and where the rows go.

A cell member keeps a group's page open, bookmarks it, follows a link to it; the matching runs
again after every import and decision. So a group keeps its id while it descends from the same
group: `inherit` gives each new group the id of the previous group with which it shares the most
members (party keys), one old id to at most one new group; ties go to the new group that is the
smaller (the purer descendant), then to the older id, then to the new group whose first party key
sorts first — the same data gives the same ids whatever the order it was read in.

`store_groups` writes a run's groups set-based: kept groups and members updated in place (only
what changed), new ones inserted, gone members deleted; a previous group whose id no longer names
a group is retired, not deleted (`MatchedEntity.retired_at`), with the party keys it held
(`RetiredEntityParty`): `successors` answers the groups those keys are in now, which its old page
lists (a group split or merged away, even across several runs since)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from grants.coordination.models import EntityMember, MatchedEntity, RetiredEntityParty
from grants.core.db import db, utcnow

CHUNK = 5_000
ENTITY_FIELDS = ("label", "neq", "organization_id", "member_count")
MEMBER_FIELDS = ("entity_id", "name", "neq", "city", "region", "score", "reasons")


def inherit(groups: Sequence[Sequence[str]], previous: Mapping[str, int]) -> list[int | None]:
    """For each new group (its party keys), the id of the previous group it descends from, or
    None for a new group. `previous` is each party key's group before the run."""
    candidates: list[tuple[int, int, int, str, int]] = []
    for number, keys in enumerate(groups):
        shared = Counter(previous[key] for key in keys if key in previous)
        if not shared:
            continue
        first = min(keys)
        for old, count in shared.items():
            candidates.append((-count, len(keys), old, first, number))
    candidates.sort()
    ids: list[int | None] = [None] * len(groups)
    taken: set[int] = set()
    for _count, _size, old, _first, number in candidates:
        if ids[number] is None and old not in taken:
            ids[number] = old
            taken.add(old)
    return ids


@dataclass
class StoredGroups:
    ids: list[int]  # each group's id, in the order given
    kept: int = 0
    new: int = 0
    retired: int = 0
    members_inserted: int = 0
    members_updated: int = 0
    members_deleted: int = 0


def _chunks(items: Sequence[Any]) -> Any:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def store_groups(entity_rows: list[dict[str, Any]], member_rows: list[list[dict[str, Any]]]) -> StoredGroups:
    """Write a run's groups (`entity_rows[n]` and its members `member_rows[n]`, each member with
    its `party_key`) in place of the previous ones, each group under the id `inherit` gives it."""
    now = utcnow()
    entity_table, member_table = MatchedEntity.__table__, EntityMember.__table__
    existing: dict[str, tuple[Any, ...]] = {}
    doubles: list[int] = []
    for row in db.session.execute(
        select(member_table.c.id, member_table.c.party_key, *(member_table.c[f] for f in MEMBER_FIELDS))
    ):
        if row.party_key in existing:
            doubles.append(row.id)
        else:
            existing[row.party_key] = tuple(row)
    ids = inherit(
        [[member["party_key"] for member in rows] for rows in member_rows],
        {key: row[2] for key, row in existing.items()},
    )

    current = {
        row.id: tuple(row)[1:]
        for row in db.session.execute(
            select(entity_table.c.id, *(entity_table.c[f] for f in ENTITY_FIELDS)).where(
                entity_table.c.retired_at.is_(None)
            )
        )
    }
    kept = {entity_id for entity_id in ids if entity_id is not None}
    retired = sorted(set(current) - kept)
    for part in _chunks(retired):
        db.session.execute(
            insert(RetiredEntityParty).from_select(
                ["entity_id", "party_key"],
                select(member_table.c.entity_id, member_table.c.party_key).where(
                    member_table.c.entity_id.in_(part)
                ),
            )
        )
        db.session.execute(
            update(entity_table).where(entity_table.c.id.in_(part)).values(retired_at=now, member_count=0)
        )

    changed = [
        {"b_id": entity_id, **{f"b_{f}": row[f] for f in ENTITY_FIELDS}}
        for entity_id, row in zip(ids, entity_rows, strict=True)
        if entity_id is not None and current.get(entity_id) != tuple(row[f] for f in ENTITY_FIELDS)
    ]
    if changed:
        db.session.execute(
            update(entity_table)
            .where(entity_table.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in ENTITY_FIELDS}),
            changed,
        )
    db.session.execute(
        update(entity_table).where(entity_table.c.retired_at.is_(None)).values(computed_at=now)
    )
    fresh = [number for number, entity_id in enumerate(ids) if entity_id is None]
    for part in _chunks(fresh):
        returned = db.session.execute(
            entity_table.insert().returning(entity_table.c.id, sort_by_parameter_order=True),
            [dict(entity_rows[number], computed_at=now) for number in part],
        ).scalars()
        for number, entity_id in zip(part, returned, strict=True):
            ids[number] = entity_id

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entity_id, rows in zip(ids, member_rows, strict=True):
        for member in rows:
            key = member["party_key"]
            seen.add(key)
            values = dict(member, entity_id=entity_id)
            before = existing.get(key)
            if before is None:
                inserts.append(values)
            elif before[2:] != tuple(values[f] for f in MEMBER_FIELDS):
                updates.append({"b_id": before[0], **{f"b_{f}": values[f] for f in MEMBER_FIELDS}})
    gone = doubles + [row[0] for key, row in existing.items() if key not in seen]
    for part in _chunks(gone):
        db.session.execute(delete(member_table).where(member_table.c.id.in_(part)))
    for part in _chunks(updates):
        db.session.execute(
            update(member_table)
            .where(member_table.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in MEMBER_FIELDS}),
            part,
        )
    for part in _chunks(inserts):
        db.session.execute(member_table.insert(), part)
    return StoredGroups(
        ids=[entity_id for entity_id in ids if entity_id is not None],
        kept=len(kept),
        new=len(fresh),
        retired=len(retired),
        members_inserted=len(inserts),
        members_updated=len(updates),
        members_deleted=len(gone),
    )


def successors(entity: MatchedEntity) -> list[tuple[int, str, int]]:
    """The groups the members of a retired group are in now: (id, label, how many of its former
    members), the group holding most of them first."""
    rows = db.session.execute(
        select(MatchedEntity.id, MatchedEntity.label, func.count())
        .select_from(RetiredEntityParty)
        .join(EntityMember, EntityMember.party_key == RetiredEntityParty.party_key)
        .join(MatchedEntity, MatchedEntity.id == EntityMember.entity_id)
        .where(RetiredEntityParty.entity_id == entity.id, MatchedEntity.retired_at.is_(None))
        .group_by(MatchedEntity.id, MatchedEntity.label)
        .order_by(func.count().desc(), MatchedEntity.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


def former_member_count(entity: MatchedEntity) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RetiredEntityParty).where(RetiredEntityParty.entity_id == entity.id)
    )
