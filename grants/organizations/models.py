"""An organization's identity: legal name, aliases, NEQ, address, region, nations served."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.accounts.models import Invitation, Membership
from grants.core import formatting
from grants.core.db import UTCDateTime, db, utcnow
from grants.core.enums import LabelledEnum
from grants.reference.models import Nation, Region


class OrganizationKind(LabelledEnum):
    COMMUNITY = "community", _l("Organisme communautaire")
    CONCERTATION_TABLE = "concertation_table", _l("Table de concertation")
    TABLE_FIDUCIARY = "table_fiduciary", _l("Fiduciaire d'une table de concertation")
    INDIGENOUS = "indigenous", _l("Organisme autochtone")
    BAND_COUNCIL = "band_council", _l("Conseil de bande")
    RESEARCH = "research", _l("Organisme de recherche")
    OTHER = "other", _l("Autre")


organization_regions_served = Table(
    "organization_regions_served",
    db.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("regions.code"), primary_key=True),
)

organization_nations_served = Table(
    "organization_nations_served",
    db.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("nation_code", ForeignKey("nations.code"), primary_key=True),
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(255), index=True)
    neq: Mapped[str | None] = mapped_column(String(10), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(String(40), default=OrganizationKind.COMMUNITY)
    address: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    communities_served: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    # The language of the documents the ministry sends it that are not signed legal text (the
    # acknowledgement of receipt, the indexation notice): "fr" or "en". Agreements stay French.
    preferred_language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    region: Mapped[Region | None] = relationship()
    regions_served: Mapped[list[Region]] = relationship(
        secondary=organization_regions_served, order_by=Region.code
    )
    nations_served: Mapped[list[Nation]] = relationship(
        secondary=organization_nations_served, order_by=Nation.code
    )
    aliases: Mapped[list[OrganizationAlias]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="OrganizationAlias.name",
    )
    # Its members and invitations, declared on this side with their way back
    # (`Membership.organization`, `Invitation.organization`): user accounts sit below
    # organizations and never import them.
    memberships: Mapped[list[Membership]] = relationship(
        backref="organization", order_by=Membership.id, passive_deletes=True
    )
    invitations: Mapped[list[Invitation]] = relationship(
        backref="organization", order_by=Invitation.id, passive_deletes=True
    )

    @property
    def organization_id(self) -> int:
        """An organization belongs to itself: lets the audit trail and permissions treat it alike."""
        return self.id

    @property
    def postal_address(self) -> str:
        """Street, city and postal code as written on pages and agreements ("" when none)."""
        return formatting.postal_address(self.address, self.city, self.postal_code)

    @property
    def kind_label(self) -> str:
        return OrganizationKind(self.kind).label

    @property
    def alias_names(self) -> list[str]:
        return [alias.name for alias in self.aliases]

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.legal_name!r}>"


class OrganizationAlias(db.Model):
    """Another name the organization is known by (acronym, former name, operating name)."""

    __tablename__ = "organization_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))

    organization: Mapped[Organization] = relationship(back_populates="aliases")
