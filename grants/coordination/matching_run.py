"""The matching run: which records are the same organization, and the flags the cell reviews.

One run (`refresh_matching`) reads everything the cell knows and rewrites what the pages show:

1. **gather** the funding lines — every imported `ExternalFunding` line (`ext:<ministry>:<id>`)
   and our own submitted requests and grants (`req:<request id>`: the program's ministry and
   code, the organization as recipient, the request's title and summary, the agreement's amount
   and period when there is one, else the approved or requested amount and the request's period)
   — and the parties that fund nothing but name an organization: our organizations
   (`org:<id>`, legal name, NEQ, town, region) and their aliases (`alias:<id>`, with the
   organization's NEQ, town and region); the cell's `EntityDecision`s become engine `Decision`s;
2. **match** with the engine (`entities.resolve` over lines and parties together, then
   `duplicates.find_duplicates` over the funding lines only: a party is never half of a pair);
3. **groups**: `MatchedEntity`/`EntityMember` are rewritten in place (one group per organization
   found; its label is our legal name when it holds one of our organizations, else its most
   frequent spelling; each member's score and reasons are those of its link to the group's first
   party); each group keeps the id of the group it descends from, and a previous group that no
   longer names one is retired with the party keys it held (`grants.coordination.group_ids`),
   and `ExternalFunding.organization_id` is set to our organization of the line's group, or NULL;
4. **flags**, upserted by `(kind, key_a, key_b)` so a flag found again keeps its reviews:
   `DUPLICATE` for each suspected pair, `OVER_BUDGET` when one of our requests plus its declared
   other funding plus the imported lines flagged as its duplicates exceed its budget, `OMITTED`
   when an imported line of the same organization, over the request's period, comes from a
   funder the request does not declare (other than the ministry of the request's own program;
   funder names compare through `same_funder`: `MSSS` is the `Ministère de la Santé et des
   Services sociaux`). Flags not found again are marked `still_found=False`.

Evidence is stored as data; `grants.coordination.explain` writes it in the reader's language.
The run is one transaction (the caller commits); on PostgreSQL two runs never overlap (an
advisory lock). `start_refresh` makes it a background job (`grants.core.jobs`; `queue_refresh`
also commits and queues it); `grants coordination match` runs it at once, without Celery.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from grants.coordination import group_ids
from grants.coordination.duplicates import FundingTable, find_duplicates, settle_by_project
from grants.coordination.entities import Decision, PartyKey, Reason, resolve
from grants.coordination.models import (
    EntityDecision,
    ExternalFunding,
    FlagDecision,
    FlagKind,
    FundingFlag,
)
from grants.coordination.names import normalize_name
from grants.coordination.records import FundingRecord
from grants.core.db import db, utcnow
from grants.core.tasks import REFRESH_MATCHING
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus

JOB_KIND = "matching"
TASK_NAME = REFRESH_MATCHING
STEPS = 4  # gather, match, groups, flags
# Our requests that count as funding lines: submitted and not refused or withdrawn.
LIVE_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.INFO_REQUESTED,
    RequestStatus.RECOMMENDED,
    RequestStatus.APPROVED,
)
FUNDER_SIMILARITY = 0.85  # two spellings of one funder (`Min. de la Santé…` / `Ministère de la Santé…`)
ADVISORY_LOCK = 110_011  # one matching run at a time (PostgreSQL)
CHUNK = 5_000

Progress = Callable[[int, str], None]


@dataclass
class Line:
    """A funding line of the run: its record for the engine, and what it is in our tables."""

    key: str
    record: FundingRecord
    external_id: int | None = None
    request_id: int | None = None
    organization_id: int | None = None  # ours, for a request line


@dataclass
class Party:
    """A name that funds nothing here but identifies an organization: ours, or one of its aliases."""

    key: str
    name: str
    neq: str | None
    city: str
    region: str | None
    organization_id: int


@dataclass
class Group:
    label: str
    neq: str | None
    organization_id: int | None
    indexes: list[int]


@dataclass
class RunSummary:
    lines: int = 0
    parties: int = 0
    entities: int = 0
    groups_kept: int = 0  # groups that kept the id of the group they descend from
    groups_new: int = 0
    groups_retired: int = 0  # previous ids that no longer name a group
    pairs: int = 0
    flags_new: int = 0
    flags_found: int = 0
    flags_gone: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


# -- gathering -----------------------------------------------------------------------------------------
def external_lines() -> Iterator[Line]:
    rows = db.session.execute(
        select(
            ExternalFunding.id,
            ExternalFunding.record_id,
            ExternalFunding.source_ministry,
            ExternalFunding.program,
            ExternalFunding.recipient_name,
            ExternalFunding.recipient_neq,
            ExternalFunding.recipient_city,
            ExternalFunding.recipient_region,
            ExternalFunding.project_title,
            ExternalFunding.description,
            ExternalFunding.amount,
            ExternalFunding.start_date,
            ExternalFunding.end_date,
            ExternalFunding.fiscal_year,
            ExternalFunding.measure_code,
        ).order_by(ExternalFunding.id)
    ).yield_per(CHUNK)
    for row in rows:
        key = f"ext:{row.source_ministry}:{row.record_id}"
        record = FundingRecord(
            key,
            row.source_ministry,
            row.program,
            row.recipient_name,
            row.recipient_neq,
            row.recipient_city or "",
            row.recipient_region,
            row.project_title or "",
            row.description or "",
            row.amount,
            row.start_date,
            row.end_date,
            row.fiscal_year,
            row.measure_code or None,
        )
        yield Line(key, record, external_id=row.id)


def _agreement_terms() -> dict[int, tuple[date, date, Decimal]]:
    """Each request's agreement: its period and the sum of its yearly amounts. Read through the
    tables' metadata: the coordination package reads agreements, it does not depend on them."""
    agreements = db.metadata.tables["agreements"]
    years = db.metadata.tables["agreement_years"]
    totals = (
        select(years.c.agreement_id, func.sum(years.c.amount).label("total"))
        .group_by(years.c.agreement_id)
        .subquery()
    )
    rows = db.session.execute(
        select(agreements.c.request_id, agreements.c.start_date, agreements.c.end_date, totals.c.total).join(
            totals, totals.c.agreement_id == agreements.c.id
        )
    )
    return {row.request_id: (row.start_date, row.end_date, Decimal(row.total)) for row in rows}


