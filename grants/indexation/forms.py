"""Indexation forms: the preview request, the steps of a run, a program's rule and fixed rates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from grants.core.fields import VersionField
from grants.cpi.rates import RateMethod
from grants.indexation.models import Rounding

FISCAL_YEAR = Regexp(r"^\d{4}-\d{4}$", message=_l("Écrivez l'exercice ainsi : 2027-2028."))


class CreateRunForm(FlaskForm):
    """Freeze the preview on the page as a run (the program and year it shows, as hidden fields)."""

    program = HiddenField(validators=[DataRequired()])
    fiscal_year = HiddenField(validators=[DataRequired(), FISCAL_YEAR])


class RunStepForm(FlaskForm):
    version = VersionField()
    reason = TextAreaField(_l("Raison de l'annulation"), validators=[Optional(), Length(max=2000)])


class RuleForm(FlaskForm):
    method = SelectField(
        _l("Méthode"), choices=[(m.value, label) for m, label in RateMethod.labels().items()]
    )
    series_id = SelectField(_l("Série de l'IPC"), coerce=int)
    reference_month = IntegerField(
        _l("Mois de référence (1 à 12)"),
        validators=[Optional(), NumberRange(1, 12, _l("Un mois de 1 à 12."))],
        description=_l("Pour les variations sur 12 mois : le dernier mois de ce nom avant le 1er avril."),
    )
    rounding = SelectField(
        _l("Arrondi des montants"), choices=[(r.value, label) for r, label in Rounding.labels().items()]
    )
    floor_at_zero = BooleanField(_l("Une variation négative est ramenée à 0"))
    decimals = IntegerField(
        _l("Décimales du taux (en %)"), default=1, validators=[NumberRange(1, 4, _l("De 1 à 4 décimales."))]
    )


class FixedRateForm(FlaskForm):
    fiscal_year = StringField(_l("Exercice"), validators=[DataRequired(), FISCAL_YEAR])
    percent = StringField(_l("Taux (%)"), validators=[DataRequired(_l("Indiquez le taux."))])
    source = StringField(_l("Décision ou source"), validators=[DataRequired(), Length(max=500)])
