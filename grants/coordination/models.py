"""What the coordination cell keeps: other ministries' funding, its decisions, its flags.

- `FundingImport`: one CSV file loaded (who, when, how many lines good and bad, its background
  job); `ImportLineError` keeps each bad line's number and reason (a `records.Problem` code and
  its parameters, rendered in the reader's language). An import can be withdrawn whole: its lines
  go, the import row stays with who withdrew it and when.
- `ExternalFunding`: one good line of another ministry. `(source_ministry, record_id)` is its
  stable key: re-importing the same file changes nothing. When an import changes a line another
  import loaded, the version it replaced is kept (`ExternalFundingVersion`), so withdrawing the
  later import puts the earlier version back. `organization_id` is our organization
  when the matching put the line in the same group as one of ours (it feeds cumulative aid).
- `MatchedEntity` / `EntityMember`: the groups of the last matching run: every party — an
  imported line, our organization, one of its aliases — with its group, its score and the
  reasons of its link. A group keeps its id from run to run while it descends from the same
  group (`grants.coordination.group_ids`); a group that no longer does is kept, `retired_at`
  set, with the party keys it held (`RetiredEntityParty`), so its old page can say where its
  members went.
- `EntityDecision`: the cell's word on two parties (the same organization, or not), kept on
  `PartyKey`s (normalized name, NEQ, town) so later imports and runs reuse it.
- `FundingFlag`: a case for the cell (a duplicated-funding pair, a project funded over its
  budget, a declared funding that omits a known grant), keyed by stable party keys so a new run
  finds the same flag again and its review stays; `FlagReview` is each decision on it (the last
  one counts).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import FiscalYearType, Money, UTCDateTime, db, owned_rows, owner_key, utcnow
from grants.core.enums import LabelledEnum
from grants.fiscal import FiscalYear


class ImportStatus(LabelledEnum):
    QUEUED = "queued", _l("En attente")
    RUNNING = "running", _l("En cours")
    DONE = "done", _l("Chargée")
    REFUSED = "refused", _l("Refusée")  # a file-level problem: nothing loaded
    WITHDRAWN = "withdrawn", _l("Retirée")


class FundingImport(db.Model):
    __tablename__ = "funding_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("background_jobs.id", ondelete="SET NULL"))
    status: Mapped[ImportStatus] = mapped_column(String(20), default=ImportStatus.QUEUED)
    refusal_code: Mapped[str] = mapped_column(String(40), default="")  # a records.MESSAGES code
    refusal_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lines_read: Mapped[int] = mapped_column(Integer, default=0)
    lines_loaded: Mapped[int] = mapped_column(Integer, default=0)  # new or changed
    lines_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    lines_refused: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # At the withdrawal: lines deleted, and lines put back to the version an earlier import loaded.
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)
    lines_restored: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    errors: Mapped[list[ImportLineError]] = owned_rows("funding_import", order_by="ImportLineError.line")


class ImportLineError(db.Model):
    """A bad line: its number in the file (the header is line 1) and why, as a code and parameters."""

    __tablename__ = "import_line_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = owner_key("funding_imports", index=True)
    line: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    funding_import: Mapped[FundingImport] = relationship(back_populates="errors")


class ExternalFunding(db.Model):
    """One funding line of another ministry (amount in dollars, dates inclusive)."""

    __tablename__ = "external_funding"
    __table_args__ = (
        UniqueConstraint("source_ministry", "record_id", name="uq_external_funding_source_record"),
        Index("ix_external_funding_organization_year", "organization_id", "fiscal_year"),
        Index("ix_external_funding_measure_year", "measure_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = owner_key("funding_imports", index=True)
    line: Mapped[int] = mapped_column(Integer, default=0)  # in the file that last loaded it
    record_id: Mapped[str] = mapped_column(String(120))
    source_ministry: Mapped[str] = mapped_column(String(120))
    program: Mapped[str] = mapped_column(String(255), default="")
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_neq: Mapped[str | None] = mapped_column(String(10), index=True)
    recipient_city: Mapped[str] = mapped_column(String(120), default="")
    recipient_region: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    project_title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    measure_code: Mapped[str] = mapped_column(String(20), default="")  # as written in the file
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))
    # Filled by the matching: our organization when the line's group holds one of ours.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))

    @property
    def party_key(self) -> str:
        """The stable name of this line in flags and members: `ext:<ministry>:<record_id>`."""
        return f"ext:{self.source_ministry}:{self.record_id}"


class ExternalFundingVersion(db.Model):
    """A version of a funding line that a later import replaced: the import that had loaded it
    and its values then (the columns a load writes). The newest one whose import still stands is
    what the line goes back to when the import holding it now is withdrawn; an import's own
    versions go at its withdrawal (nothing can go back to them)."""

    __tablename__ = "external_funding_versions"

    id: Mapped[int] = mapped_column(primary_key=True)  # the order the versions were replaced in
    funding_id: Mapped[int] = owner_key("external_funding", index=True)
    import_id: Mapped[int] = owner_key("funding_imports", index=True)
    line: Mapped[int] = mapped_column(Integer, default=0)
    program: Mapped[str] = mapped_column(String(255), default="")
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_neq: Mapped[str | None] = mapped_column(String(10))
    recipient_city: Mapped[str] = mapped_column(String(120), default="")
    recipient_region: Mapped[str | None] = mapped_column(String(2))
    project_title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    measure_code: Mapped[str] = mapped_column(String(20), default="")
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))


class MatchedEntity(db.Model):
    """One organization as the matching runs grouped it; its id lasts as long as the group it
    names (`group_ids.inherit`). Retired (`retired_at`): no run names it any more, it has no
    members, `former_parties` are the party keys it held then."""

    __tablename__ = "matched_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(255))  # the most frequent spelling, or our legal name
    neq: Mapped[str | None] = mapped_column(String(10))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[EntityMember]] = owned_rows("entity", order_by="EntityMember.id")
    former_parties: Mapped[list[RetiredEntityParty]] = owned_rows("entity")


class EntityMember(db.Model):
    """A party in a group: `party_key` is `ext:<ministry>:<record_id>`, `org:<id>`,
    `alias:<id>` or `req:<request id>`, one row per party, updated in place by each run (its id
    stays while the party is known); its link into the group has a score and reasons
    (`entities.Reason` bits, rendered by `entities.describe`)."""

    __tablename__ = "entity_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = owner_key("matched_entities", index=True)
    party_key: Mapped[str] = mapped_column(String(200), index=True, unique=True)
    name: Mapped[str] = mapped_column(String(255))
    neq: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str | None] = mapped_column(String(2))
    score: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("1.000"))
    reasons: Mapped[int] = mapped_column(Integer, default=0)

    entity: Mapped[MatchedEntity] = relationship(back_populates="members")


class RetiredEntityParty(db.Model):
    """A party key a retired group held when it was retired: where its members went is where
    these keys are now."""

    __tablename__ = "retired_entity_parties"

    entity_id: Mapped[int] = owner_key("matched_entities", primary_key=True)
    party_key: Mapped[str] = mapped_column(String(200), primary_key=True)

    entity: Mapped[MatchedEntity] = relationship(back_populates="former_parties")


class EntityDecision(db.Model):
    """The cell's word on two parties, on their `PartyKey` (stable across imports and runs)."""

    __tablename__ = "entity_decisions"
    __table_args__ = (
        UniqueConstraint("a_name", "a_neq", "a_city", "b_name", "b_neq", "b_city", name="uq_entity_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    a_name: Mapped[str] = mapped_column(String(255))
    a_neq: Mapped[str] = mapped_column(String(10), default="")
    a_city: Mapped[str] = mapped_column(String(120), default="")
    b_name: Mapped[str] = mapped_column(String(255))
    b_neq: Mapped[str] = mapped_column(String(10), default="")
    b_city: Mapped[str] = mapped_column(String(120), default="")
    same: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlagKind(LabelledEnum):
    DUPLICATE = "duplicate", _l("Financement en double")
    OVER_BUDGET = "over_budget", _l("Financement supérieur au budget du projet")
    OMITTED = "omitted", _l("Financement connu non déclaré")


class FlagDecision(LabelledEnum):
    """The cell's review of a flag; `OPEN` until it decides."""

    OPEN = "open", _l("À examiner")
    CONFIRMED = "confirmed", _l("Doublon confirmé")
    COMPLEMENTARY = "complementary", _l("Financement complémentaire")
    FALSE_ALARM = "false_alarm", _l("Fausse alerte")


class FundingFlag(db.Model):
    """A case for the cell, found by a matching run. `key_a`/`key_b` are party keys of funding
    lines (`ext:…` for another ministry's line, `req:<id>` for one of our requests or grants);
    `key_b` is empty for a flag on one line. A run that finds it again updates `last_seen_at`
    and `still_found`; its decision (`decision`, the last `FlagReview`) stays."""

    __tablename__ = "funding_flags"
    __table_args__ = (UniqueConstraint("kind", "key_a", "key_b", name="uq_funding_flag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FlagKind] = mapped_column(String(20))
    key_a: Mapped[str] = mapped_column(String(200))
    key_b: Mapped[str] = mapped_column(String(200), default="")
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("funding_requests.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    entity_label: Mapped[str] = mapped_column(String(255), default="")
    fiscal_year: Mapped[FiscalYear | None] = mapped_column(FiscalYearType)
    score: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.000"))
    # What a person checks, as data rendered in the reader's language: e.g. {"organization_reasons":
    # 3, "organization_score": 0.93, "overlap_days": 274, "purpose": 0.82} for a duplicate.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amount: Mapped[Decimal | None] = mapped_column(Money)  # over budget: by how much
    decision: Mapped[FlagDecision] = mapped_column(String(20), default=FlagDecision.OPEN)
    still_found: Mapped[bool] = mapped_column(default=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    reviews: Mapped[list[FlagReview]] = owned_rows("flag", order_by="FlagReview.id")


class FlagReview(db.Model):
    __tablename__ = "flag_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = owner_key("funding_flags", index=True)
    decision: Mapped[FlagDecision] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    flag: Mapped[FundingFlag] = relationship(back_populates="reviews")


class CoordinationSettings(db.Model):
    """The cell's settings (one row): the floor of the victims' axis share (brief, rec. 6)."""

    __tablename__ = "coordination_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    victims_floor_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