def our_amount(funding_request: FundingRequest, agreement: tuple[date, date, Decimal] | None) -> Decimal:
    """What we give (or are asked): the agreement's amount, else the approved, else the requested."""
    if agreement is not None:
        return agreement[2]
    if funding_request.status == RequestStatus.APPROVED:
        return funding_request.total_approved
    return funding_request.total_requested


def request_lines() -> Iterator[tuple[Line, FundingRequest, Decimal]]:
    agreements = _agreement_terms()
    requests = db.session.scalars(
        select(FundingRequest)
        .where(
            FundingRequest.status.in_([s.value for s in LIVE_STATUSES]),
            FundingRequest.start_date.is_not(None),
            FundingRequest.end_date.is_not(None),
        )
        .options(
            selectinload(FundingRequest.organization),
            selectinload(FundingRequest.program).selectinload(Program.ministry),
            selectinload(FundingRequest.years),
            selectinload(FundingRequest.budget_lines),
            selectinload(FundingRequest.other_funding),
        )
        .order_by(FundingRequest.id)
    )
    for funding_request in requests:
        agreement = agreements.get(funding_request.id)
        start, end = (
            (agreement[0], agreement[1])
            if agreement
            else (funding_request.start_date, funding_request.end_date)
        )
        if end < start:
            continue
        organization = funding_request.organization
        program = funding_request.program
        amount = our_amount(funding_request, agreement)
        key = f"req:{funding_request.id}"
        record = FundingRecord(
            key,
            program.ministry.name_fr if program.ministry else program.ministry_code,
            program.code,
            organization.legal_name,
            organization.neq,
            organization.city or "",
            organization.region_code,
            funding_request.title or "",
            " ".join(part for part in (funding_request.summary, funding_request.objectives) if part),
            amount,
            start,
            end,
            funding_request.first_fiscal_year or FiscalYear.of(start),
        )
        line = Line(key, record, request_id=funding_request.id, organization_id=organization.id)
        yield line, funding_request, amount


