"""The cell's pages: imports of other ministries' funding (the list and the upload form, one
import's progress, counts, bad lines and withdrawal) and the list of all their funding lines."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from grants.coordination import imports
from grants.coordination.forms import ImportUploadForm, WithdrawForm
from grants.coordination.funding_lists import (
    FUNDING_SORT,
    IMPORT_SORT,
    FundingFilters,
    errors_statement,
    fiscal_years,
    funding_statement,
    imports_statement,
    ministries,
)
from grants.coordination.models import ExternalFunding, FundingImport, ImportStatus
from grants.coordination.records import Problem
from grants.coordination.views import blueprint
from grants.core import jobs, permissions
from grants.core.db import db
from grants.core.i18n import current_language
from grants.core.listing import csv_response, paginate_rows
from grants.reference.models import Region

# Over the limit by this much, a body is still read (so the page can name the limit); beyond,
# werkzeug stops it (413) and `_too_large` answers with the same page.
UPLOAD_MARGIN = 1024 * 1024

IMPORT_CSV = (
    _l("Numéro"),
    _l("Fichier"),
    _l("Déposé par"),
    _l("Déposé le"),
    _l("État"),
    _l("Lignes lues"),
    _l("Lignes chargées"),
    _l("Lignes inchangées"),
    _l("Lignes refusées"),
)
ERROR_CSV = (_l("Ligne"), _l("Code"), _l("Raison"))
FUNDING_CSV = (
    _l("Importation"),
    _l("Ligne"),
    "record_id",
    "source_ministry",
    "program",
    "recipient_name",
    "recipient_neq",
    "recipient_city",
    "recipient_region",
    "project_title",
    "amount_cad",
    "start_date",
    "end_date",
    "fiscal_year",
    "measure",
)


@blueprint.url_value_preprocessor
def _accept_import_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The upload may exceed MAX_CONTENT_LENGTH up to the import limit (and a margin, so a file just
    over it is refused by name); runs before CSRF protection reads the form."""
    if endpoint == "coordination.imports" and request.method == "POST":
        request.max_content_length = imports.upload_limit() + UPLOAD_MARGIN


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """A body too large to read at all: the imports page again, naming the limit (not a bare 413)."""
    form = ImportUploadForm(formdata=None)
    form.file.errors = [
        _(
            "Le fichier envoyé dépasse la limite de %(limit)s : découpez-le en plusieurs fichiers.",
            limit=imports.size_text(imports.upload_limit()),
        )
    ]
    return _render_imports(form, status=413)


def _load_import(import_id: int) -> FundingImport:
    return permissions.found(db.session.get(FundingImport, import_id))


def _language() -> str:
    return current_language()


def problem_text(code: str, params: dict[str, Any] | None) -> str:
    return imports.message(Problem(code, dict(params or {})), _language())


@blueprint.app_template_filter("import_status_label")
def _import_status_label(value: str) -> str:
    return str(ImportStatus(value).label)


def _render_imports(form: ImportUploadForm, *, status: int = 200) -> Any:
    statement = IMPORT_SORT.apply(imports_statement())
    return render_template(
        "coordination/imports/index.html",
        form=form,
        page=paginate_rows(statement),
        sort=IMPORT_SORT.current(),
        limit=imports.size_text(imports.upload_limit()),
    ), status


@blueprint.route("/importations/", methods=["GET", "POST"], endpoint="imports")
def imports_page() -> Any:
    if request.method == "GET" and request.args.get("format") == "csv":
        return _imports_csv()
    form = ImportUploadForm()
    if request.method == "GET":
        return _render_imports(form)
    if not form.validate_on_submit():
        return _render_imports(form, status=422)
    try:
        funding_import = imports.start_import(form.file.data, current_user)
        db.session.commit()
    except imports.ImportRefused as refused:
        db.session.rollback()
        form.file.errors = [_("Fichier refusé, rien n'a été importé. %(reason)s", reason=refused.message)]
        return _render_imports(form, status=422)
    if imports.queue_import(funding_import):
        flash(_("Le fichier est reçu ; son chargement est en cours."), "success")
    else:
        flash(_("Le fichier est reçu ; il attend que le service de traitement soit disponible."), "error")
    return redirect(url_for("coordination.import_detail", import_id=funding_import.id), 303)


