"""Cross-cutting pages: health check, language switch, error pages."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from grants.core import expired_forms
from grants.core.db import db
from grants.core.i18n import SESSION_KEY, with_language
from grants.core.permissions import public
from grants.core.security import safe_next

blueprint = Blueprint("core", __name__)


@blueprint.get("/healthz")
@public
def healthz() -> tuple[dict[str, Any], int]:
    """Answer 200 when the database and the Celery broker both answer, 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    finally:
        db.session.rollback()
    try:
        celery = current_app.extensions["celery"]
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "error", "checks": checks}, 200 if healthy else 503


@blueprint.post("/language")
@public
def switch_language() -> Any:
    """Switch between French and English; remembered in the session and, signed in, the profile.

    Goes back to the page the person was reading: the form's `next`, else the referring page,
    when it is a page of this site that answers GET (a page shown after a form POST may not);
    the home page otherwise."""
    language = request.form.get("language", "fr")
    if language not in current_app.config["LANGUAGES"]:
        language = "fr"
    session[SESSION_KEY] = language
    if current_user.is_authenticated:
        current_user.preferred_language = language
        db.session.commit()
    for candidate in (request.form.get("next"), _referrer_path()):
        target = safe_next(candidate)
        if target is not None and _answers_get(target):
            return redirect(with_language(target, None))  # a link's `lang=` would undo the switch
    return redirect(url_for("home.index"))


def _referrer_path() -> str | None:
    """The path and query of the referring page, when it is a page of this site."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _answers_get(target: str) -> bool:
    """Whether a GET of this path reaches a page (a POST-only address would answer 405)."""
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root or "/")
    try:
        adapter.match(unquote(urlsplit(target).path), method="GET")
    except RequestRedirect:
        return True  # e.g. a missing trailing slash: the redirect lands on a page
    except HTTPException:
        return False
    return True


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return {"error": error.name, "status": error.code}, error.code
    titles = {
        400: _("Requête invalide"),
        403: _("Accès refusé"),
        404: _("Page introuvable"),
        405: _("Méthode non permise"),
        413: _("Fichier trop volumineux"),
    }
    if isinstance(error, CSRFError):
        current_app.logger.warning("CSRF refused: %s", error.description)
        # The form comes back with what was typed, a fresh token and why (grants/core/expired_forms).
        again = expired_forms.answer()
        if again is not None:
            return again
        return (
            render_template(
                "errors/error.html",
                code=400,
                title=_("Formulaire expiré"),
                message=_(
                    "Ce formulaire a expiré ou n'a pas été reconnu. Revenez à la page précédente, "
                    "rechargez-la et envoyez-le de nouveau."
                ),
            ),
            400,
        )
    messages = {
        400: _("La requête n'a pas pu être traitée. Revenez à la page précédente et réessayez."),
        403: _("Votre rôle ne donne pas accès à cette page."),
        404: _("Cette page n'existe pas ou vous n'y avez pas accès."),
        413: _("Le fichier envoyé dépasse la taille permise."),
    }
    return (
        render_template(
            "errors/error.html",
            code=error.code,
            title=titles.get(error.code or 500, _("Erreur")),
            message=messages.get(error.code or 500, _("Une erreur est survenue.")),
        ),
        error.code,
    )


@blueprint.app_errorhandler(DataError)
@blueprint.app_errorhandler(OverflowError)
@blueprint.app_errorhandler(InvalidOperation)
def bad_input(error: Exception) -> Any:
    """The net under the input checks: a value the database or the arithmetic refused (a number
    too large, a date out of range) answers 400 with a page, not 500. Each time is a check
    missing where the value was read: it is logged as an error, and the suite's walk over every
    route fails on it (tests/test_bad_input.py)."""
    db.session.rollback()
    current_app.logger.error(
        "bad input reached %s on %s %s: %s", type(error).__name__, request.method, request.path, error
    )
    return (
        render_template(
            "errors/error.html",
            code=400,
            title=_("Requête invalide"),
            message=_(
                "Une valeur envoyée ne peut pas être traitée (un nombre trop grand ou une date hors "
                "limites, par exemple). Revenez à la page précédente, corrigez-la et réessayez."
            ),
        ),
        400,
    )


@blueprint.get("/taches/<int:job_id>")
def job_status(job_id: int) -> Any:
    """A background job's progress as JSON, for the page that polls it (404 unless allowed)."""
    from grants.core import permissions
    from grants.core.jobs import job_for

    job = job_for(job_id)
    permissions.ensure(job is not None and permissions.can_read_job(current_user, job))
    response = jsonify(job.as_json())  # type: ignore[union-attr]
    response.headers["Cache-Control"] = "no-store"
    return response