def parties() -> list[Party]:
    found: list[Party] = []
    organizations = db.session.scalars(
        select(Organization).options(selectinload(Organization.aliases)).order_by(Organization.id)
    )
    for organization in organizations:
        found.append(
            Party(
                f"org:{organization.id}",
                organization.legal_name,
                organization.neq,
                organization.city or "",
                organization.region_code,
                organization.id,
            )
        )
        for alias in organization.aliases:
            found.append(
                Party(
                    f"alias:{alias.id}",
                    alias.name,
                    organization.neq,
                    organization.city or "",
                    organization.region_code,
                    organization.id,
                )
            )
    return found


def decisions() -> list[Decision]:
    return [
        Decision(
            PartyKey(row.a_name, row.a_neq or "", row.a_city or ""),
            PartyKey(row.b_name, row.b_neq or "", row.b_city or ""),
            bool(row.same),
        )
        for row in db.session.scalars(select(EntityDecision).order_by(EntityDecision.id))
    ]


# -- funders -----------------------------------------------------------------------------------------
def same_funder(a: str, b: str) -> bool:
    """Two spellings of one funder: the same normalized name, close spellings, or an acronym and
    the name it stands for (`MSSS` / `Ministère de la Santé et des Services sociaux`)."""
    if not a.strip() or not b.strip():
        return False
    x, y = normalize_name(a), normalize_name(b)
    if x.key == y.key or x.sorted_key == y.sorted_key:
        return True
    if Indel.normalized_similarity(x.key, y.key) >= FUNDER_SIMILARITY:
        return True
    if fuzz.token_sort_ratio(x.key, y.key) >= 100 * FUNDER_SIMILARITY:
        return True
    for short, long in ((x, y), (y, x)):
        if len(short.tokens) == 1 and len(long.tokens) > 1:
            letters = short.key.replace(" ", "")
            if len(letters) >= 2 and letters in (long.initials, long.initials.replace("m", "", 1)):
                return True
    return False


# -- the run -------------------------------------------------------------------------------------------
def refresh_matching(progress: Progress | None = None) -> RunSummary:
    """Match, rebuild the groups and find the flags again, in the current transaction."""
    say = progress or (lambda done, message: None)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    summary = RunSummary()

    lines = list(external_lines())
    ours: dict[str, tuple[FundingRequest, Decimal]] = {}
    for line, funding_request, amount in request_lines():
        lines.append(line)
        ours[line.key] = (funding_request, amount)
    party_list = parties()
    cell_decisions = decisions()
    summary.lines, summary.parties = len(lines), len(party_list)
    say(1, f"lignes / lines: {len(lines)}; parties: {len(party_list)}")

    table = FundingTable.build([line.record for line in lines])
    count = len(lines)
    resolution = resolve(
        table.names + [p.name for p in party_list],
        table.neqs + [p.neq for p in party_list],
        table.cities + [p.city for p in party_list],
        table.regions + [p.region for p in party_list],
        cell_decisions,
    )
    resolution = settle_by_project(table, resolution)
    lines_only = dataclasses.replace(
        resolution,
        entity_of_record=resolution.entity_of_record[:count],
        mention_of_record=resolution.mention_of_record[:count],
    )
    pairs = find_duplicates(table, lines_only)
    summary.entities, summary.pairs = resolution.entity_count, len(pairs)
    say(2, f"organismes / organizations: {resolution.entity_count}; paires / pairs: {len(pairs)}")

    groups, group_of = _rewrite_groups(lines, party_list, resolution, summary)
    say(3, "groupes / groups")

    wanted = _duplicate_flags(lines, pairs, groups, group_of)
    reviewed = _decisions_of_flags()
    wanted.update(_request_flags(lines, ours, wanted, reviewed, groups, group_of, resolution))
    _upsert_flags(wanted, summary)
    say(4, f"signalements / flags: {len(wanted)}")
    return summary


