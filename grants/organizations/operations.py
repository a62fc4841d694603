"""Every change to an organization: creation and profile edits, each written to the audit trail."""

from __future__ import annotations

from typing import Any

from grants.core.audit import diff, record, values_of
from grants.core.concurrency import ConcurrentChange, check_version, flush_or_refuse
from grants.core.db import db
from grants.organizations.models import Organization, OrganizationAlias, OrganizationKind
from grants.reference.models import Nation, Region


class DuplicateNEQ(ValueError):
    """Another organization already holds this NEQ."""


ConcurrentEdit = ConcurrentChange
"""The profile changed since the form was opened (the one refusal of `grants/core/concurrency.py`)."""


def snapshot(organization: Organization) -> dict[str, Any]:
    return {
        **values_of(organization, "legal_name"),
        "aliases": organization.alias_names,
        **values_of(organization, "neq", "kind", "address", "city", "postal_code", "region_code"),
        "regions_served": [r.code for r in organization.regions_served],
        "nations_served": [n.code for n in organization.nations_served],
        **values_of(organization, "communities_served", "email", "phone", "website", "preferred_language"),
    }


def _check_neq(neq: str | None, organization_id: int | None) -> None:
    if not neq:
        return
    holder = db.session.execute(db.select(Organization.id).filter_by(neq=neq)).scalar_one_or_none()
    if holder is not None and holder != organization_id:
        raise DuplicateNEQ(neq)


def _apply(organization: Organization, data: dict[str, Any]) -> None:
    simple = (
        "legal_name",
        "neq",
        "kind",
        "address",
        "city",
        "postal_code",
        "communities_served",
        "email",
        "phone",
        "website",
        "preferred_language",
    )
    for name in simple:
        if name in data:
            value = data[name]
            setattr(organization, name, value.strip() if isinstance(value, str) else value)
    if "region_code" in data:
        organization.region_code = data["region_code"] or None
    if "regions_served" in data:
        codes = list(data["regions_served"] or [])
        organization.regions_served = list(
            db.session.scalars(db.select(Region).where(Region.code.in_(codes)))
        )
    if "nations_served" in data:
        codes = list(data["nations_served"] or [])
        organization.nations_served = list(
            db.session.scalars(db.select(Nation).where(Nation.code.in_(codes)))
        )
    if "aliases" in data:
        wanted = [name.strip() for name in data["aliases"] if name.strip()]
        wanted = list(dict.fromkeys(wanted))
        if wanted != organization.alias_names:
            organization.aliases = [OrganizationAlias(name=name) for name in wanted]


def create_organization(data: dict[str, Any], *, actor: Any = None) -> Organization:
    _check_neq(data.get("neq"), None)
    organization = Organization(kind=data.get("kind", OrganizationKind.COMMUNITY), legal_name="")
    db.session.add(organization)
    _apply(organization, data)
    db.session.flush()
    record("organization.created", organization, actor=actor, changes=snapshot(organization))
    return organization


def update_organization(
    organization: Organization, data: dict[str, Any], *, expected_version: int | None, actor: Any
) -> dict[str, Any]:
    """Apply a profile edit; refuse it if someone saved the profile since the form was opened."""
    check_version(organization, expected_version)
    _check_neq(data.get("neq"), organization.id)
    before = snapshot(organization)
    _apply(organization, data)
    changes = diff(before, snapshot(organization))
    if changes:
        flush_or_refuse(organization)
        record("organization.updated", organization, actor=actor, changes=changes)
    return changes


def split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
