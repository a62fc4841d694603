"""Reference data as tables, so several action plans live side by side and programs point at them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import Money, db
from grants.core.i18n_fields import Bilingual


class Region(Bilingual, db.Model):
    """One of the 17 administrative regions, by its official number (never the RSS number)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


class Nation(Bilingual, db.Model):
    """A First Nation or the Inuit: a dimension of its own, outside the 17-region map."""

    __tablename__ = "nations"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class Ministry(Bilingual, db.Model):
    """A ministry or public body that leads or funds measures and programs."""

    __tablename__ = "ministries"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))


measure_recommendations = Table(
    "measure_recommendations",
    db.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "recommendation_number",
        ForeignKey("recommendations.number", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class ActionPlan(Bilingual, db.Model, title=True):
    """A government action plan against sexual exploitation (2021-2026, 2026-2029, ...)."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title_fr: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255))
    start_year: Mapped[int]
    end_year: Mapped[int]
    total_budget: Mapped[Decimal | None] = mapped_column(Money)
    source: Mapped[str | None] = mapped_column(Text)

    axes: Mapped[list[PlanAxis]] = relationship(
        back_populates="plan", order_by="PlanAxis.sort_order", cascade="all, delete-orphan"
    )
    measures: Mapped[list[Measure]] = relationship(
        back_populates="plan", order_by="Measure.sort_order", cascade="all, delete-orphan"
    )

    @property
    def victims_axis(self) -> PlanAxis | None:
        return next((axis for axis in self.axes if axis.victims_axis), None)


class PlanAxis(Bilingual, db.Model, title=True):
    """An axis of a plan; `victims_axis` marks the one the 20 % floor of the brief applies to."""

    __tablename__ = "plan_axes"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    number: Mapped[int | None]
    title_fr: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255))
    victims_axis: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    budget_share_percent: Mapped[Decimal | None] = mapped_column(Money)
    budget_amount: Mapped[Decimal | None] = mapped_column(Money)

    plan: Mapped[ActionPlan] = relationship(back_populates="axes")
    measures: Mapped[list[Measure]] = relationship(back_populates="axis", order_by="Measure.sort_order")


class Recommendation(db.Model):
    """One of the 58 recommendations of the special commission (CSESM, 2020)."""

    __tablename__ = "recommendations"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)

    measures: Mapped[list[Measure]] = relationship(
        secondary=measure_recommendations,
        back_populates="recommendations",
        order_by="Measure.sort_order",
    )

    @property
    def summary(self) -> str:
        first = self.text_fr.split("\n", 1)[0]
        return first if len(first) <= 180 else first[:177].rsplit(" ", 1)[0] + "…"


class Measure(db.Model):
    """A measure of a plan (1-31, A1-A5 in 2026-2029), with what Annex 4 says of it."""

    __tablename__ = "measures"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    axis_id: Mapped[int] = mapped_column(ForeignKey("plan_axes.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(8))
    sort_order: Mapped[int] = mapped_column(default=0)
    title_fr: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(String(255), default="")
    collaborators: Mapped[str] = mapped_column(Text, default="")
    indigenous_adaptation: Mapped[bool] = mapped_column(default=False)
    indigenous_accessibility: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[ActionPlan] = relationship(back_populates="measures")
    axis: Mapped[PlanAxis] = relationship(back_populates="measures")
    recommendations: Mapped[list[Recommendation]] = relationship(
        secondary=measure_recommendations,
        back_populates="measures",
        order_by="Recommendation.number",
    )

    @property
    def leads(self) -> list[str]:
        return [part for part in self.lead.split(";") if part]

    @property
    def collaborator_list(self) -> list[str]:
        return [part for part in self.collaborators.split(";") if part]

    @property
    def title(self) -> str:
        from grants.core.i18n import current_language

        if current_language() == "en" and self.title_en:
            return self.title_en
        return self.title_fr

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"