def _rewrite_groups(
    lines: list[Line], party_list: list[Party], resolution: Any, summary: RunSummary
) -> tuple[list[Group], list[int]]:
    """Write the groups (MatchedEntity/EntityMember, each group under the id of the group it
    descends from: `group_ids`) and ExternalFunding.organization_id; answer the groups and, for
    each record (lines then parties), its group's number."""
    count = len(lines)
    entity_of = resolution.entity_of_record.tolist()
    members: dict[int, list[int]] = {}
    for index, entity in enumerate(entity_of):
        members.setdefault(entity, []).append(index)

    def name_of(i: int) -> str:
        return lines[i].record.recipient_name if i < count else party_list[i - count].name

    def neq_of(i: int) -> str | None:
        return lines[i].record.recipient_neq if i < count else party_list[i - count].neq

    def city_of(i: int) -> str:
        return lines[i].record.recipient_city if i < count else party_list[i - count].city

    def region_of(i: int) -> str | None:
        return lines[i].record.recipient_region if i < count else party_list[i - count].region

    def key_of(i: int) -> str:
        return lines[i].key if i < count else party_list[i - count].key

    confirmed: set[int] = set()
    for link in resolution.links():
        if link.reasons & Reason.CONFIRMED:
            confirmed.update((link.a, link.b))
    mention = resolution.mention_of_record.tolist()

    organization_names = dict(db.session.execute(select(Organization.id, Organization.legal_name)).all())
    groups: list[Group] = []
    group_of = [0] * len(entity_of)
    entity_rows: list[dict[str, Any]] = []
    member_rows: list[list[dict[str, Any]]] = []
    for entity in sorted(members):
        indexes = members[entity]
        ours = sorted(
            {party_list[i - count].organization_id for i in indexes if i >= count}
            | {lines[i].organization_id for i in indexes if i < count and lines[i].organization_id}
        )
        organization_id = ours[0] if ours else None
        if organization_id is not None:
            label = organization_names.get(organization_id, "")
            anchor = next(
                (i for i in indexes if i >= count and party_list[i - count].key == f"org:{organization_id}"),
                indexes[0],
            )
        else:
            label = Counter(name_of(i) for i in indexes).most_common(1)[0][0]  # ties: the first seen
            anchor = indexes[0]
        neq = next((neq_of(i) for i in indexes if neq_of(i)), None)
        number = len(groups)
        groups.append(Group(label, neq, organization_id, indexes))
        for i in indexes:
            group_of[i] = number
        entity_rows.append(
            {
                "label": label[:255],
                "neq": neq,
                "organization_id": organization_id,
                "member_count": len(indexes),
            }
        )
        rows = []
        for i in indexes:
            if i == anchor:
                score, reasons = 1.0, Reason(0)
            else:
                score, reasons = resolution.record_link(anchor, i)
                if mention[i] in confirmed and mention[anchor] in confirmed:
                    reasons |= Reason.CONFIRMED
            rows.append(
                {
                    "party_key": key_of(i)[:200],
                    "name": name_of(i)[:255],
                    "neq": neq_of(i),
                    "city": (city_of(i) or "")[:120],
                    "region": region_of(i),
                    "score": Decimal(f"{score:.3f}"),
                    "reasons": int(reasons),
                }
            )
        member_rows.append(rows)

    stored = group_ids.store_groups(entity_rows, member_rows)
    summary.groups_kept, summary.groups_new, summary.groups_retired = stored.kept, stored.new, stored.retired

    # Each line's organization, written only where it changed (most runs change none).
    wanted: dict[int, int] = {}
    for group in groups:
        if group.organization_id is None:
            continue
        for i in group.indexes:
            if i < count and lines[i].external_id is not None:
                wanted[lines[i].external_id] = group.organization_id
    linked = dict(
        db.session.execute(
            select(ExternalFunding.id, ExternalFunding.organization_id).where(
                ExternalFunding.organization_id.is_not(None)
            )
        ).all()
    )
    unlinked = sorted(line_id for line_id in linked if line_id not in wanted)
    by_organization: dict[int, list[int]] = {}
    for line_id, organization_id in wanted.items():
        if linked.get(line_id) != organization_id:
            by_organization.setdefault(organization_id, []).append(line_id)
    for start in range(0, len(unlinked), CHUNK):
        db.session.execute(
            update(ExternalFunding)
            .where(ExternalFunding.id.in_(unlinked[start : start + CHUNK]))
            .values(organization_id=None)
        )
    for organization_id, external_ids in by_organization.items():
        for start in range(0, len(external_ids), CHUNK):
            db.session.execute(
                update(ExternalFunding)
                .where(ExternalFunding.id.in_(external_ids[start : start + CHUNK]))
                .values(organization_id=organization_id)
            )
    return groups, group_of


