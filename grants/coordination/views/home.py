"""The cell's landing page: its four areas, and the counts that call for its attention."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from grants.coordination.models import ExternalFunding, FlagDecision, FundingFlag, FundingImport, ImportStatus
from grants.coordination.views import blueprint
from grants.core.db import db

# The cell's areas, in the order of its work: (endpoint, title, what it is for).
AREAS = (
    (
        "coordination.imports",
        _l("Financement des autres ministères"),
        _l(
            "Charger les fichiers CSV des autres ministères, voir les lignes refusées, "
            "retirer une importation."
        ),
    ),
    (
        "coordination.entities",
        _l("Organismes rapprochés"),
        _l("Les enregistrements qui désignent le même organisme, avec leurs raisons ; confirmer ou séparer."),
    ),
    (
        "coordination.flags",
        _l("Financements en double"),
        _l("Les cas signalés, leur explication et la décision de la cellule."),
    ),
    (
        "coordination.budget",
        _l("Budget par axe et par mesure"),
        _l(
            "Sommes engagées et versées par axe et par mesure, plancher de l'axe des personnes "
            "victimes, recommandations de la CSESM."
        ),
    ),
    (
        "coordination.cumulative_aid",
        _l("Aide cumulative par organisme"),
        _l(
            "Toute l'aide publique connue par organisme et par exercice, et le type d'états financiers "
            "qu'elle exige."
        ),
    ),
)


@blueprint.get("/")
def home() -> str:
    areas = [
        (url_for(endpoint), title, text)
        for endpoint, title, text in AREAS
        if endpoint in current_app.view_functions
    ]
    counts = {
        "imports": db.session.scalar(
            select(func.count()).select_from(FundingImport).where(FundingImport.status == ImportStatus.DONE)
        ),
        "lines": db.session.scalar(select(func.count()).select_from(ExternalFunding)),
        "open_flags": db.session.scalar(
            select(func.count())
            .select_from(FundingFlag)
            .where(FundingFlag.decision == FlagDecision.OPEN, FundingFlag.still_found.is_(True))
        ),
    }
    return render_template("coordination/home.html", areas=areas, counts=counts)
