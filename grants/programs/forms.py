"""The envelope form: an amount for one fiscal year."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from grants.core.fields import MoneyField
from grants.fiscal import FiscalYear


class EnvelopeForm(FlaskForm):
    fiscal_year = StringField(
        _l("Exercice financier"),
        description=_l("Les deux années au complet, par exemple 2026-2027."),
        validators=[InputRequired(message=_l("Entrez l'exercice financier, par exemple 2026-2027."))],
    )
    amount = MoneyField(
        _l("Montant de l'enveloppe ($)"),
        validators=[
            InputRequired(message=_l("Entrez un montant, par exemple 1250000,00.")),
            NumberRange(min=0, max=999_999_999_999, message=_l("Le montant doit être positif.")),
        ],
    )
    submit = SubmitField(_l("Enregistrer l'enveloppe"))

    def validate_fiscal_year(self, field: StringField) -> None:
        try:
            FiscalYear.parse(field.data or "")
        except ValueError as error:
            raise ValidationError(
                _l("Écrivez l'exercice avec ses deux années au complet, par exemple 2026-2027.")
            ) from error