FlagKey = tuple[str, str, str]


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _duplicate_flags(
    lines: list[Line], pairs: Iterable[Any], groups: list[Group], group_of: list[int]
) -> dict[FlagKey, dict[str, Any]]:
    wanted: dict[FlagKey, dict[str, Any]] = {}
    for pair in pairs:
        first, second = sorted((lines[pair.a], lines[pair.b]), key=lambda line: line.key)
        group = groups[group_of[pair.a]]
        request_id = first.request_id or second.request_id
        external = first if first.external_id is not None else second
        evidence = {
            "organization_reasons": int(pair.organization_reasons),
            "organization_score": round(float(pair.organization_score), 3),
            "overlap_days": int(pair.overlap_days),
            "purpose": round(float(pair.purpose), 3),
            "score": round(float(pair.score), 3),
        }
        if request_id is not None:
            evidence["request_id"] = request_id
        wanted[(FlagKind.DUPLICATE.value, first.key, second.key)] = {
            "request_id": request_id,
            "organization_id": group.organization_id,
            "entity_label": group.label[:255],
            "fiscal_year": external.record.fiscal_year,
            "score": Decimal(f"{pair.score:.3f}"),
            "evidence": evidence,
            "amount": None,
        }
    return wanted


def _decisions_of_flags() -> dict[FlagKey, str]:
    rows = db.session.execute(
        select(FundingFlag.kind, FundingFlag.key_a, FundingFlag.key_b, FundingFlag.decision)
    )
    return {(str(kind), a, b): str(decision) for kind, a, b, decision in rows}


def _overlap_days(a: FundingRecord, b: FundingRecord) -> int:
    return (min(a.end_date, b.end_date) - max(a.start_date, b.start_date)).days + 1


def _request_flags(
    lines: list[Line],
    ours: dict[str, tuple[FundingRequest, Decimal]],
    duplicates: dict[FlagKey, dict[str, Any]],
    reviewed: dict[FlagKey, str],
    groups: list[Group],
    group_of: list[int],
    resolution: Any,
) -> dict[FlagKey, dict[str, Any]]:
    """OVER_BUDGET and OMITTED flags of our requests."""
    wanted: dict[FlagKey, dict[str, Any]] = {}
    position = {line.key: i for i, line in enumerate(lines)}
    duplicates_of: dict[str, list[str]] = {}
    for kind, key_a, key_b in duplicates:
        if reviewed.get((kind, key_a, key_b)) == FlagDecision.FALSE_ALARM.value:
            continue
        for mine, other in ((key_a, key_b), (key_b, key_a)):
            if mine.startswith("req:") and other.startswith("ext:"):
                duplicates_of.setdefault(mine, []).append(other)
    for key, (funding_request, amount) in ours.items():
        index = position[key]
        line = lines[index]
        group = groups[group_of[index]]
        declared_funders = [source.funder for source in funding_request.other_funding]
        budget = sum((b.amount for b in funding_request.budget_lines), Decimal("0.00"))
        declared = sum((source.amount for source in funding_request.other_funding), Decimal("0.00"))
        imported_keys = [
            other
            for other in sorted(duplicates_of.get(key, []))
            if not any(
                same_funder(lines[position[other]].record.source_ministry, f) for f in declared_funders
            )
        ]
        imported = sum((lines[position[k]].record.amount_cad for k in imported_keys), Decimal("0.00"))
        total = amount + declared + imported
        common = {
            "request_id": funding_request.id,
            "organization_id": funding_request.organization_id,
            "entity_label": group.label[:255],
        }
        if budget > 0 and total > budget:
            excess = total - budget
            wanted[(FlagKind.OVER_BUDGET.value, key, "")] = common | {
                "fiscal_year": line.record.fiscal_year,
                "score": Decimal(f"{min(Decimal(1), excess / budget):.3f}"),
                "amount": excess,
                "evidence": {
                    "budget": _money(budget),
                    "ours": _money(amount),
                    "declared": _money(declared),
                    "imported": _money(imported),
                    "imported_keys": imported_keys,
                    "total": _money(total),
                    "excess": _money(excess),
                    "request_id": funding_request.id,
                },
            }
        for other in group.indexes:
            if other >= len(lines) or lines[other].external_id is None:
                continue
            record = lines[other].record
            overlap = _overlap_days(line.record, record)
            if overlap <= 0:
                continue
            if any(same_funder(record.source_ministry, funder) for funder in declared_funders):
                continue
            if same_funder(record.source_ministry, line.record.source_ministry) or same_funder(
                record.source_ministry, funding_request.program.ministry_code
            ):
                continue  # our own ministry's line: not another source of funding
            score, reasons = resolution.record_link(index, other)
            wanted[(FlagKind.OMITTED.value, key, lines[other].key)] = common | {
                "fiscal_year": record.fiscal_year,
                "score": Decimal(f"{score:.3f}"),
                "amount": record.amount_cad,
                "evidence": {
                    "funder": record.source_ministry,
                    "program": record.program,
                    "amount": _money(record.amount_cad),
                    "overlap_days": overlap,
                    "declared": declared_funders,
                    "organization_reasons": int(reasons),
                    "organization_score": round(float(score), 3),
                    "request_id": funding_request.id,
                },
            }
    return wanted


