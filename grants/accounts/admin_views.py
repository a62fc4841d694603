"""The account pages of the administrators: the list (search, pagination, CSV) and one page per
account (ministry roles, programs, budget authority, deactivation, invitations sent again).

What used to exist only as `grants users …` commands; every change goes through
grants.accounts.operations, audited there."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from grants.accounts.forms import ConfirmForm, StaffAccessForm
from grants.accounts.models import Invitation, User
from grants.accounts.operations import (
    GLOBAL_STAFF_ROLES,
    AlreadyMember,
    LastAdministrator,
    deactivate_user,
    reactivate_user,
    resend_invitation,
    set_staff_access,
    user_invitations,
)
from grants.accounts.queries import ACCOUNTS_SORT, AccountFilters, accounts_statement, program_choices
from grants.core import permissions
from grants.core.db import db
from grants.core.i18n import current_language
from grants.core.listing import csv_response, paginate_rows
from grants.core.roles import MemberRole, StaffRole

blueprint = Blueprint("account_admin", __name__, url_prefix="/admin/comptes")

CSV_HEADER = (
    _l("Nom"),
    _l("Courriel"),
    _l("Rôles"),
    _l("Programmes"),
    _l("Actif"),
    _l("Dernière connexion"),
)


def last_admin_message() -> str:
    return _(
        "Impossible : ce compte est le dernier compte administrateur actif. Donnez d'abord le rôle "
        "d'administration du système à un autre compte actif."
    )


def role_labels(row: Any) -> list[str]:
    """The roles of a list row in words: ministry roles, then organization roles."""
    labels = [StaffRole(role).label for role in sorted(row.staff_roles or [])]
    labels += [MemberRole(role).label for role in sorted(row.member_roles or [])]
    return [str(label) for label in labels]


@blueprint.get("/")
@permissions.require(permissions.can_manage_accounts)
def index() -> Any:
    filters = AccountFilters.from_args(request.args)
    statement = ACCOUNTS_SORT.apply(accounts_statement(filters))
    if request.args.get("format") == "csv":
        return csv_response(
            "comptes.csv",
            [str(title) for title in CSV_HEADER],
            db.session.execute(statement).yield_per(1000),
            lambda r: [
                r.full_name,
                r.email,
                "; ".join(role_labels(r)),
                "; ".join(sorted(r.programs or [])),
                _("oui") if r.active else _("non"),
                r.last_login_at,
            ],
        )
    return render_template(
        "accounts/admin/index.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=ACCOUNTS_SORT.current(),
        staff_roles=list(StaffRole),
        role_labels=role_labels,
    )


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _access_form(user: User, formdata: Any = None) -> StaffAccessForm:
    english = current_language() == "en"
    programs = [
        (pid, f"{code} — {name_en if english else name_fr}")
        for pid, code, name_fr, name_en in program_choices()
    ]
    officer = [a for a in user.staff_assignments if a.role == StaffRole.PROGRAM_OFFICER and a.program_id]
    data = {
        "roles": [role.value for role in GLOBAL_STAFF_ROLES if role in user.staff_roles()],
        "programs": [a.program_id for a in officer],
        "authority": [a.program_id for a in officer if a.can_authorize],
    }
    return StaffAccessForm(formdata=formdata, data=data if formdata is None else None, programs=programs)


def _render_account(user: User, access_form: StaffAccessForm | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "accounts/admin/show.html",
            account=user,
            access_form=access_form or _access_form(user),
            confirm_form=ConfirmForm(),
            invitations=user_invitations(user),
        ),
        status,
    )


@blueprint.get("/<int:user_id>")
@permissions.require(permissions.can_manage_accounts)
def show(user_id: int) -> Any:
    return _render_account(_account(user_id))


@blueprint.post("/<int:user_id>/acces")
@permissions.require(permissions.can_manage_accounts)
def update_access(user_id: int) -> Any:
    user = _account(user_id)
    form = _access_form(user, formdata=request.form)
    if not form.validate():
        return _render_account(user, form, 400)
    try:
        changed = set_staff_access(
            user,
            roles={StaffRole(value) for value in form.roles.data or ()},
            program_ids=set(form.programs.data or ()),
            authorized_program_ids=set(form.authority.data or ()),
            actor=current_user,
        )
    except LastAdministrator:
        db.session.rollback()
        flash(last_admin_message(), "error")
        return _render_account(_account(user_id), status=409)
    db.session.commit()
    flash(
        _("Les accès du compte sont enregistrés.") if changed else _("Aucune modification à enregistrer."),
        "success" if changed else "info",
    )
    return redirect(url_for("account_admin.show", user_id=user.id))


@blueprint.post("/<int:user_id>/desactiver")
@permissions.require(permissions.can_manage_accounts)
def deactivate(user_id: int) -> Any:
    user = _account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        deactivate_user(user, actor=current_user)
    except LastAdministrator:
        db.session.rollback()
        flash(last_admin_message(), "error")
        return _render_account(_account(user_id), status=409)
    db.session.commit()
    flash(_("Le compte est désactivé ; ses sessions sont fermées."), "success")
    return redirect(url_for("account_admin.show", user_id=user.id))


@blueprint.post("/<int:user_id>/reactiver")
@permissions.require(permissions.can_manage_accounts)
def reactivate(user_id: int) -> Any:
    user = _account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reactivate_user(user, actor=current_user)
    db.session.commit()
    flash(_("Le compte est réactivé."), "success")
    return redirect(url_for("account_admin.show", user_id=user.id))


@blueprint.post("/<int:user_id>/invitations/<int:invitation_id>/renvoyer")
@permissions.require(permissions.can_manage_accounts)
def resend(user_id: int, invitation_id: int) -> Any:
    user = _account(user_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.user_id != user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        resend_invitation(invitation, actor=current_user)
    except (ValueError, AlreadyMember):
        db.session.rollback()
        flash(_("Cette invitation n'est plus en attente."), "error")
        return redirect(url_for("account_admin.show", user_id=user_id))
    db.session.commit()
    flash(_("L'invitation est envoyée de nouveau ; l'ancien lien ne fonctionne plus."), "success")
    return redirect(url_for("account_admin.show", user_id=user.id))
