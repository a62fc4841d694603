"""The CPI page's forms: import a StatCan CSV, and enter or correct one month by hand."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class ImportForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV de Statistique Canada (tableau 18-10-0004-01)"),
        validators=[FileRequired(_l("Choisissez un fichier CSV."))],
        description=_l(
            "Téléchargement « pour chargement dans une base de données » (anglais ou français) "
            "ou « tel qu'affiché » (anglais)."
        ),
    )
    geography = StringField(_l("Géographie"), default="Quebec", validators=[DataRequired(), Length(max=120)])
    product = StringField(_l("Produit"), default="All-items", validators=[DataRequired(), Length(max=160)])


class MonthForm(FlaskForm):
    month = StringField(
        _l("Mois (AAAA-MM)"),
        validators=[
            DataRequired(_l("Indiquez le mois.")),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Écrivez le mois ainsi : 2026-09.")),
        ],
    )
    value = StringField(_l("Indice (2002=100)"), validators=[DataRequired(_l("Indiquez la valeur."))])
    reason = TextAreaField(
        _l("Source ou raison"),
        validators=[DataRequired(_l("Indiquez la source ou la raison de la saisie.")), Length(max=200)],
        description=_l("Par exemple : Le Quotidien du 21 octobre 2026, tableau 2."),
    )
