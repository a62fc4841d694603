"""Payment forms: an action on one installment (hold reason, payment date and reference)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from grants.core.inputs import DateField


class InstallmentActionForm(FlaskForm):
    version = HiddenField()
    event = HiddenField()
    reason = TextAreaField(_l("Motif de la retenue"), validators=[Optional(), Length(max=2000)])
    paid_on = DateField(_l("Date du versement"), validators=[Optional()])
    payment_reference = StringField(_l("Référence du paiement"), validators=[Optional(), Length(max=80)])
