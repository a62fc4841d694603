"""What the cell decides, written and audited: two parties are (or are not) the same organization
(`decide_parties`), and a flag is a confirmed duplicate, complementary funding or a false alarm
(`review_flag`).

A decision on parties is kept on their `PartyKey`s (normalized name, NEQ, town), one row per
unordered pair of keys (upserted: the latest word counts), so the next import and the next
matching run reuse it. A review is a `FlagReview` row; the flag's `decision` moves under
optimistic locking (`grants.core.concurrency`). Audit entries name the cell's objects only (no
organization), so an organization's trail never shows the cell's work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from grants.coordination.entities import PartyKey
from grants.coordination.models import EntityDecision, EntityMember, FlagDecision, FlagReview, FundingFlag
from grants.core.audit import record
from grants.core.concurrency import optimistic
from grants.core.db import db, utcnow

COMMENT_MAX = 4000


class DifferentNeqs(ValueError):
    """Two parties with two different NEQs are never the same organization."""


def party_key(member: EntityMember) -> PartyKey:
    return PartyKey.of(member.name, member.neq, member.city)


def _ordered(a: PartyKey, b: PartyKey) -> tuple[PartyKey, PartyKey]:
    return (a, b) if (a.name, a.neq, a.city) <= (b.name, b.neq, b.city) else (b, a)


def _upsert(a: PartyKey, b: PartyKey, same: bool, comment: str, actor: Any) -> EntityDecision | None:
    if a == b:
        return None
    # the columns' widths (a normalized name longer than 255 characters is not a real case)
    a, b = (PartyKey(k.name[:255], k.neq[:10], k.city[:120]) for k in _ordered(a, b))
    row = db.session.scalars(
        select(EntityDecision).filter_by(
            a_name=a.name, a_neq=a.neq, a_city=a.city, b_name=b.name, b_neq=b.neq, b_city=b.city
        )
    ).first()
    if row is None:
        row = EntityDecision(
            a_name=a.name, a_neq=a.neq, a_city=a.city, b_name=b.name, b_neq=b.neq, b_city=b.city
        )
        db.session.add(row)
    row.same = same
    row.comment = comment
    row.decided_by_id = getattr(actor, "id", None)
    row.decided_at = utcnow()
    return row


def decide_parties(
    first: Iterable[EntityMember],
    second: Iterable[EntityMember],
    *,
    same: bool,
    comment: str,
    actor: Any,
) -> list[EntityDecision]:
    """Every member of `first` is (`same=True`) or is not the same organization as every member
    of `second`; one decision per distinct pair of party keys. A confirmation across two NEQs is
    refused (`DifferentNeqs`)."""
    comment = (comment or "").strip()[:COMMENT_MAX]
    first, second = list(first), list(second)
    if same:
        neqs = {m.neq for m in first + second if m.neq}
        if len(neqs) > 1:
            raise DifferentNeqs(", ".join(sorted(neqs)))
    rows: list[tuple[EntityDecision, EntityMember, EntityMember]] = []
    done: set[tuple[PartyKey, PartyKey]] = set()
    for a in first:
        for b in second:
            pair = _ordered(party_key(a), party_key(b))
            if pair in done or pair[0] == pair[1]:
                continue
            done.add(pair)
            row = _upsert(pair[0], pair[1], same, comment, actor)
            if row is not None:
                # the journal shows the names as the records wrote them, not their matching keys
                written = (a, b) if pair[0] == party_key(a) else (b, a)
                rows.append((row, *written))
    db.session.flush()
    for row, member_a, member_b in rows:
        details: dict[str, Any] = {
            "object_type": "EntityDecision",
            "object_id": row.id,
            "actor": actor,
            "changes": {
                "a": [member_a.name, row.a_neq, member_a.city or row.a_city],
                "b": [member_b.name, row.b_neq, member_b.city or row.b_city],
                "same": row.same,
                "comment": comment,
            },
        }
        if same:
            record("coordination.entity_confirmed", **details)
        else:
            record("coordination.entity_split", **details)
    return [row for row, _, _ in rows]


def review_flag(
    flag: FundingFlag, decision: FlagDecision, comment: str, *, actor: Any, expected_version: int | None
) -> FlagReview:
    """The cell's decision on a flag: a review row, the flag's decision moved (refused with
    `ConcurrentChange` when someone reviewed it since the page was opened), audited."""
    decision = FlagDecision(decision)
    comment = (comment or "").strip()[:COMMENT_MAX]
    before = FlagDecision(flag.decision)
    with optimistic(flag, expected_version):
        review = FlagReview(decision=decision, comment=comment, reviewed_by_id=getattr(actor, "id", None))
        flag.reviews.append(review)
        flag.decision = decision
        flag_modified(flag, "decision")  # the same decision again still moves the version
    record(
        "coordination.flag_reviewed",
        object_type="FundingFlag",
        object_id=flag.id,
        actor=actor,
        changes={"decision": [before.value, decision.value], "comment": comment, "kind": str(flag.kind)},
    )
    return review