def _upsert_flags(wanted: dict[FlagKey, dict[str, Any]], summary: RunSummary) -> None:
    now = utcnow()
    existing = {(str(f.kind), f.key_a, f.key_b): f for f in db.session.scalars(select(FundingFlag))}
    seen: list[int] = []
    for key, values in wanted.items():
        summary.by_kind[key[0]] = summary.by_kind.get(key[0], 0) + 1
        flag = existing.get(key)
        if flag is None:
            db.session.add(
                FundingFlag(
                    kind=key[0],
                    key_a=key[1],
                    key_b=key[2],
                    first_seen_at=now,
                    last_seen_at=now,
                    still_found=True,
                    **values,
                )
            )
            summary.flags_new += 1
            continue
        summary.flags_found += 1
        seen.append(flag.id)
        for name, value in values.items():
            if getattr(flag, name) != value:
                setattr(flag, name, value)
    db.session.flush()
    # When it was last seen is bookkeeping, not a change a reviewer must reload the page for:
    # written without moving the flag's version.
    for start in range(0, len(seen), CHUNK):
        db.session.execute(
            update(FundingFlag)
            .where(FundingFlag.id.in_(seen[start : start + CHUNK]))
            .values(last_seen_at=now, still_found=True),
            execution_options={"synchronize_session": False},
        )
    seen_set = set(seen)
    gone = [
        f.id for key, f in existing.items() if key not in wanted and f.still_found and f.id not in seen_set
    ]
    for start in range(0, len(gone), CHUNK):
        db.session.execute(
            update(FundingFlag)
            .where(FundingFlag.id.in_(gone[start : start + CHUNK]))
            .values(still_found=False),
            execution_options={"synchronize_session": False},
        )
    summary.flags_gone = len(gone)
    db.session.expire_all()


# -- background job ----------------------------------------------------------------------------------
def start_refresh(user: Any) -> Any:
    """A matching job, `queued` (flushed, audited) in the caller's transaction: the caller commits
    (with what it changed: a decision, an import) and then hands it to Celery by name with
    `grants.core.jobs.queue_job(TASK_NAME, job)` (or `queue_refresh`)."""
    from grants.core import jobs

    return jobs.start_job(JOB_KIND, requested_by=user, total=STEPS)


def queue_refresh(user: Any) -> Any:
    """Create, commit and queue a matching job (what the cell's pages do). Answers the job (still
    `queued` when the broker could not be reached)."""
    from grants.core import jobs

    job = start_refresh(user)
    db.session.commit()
    jobs.queue_job(TASK_NAME, job)
    return job


def refresh_for_job(job_id: int) -> int | None:
    """What the Celery task runs: the run, its progress on the job, the job done with the run
    (one commit), or failed with the reason. Answers the number of flags found."""
    from grants.core import jobs

    job = jobs.job_for(job_id)
    if job is None or not jobs.claim(job):
        return None
    try:
        jobs.advance(job, 0, STEPS)
        summary = refresh_matching(lambda done, message: jobs.advance(job, done))
        jobs.finish(job)
        job.params = dict(job.params or {}) | {
            "lines": summary.lines,
            "entities": summary.entities,
            "pairs": summary.pairs,
            "flags": sum(summary.by_kind.values()),
        }
        db.session.commit()
        return sum(summary.by_kind.values())
    except Exception as error:
        jobs.fail_with(job_id, error)
        raise


def latest_job() -> Any:
    from grants.core import jobs

    recent = jobs.latest_jobs(JOB_KIND, program_id=None, limit=1)
    return recent[0] if recent else None