def _imports_csv() -> Any:
    statement = IMPORT_SORT.apply(imports_statement())
    return csv_response(
        "importations.csv",
        [str(title) for title in IMPORT_CSV],
        db.session.execute(statement).yield_per(1000),
        lambda r: [
            r.id,
            r.file_name,
            r.uploaded_by,
            r.uploaded_at,
            ImportStatus(r.status).label,
            r.lines_read,
            r.lines_loaded,
            r.lines_unchanged,
            r.lines_refused,
        ],
    )


@blueprint.get("/importations/<int:import_id>")
def import_detail(import_id: int) -> Any:
    funding_import = _load_import(import_id)
    if request.args.get("format") == "csv":
        return _errors_csv(funding_import)
    job = jobs.job_for(funding_import.job_id) if funding_import.job_id else None
    running = ImportStatus(funding_import.status) in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    refusal = imports.refusal_of(funding_import)
    lines = db.session.execute(
        funding_statement(FundingFilters(import_id=str(funding_import.id)))
        .order_by(ExternalFunding.line)
        .limit(PREVIEW_LINES)
    ).all()
    return render_template(
        "coordination/imports/detail.html",
        funding_import=funding_import,
        job=job,
        running=running,
        refresh=running and job is not None and job.is_active,
        refusal=imports.message(refusal, _language()) if refusal else None,
        errors=paginate_rows(errors_statement(funding_import.id)),
        problem_text=problem_text,
        lines=lines,
        line_count=imports.line_count(funding_import),
        uploaded_by=_user_name(funding_import.uploaded_by_id),
        withdrawn_by=_user_name(funding_import.withdrawn_by_id),
        withdraw_form=WithdrawForm(),
        preview=PREVIEW_LINES,
    )


PREVIEW_LINES = 20


def _user_name(user_id: int | None) -> str:
    if user_id is None:
        return ""
    from grants.accounts.models import User

    user = db.session.get(User, user_id)
    return user.display_name if user is not None else ""


def _errors_csv(funding_import: FundingImport) -> Any:
    return csv_response(
        f"importation-{funding_import.id}-lignes-refusees.csv",
        [str(title) for title in ERROR_CSV],
        db.session.execute(errors_statement(funding_import.id)).yield_per(1000),
        lambda r: [r.line, r.code, problem_text(r.code, r.params)],
    )


@blueprint.post("/importations/<int:import_id>/retrait")
def withdraw(import_id: int) -> Any:
    funding_import = _load_import(import_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        reasons = " ".join(str(error) for error in form.confirm.errors)
        flash(reasons or _("Le formulaire a expiré. Envoyez-le de nouveau."), "error")
        return redirect(url_for("coordination.import_detail", import_id=import_id), 303)
    try:
        removed, restored = imports.withdraw_import(funding_import, current_user)
        db.session.commit()
    except imports.ImportRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(url_for("coordination.import_detail", import_id=import_id), 303)
    imports.refresh_matching(current_user)
    flash(ngettext_lines(removed, restored), "success")
    return redirect(url_for("coordination.import_detail", import_id=import_id), 303)


def ngettext_lines(removed: int, restored: int) -> str:
    from flask_babel import ngettext

    text = ngettext(
        "Importation retirée : %(num)s ligne supprimée.",
        "Importation retirée : %(num)s lignes supprimées.",
        removed,
    )
    if restored:
        text += " " + ngettext(
            "%(num)s ligne remise dans sa version précédente.",
            "%(num)s lignes remises dans leur version précédente.",
            restored,
        )
    return text


@blueprint.get("/financements/")
def funding() -> Any:
    filters = FundingFilters.from_args(request.args)
    statement = FUNDING_SORT.apply(funding_statement(filters)).order_by(ExternalFunding.id)
    if request.args.get("format") == "csv":
        return csv_response(
            "financements-autres-ministeres.csv",
            [str(title) for title in FUNDING_CSV],
            db.session.execute(statement).yield_per(1000),
            lambda r: [
                r.import_id,
                r.line,
                r.record_id,
                r.source_ministry,
                r.program,
                r.recipient_name,
                r.recipient_neq,
                r.recipient_city,
                r.recipient_region,
                r.project_title,
                r.amount,
                r.start_date,
                r.end_date,
                r.fiscal_year,
                r.measure_code,
            ],
        )
    funding_import = None
    if filters.import_number() is not None:
        funding_import = db.session.get(FundingImport, filters.import_number())
    return render_template(
        "coordination/imports/funding.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=FUNDING_SORT.current(),
        ministries=ministries(),
        years=fiscal_years(),
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        funding_import=funding_import,
        language=_language(),
    )
