"""Sign-in, sign-out, password reset and invitation acceptance pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from grants.accounts.forms import InvitationAnswerForm, NewPasswordForm, ResetRequestForm, SignInForm
from grants.accounts.operations import (
    SignInOutcome,
    TokenPurpose,
    decline_invitation,
    find_invitation,
    find_token,
    join_by_invitation,
    request_password_reset,
    set_password_with_token,
    sign_in,
    sign_out,
)
from grants.core.db import db
from grants.core.i18n import SESSION_KEY
from grants.core.permissions import public
from grants.core.security import safe_next

blueprint = Blueprint("accounts", __name__, url_prefix="/compte")


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
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
        # One answer for an unknown address, a wrong password and a locked account: it says what
        # a lock is without saying whether this address has an account, or a locked one.
        error = " ".join(
            (
                _("Adresse courriel ou mot de passe incorrect."),
                _(
                    "Après %(n)s tentatives infructueuses de suite, un compte est verrouillé pendant "
                    "%(minutes)s minutes ; le lien « Mot de passe oublié » permet d'en sortir plus tôt.",
                    n=current_app.config["LOGIN_MAX_FAILURES"],
                    minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
                ),
            )
        )
    status = 200 if error is None else 401
    return render_template("accounts/login.html", form=form, error=error), status


@blueprint.post("/deconnexion")
def logout() -> Any:
    sign_out(current_user._get_current_object())
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
    """Answer an invitation to join an organization: accept or decline. An account with a password
    answers signed in as itself; one without chooses its password to accept."""
    invitation = find_invitation(token, for_answer=request.method == "POST")
    if invitation is None:
        # Links sent before invitations needed consent: they only activate the account.
        return _set_password(token, TokenPurpose.INVITATION, "accounts/activate_account.html")
    invited = invitation.user
    activating = invited.password_hash is None
    if not activating:
        if not current_user.is_authenticated:
            flash(_("Connectez-vous pour répondre à l'invitation."), "info")
            return redirect(url_for("accounts.login", next=request.path))
        if current_user.id != invited.id:
            return render_template("accounts/invitation_other_account.html"), 403
    password_form = NewPasswordForm()
    answer_form = InvitationAnswerForm()
    if request.method == "POST" and answer_form.decline.data and answer_form.validate():
        decline_invitation(invitation, actor=None if activating else current_user)
        db.session.commit()
        flash(_("Vous avez refusé l'invitation. Votre compte n'a pas été ajouté à l'organisme."), "info")
        return redirect(url_for("home.index"))
    if activating and password_form.validate_on_submit():
        join_by_invitation(invitation, actor=None, password=password_form.password.data)
        db.session.commit()
        flash(
            _("Votre mot de passe est enregistré. Vous pouvez maintenant vous connecter."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    if not activating and answer_form.accept.data and answer_form.validate():
        membership = join_by_invitation(invitation, actor=current_user)
        db.session.commit()
        flash(
            _(
                "Vous êtes maintenant membre de %(organization)s.",
                organization=invitation.organization.legal_name,
            ),
            "success",
        )
        return redirect(url_for("organizations.show", organization_id=membership.organization_id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "accounts/accept_invitation.html",
            invitation=invitation,
            activating=activating,
            password_form=password_form,
            answer_form=answer_form,
        ),
        status,
    )


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
