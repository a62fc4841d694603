"""A call (appel de projets) or a continuous intake: who may apply to a program, when, for how much."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.audit import values_of
from grants.core.clock import now
from grants.core.db import Money, UTCDateTime, db, link_table
from grants.core.i18n_fields import Bilingual
from grants.programs.models import Program
from grants.reference.models import Nation, Region

call_regions = link_table("call_regions", ("call_id", "calls.id"), ("region_code", "regions.code"))
call_nations = link_table("call_nations", ("call_id", "calls.id"), ("nation_code", "nations.code"))


class Call(Bilingual, db.Model, title=True):
    """Open from `opens_at` to `closes_at` (stored in UTC, entered and shown in Quebec time).

    A continuous intake (mission funding, concertation tables) has no closing moment. Empty
    eligibility lists mean "no restriction" on that dimension.
    """

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    title_fr: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    continuous: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    annual_max: Mapped[Decimal | None] = mapped_column(Money)
    years_max: Mapped[int] = mapped_column(default=1)
    eligible_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    program: Mapped[Program] = relationship()
    eligible_regions: Mapped[list[Region]] = relationship(secondary=call_regions, order_by=Region.code)
    eligible_nations: Mapped[list[Nation]] = relationship(secondary=call_nations, order_by=Nation.code)

    @property
    def organization_id(self) -> None:
        return None

    @property
    def description(self) -> str:
        return self._in_language("description")

    def is_open(self, moment: datetime | None = None) -> bool:
        moment = moment or now()
        if moment < self.opens_at:
            return False
        return self.continuous or self.closes_at is None or moment <= self.closes_at

    def effective_annual_max(self) -> Decimal | None:
        return self.annual_max if self.annual_max is not None else self.program.annual_max

    def snapshot(self) -> dict[str, Any]:
        return {
            **values_of(self, "title_fr", "continuous", "opens_at", "closes_at", "annual_max", "years_max"),
            "eligible_kinds": list(self.eligible_kinds or []),
            "eligible_regions": [r.code for r in self.eligible_regions],
            "eligible_nations": [n.code for n in self.eligible_nations],
        }
