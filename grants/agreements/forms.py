"""Agreement forms: acceptance by the signatory (in the app or by upload), amendment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from grants.core.inputs import DateField


class AcceptForm(FlaskForm):
    version = HiddenField()
    signatory_name = StringField(
        _l("Nom de la personne autorisée à signer"),
        validators=[InputRequired(message=_l("Entrez le nom de la personne qui signe.")), Length(max=255)],
    )
    signatory_title = StringField(
        _l("Fonction"),
        validators=[
            InputRequired(message=_l("Entrez sa fonction, par exemple directrice générale.")),
            Length(max=255),
        ],
    )
    agree = BooleanField(
        _l("J'accepte la convention au nom de l'organisme et je suis autorisé·e à le faire.")
    )
    signed_file = FileField(_l("Ou déposez la convention signée (PDF)"))


class AmendmentForm(FlaskForm):
    """The amounts per fiscal year are grid cells named amount-<year>, parsed in the view."""

    version = HiddenField()
    end_date = DateField(
        _l("Nouvelle date de fin"), validators=[InputRequired(message=_l("Entrez la date de fin."))]
    )
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=10000)])
    reason = TextAreaField(
        _l("Objet de l'avenant"),
        validators=[InputRequired(message=_l("Expliquez l'objet de l'avenant.")), Length(max=5000)],
    )
    override_reason = TextAreaField(
        _l("Motif de dépassement de l'enveloppe (autorisation budgétaire)"),
        validators=[Optional(), Length(max=2000)],
    )
