"""Organization pages: directory (staff), profile, profile edit, members and invitations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from grants.accounts.forms import InvitationForm
from grants.accounts.models import Membership
from grants.accounts.operations import AlreadyMember, invite_member, pending_invitations
from grants.core import permissions
from grants.core.db import db
from grants.core.inputs import whole_number
from grants.core.roles import MemberRole
from grants.organizations.forms import OrganizationForm
from grants.organizations.models import Organization, OrganizationAlias
from grants.organizations.operations import (
    ConcurrentEdit,
    DuplicateNEQ,
    snapshot,
    split_lines,
    update_organization,
)
from grants.reference.models import Nation, Region

blueprint = Blueprint("organizations", __name__, url_prefix="/organismes")
PAGE_SIZE = 50


def _load(organization_id: int, *, rule: Any = permissions.can_read_organization) -> Organization:
    """The one place an organization is loaded for a page: 404 unless the rule allows it."""
    organization = db.session.get(Organization, organization_id)
    permissions.ensure(organization is not None and rule(current_user, organization_id))
    return organization  # type: ignore[return-value]


@blueprint.get("/")
@permissions.require_staff()
def index() -> Any:
    query_text = (request.args.get("q") or "").strip()
    region = request.args.get("region") or ""
    statement = (
        db.select(Organization)
        .options(selectinload(Organization.region), selectinload(Organization.aliases))
        .order_by(func.lower(Organization.legal_name))
    )
    if query_text:
        pattern = f"%{query_text.lower()}%"
        alias_match = db.select(OrganizationAlias.organization_id).where(
            func.lower(OrganizationAlias.name).like(pattern)
        )
        statement = statement.where(
            or_(
                func.lower(Organization.legal_name).like(pattern),
                Organization.neq == query_text.replace(" ", ""),
                Organization.id.in_(alias_match),
            )
        )
    if region:
        statement = statement.where(Organization.region_code == region)
    page = db.paginate(statement, per_page=PAGE_SIZE, error_out=False)
    regions = db.session.scalars(db.select(Region).order_by(Region.code)).all()
    return render_template(
        "organizations/index.html", page=page, query_text=query_text, region=region, regions=regions
    )


@blueprint.get("/<int:organization_id>")
def show(organization_id: int) -> Any:
    organization = _load(organization_id)
    members = db.session.scalars(
        db.select(Membership).filter_by(organization_id=organization.id).order_by(Membership.id)
    ).all()
    can_manage_members = permissions.can_manage_members(current_user, organization.id)
    return render_template(
        "organizations/show.html",
        organization=organization,
        members=members,
        invitations=pending_invitations(organization.id) if can_manage_members else [],
        can_edit=permissions.can_edit_organization(current_user, organization.id),
        can_manage_members=can_manage_members,
    )


def _profile_form(organization: Organization, formdata: Any = None) -> OrganizationForm:
    regions = db.session.scalars(db.select(Region).order_by(Region.code)).all()
    nations = db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all()
    form = OrganizationForm(formdata=formdata, regions=regions, nations=nations)
    if formdata is None:
        data = snapshot(organization)
        form.legal_name.data = data["legal_name"]
        form.aliases.data = "\n".join(data["aliases"])
        form.neq.data = data["neq"] or ""
        form.kind.data = data["kind"]
        form.address.data = data["address"]
        form.city.data = data["city"]
        form.postal_code.data = data["postal_code"]
        form.region_code.data = data["region_code"] or ""
        form.regions_served.data = data["regions_served"]
        form.nations_served.data = data["nations_served"]
        form.communities_served.data = data["communities_served"]
        form.email.data = data["email"]
        form.phone.data = data["phone"]
        form.website.data = data["website"]
        form.preferred_language.data = data["preferred_language"]
        form.version.data = str(organization.version)
    return form


@blueprint.route("/<int:organization_id>/modifier", methods=["GET", "POST"])
def edit(organization_id: int) -> Any:
    organization = _load(organization_id, rule=permissions.can_edit_organization)
    form = _profile_form(organization, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        data = {
            "legal_name": form.legal_name.data,
            "aliases": split_lines(form.aliases.data),
            "neq": form.neq.data or None,
            "kind": form.kind.data,
            "address": form.address.data or "",
            "city": form.city.data or "",
            "postal_code": form.postal_code.data or "",
            "region_code": form.region_code.data or None,
            "regions_served": form.regions_served.data,
            "nations_served": form.nations_served.data,
            "communities_served": form.communities_served.data or "",
            "email": form.email.data or "",
            "phone": form.phone.data or "",
            "website": form.website.data or "",
            "preferred_language": form.preferred_language.data,
        }
        version = whole_number(form.version.data)
        try:
            changes = update_organization(organization, data, expected_version=version, actor=current_user)
            db.session.commit()
        except DuplicateNEQ:
            db.session.rollback()
            form.neq.errors = [_("Ce NEQ est déjà inscrit pour un autre organisme.")]
        except ConcurrentEdit:
            db.session.rollback()
            flash(
                _(
                    "Quelqu'un d'autre a enregistré ce profil pendant que vous le modifiiez. "
                    "Vos modifications sont toujours dans le formulaire ci-dessous : vérifiez la "
                    "version enregistrée (ouvrez le profil dans un autre onglet) puis enregistrez "
                    "de nouveau."
                ),
                "error",
            )
            fresh = db.session.get(Organization, organization_id)
            form.version.data = str(fresh.version if fresh else "")
        else:
            if changes:
                flash(_("Le profil de l'organisme est enregistré."), "success")
            else:
                flash(_("Aucune modification à enregistrer."), "info")
            return redirect(url_for("organizations.show", organization_id=organization.id))
    status = 422 if request.method == "POST" else 200
    return render_template("organizations/edit.html", organization=organization, form=form), status


@blueprint.route("/<int:organization_id>/membres/inviter", methods=["GET", "POST"])
def invite(organization_id: int) -> Any:
    organization = _load(organization_id, rule=permissions.can_manage_members)
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            invite_member(
                organization.id,
                organization.legal_name,
                form.email.data,
                MemberRole(form.role.data),
                full_name=form.full_name.data or "",
                language=form.language.data,
                actor=current_user,
            )
        except AlreadyMember:
            db.session.rollback()
            form.email.errors = [_("Cette personne est déjà membre de l'organisme.")]
        else:
            db.session.commit()
            flash(
                _(
                    "L'invitation a été envoyée à %(email)s. La personne deviendra membre "
                    "quand elle l'aura acceptée.",
                    email=form.email.data,
                ),
                "success",
            )
            return redirect(url_for("organizations.show", organization_id=organization.id))
    status = 422 if request.method == "POST" else 200
    return render_template("organizations/invite.html", organization=organization, form=form), status
