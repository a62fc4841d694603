"""Sign-in, sign-out, password reset and invitation acceptance pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from grants.accounts.forms import NewPasswordForm, ResetRequestForm, SignInForm
from grants.accounts.operations import (
    SignInOutcome,
    TokenPurpose,
    find_token,
    request_password_reset,
    set_password_with_token,
    sign_in,
)
from grants.core.audit import record
from grants.core.db import db
from grants.core.formatting import date_time
from grants.core.i18n import SESSION_KEY
from grants.core.permissions import public

blueprint = Blueprint("accounts", __name__, url_prefix="/compte")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@blueprint.route("/connexion", methods=["GET", "POST"])
@public
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        result = sign_in(form.email.data, form.password.data)
        db.session.commit()
        if result.outcome is SignInOutcome.OK and result.user is not None:
            language = session.get(SESSION_KEY)
            session.clear()
            if language:
                session[SESSION_KEY] = language
            login_user(result.user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome is SignInOutcome.LOCKED:
            error = _(
                "Ce compte est verrouillé après cinq tentatives de connexion infructueuses. "
                "Vous pourrez réessayer le %(moment)s, ou choisir un nouveau mot de passe "
                "avec le lien « Mot de passe oublié ».",
                moment=date_time(result.locked_until),
            )
        else:
            error = _("Adresse courriel ou mot de passe incorrect.")
    status = 200 if error is None else 401
    return render_template("accounts/login.html", form=form, error=error), status


@blueprint.post("/deconnexion")
def logout() -> Any:
    record("user.signed_out", current_user._get_current_object(), actor=current_user)
    db.session.commit()
    language = session.get(SESSION_KEY)
    logout_user()
    session.clear()
    if language:
        session[SESSION_KEY] = language
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        # Same answer whether or not the address exists.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/forgot_password.html", form=form)


@blueprint.route("/reinitialiser/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> Any:
    return _set_password(token, TokenPurpose.RESET, "accounts/reset_password.html")


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    return _set_password(token, TokenPurpose.INVITATION, "accounts/accept_invitation.html")


def _set_password(token: str, purpose: TokenPurpose, template: str) -> Any:
    found = find_token(token, purpose)
    if found is None:
        return render_template("accounts/token_invalid.html", purpose=purpose.value), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = set_password_with_token(token, purpose, form.password.data)
        if user is None:
            abort(410)
        db.session.commit()
        flash(
            _("Votre mot de passe est enregistré. Vous pouvez maintenant vous connecter."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template(template, form=form, user=found.user)
