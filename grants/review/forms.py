"""The officer's forms: assignment, information request, recommendation, decision."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from grants.organizations.forms import CheckboxListField
from grants.requests.models import Recommendation, RequestSection


class AssignForm(FlaskForm):
    version = HiddenField()
    assignee_id = SelectField(_l("Agent·e responsable"), coerce=int)


class InfoRequestForm(FlaskForm):
    version = HiddenField()
    sections = CheckboxListField(_l("Sections à rouvrir à l'organisme"))
    message = TextAreaField(_l("Votre question à l'organisme"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections.choices = [(s.value, s.label) for s in RequestSection]


class RecommendForm(FlaskForm):
    version = HiddenField()
    recommendation = RadioField(
        _l("Recommandation"),
        choices=[
            (Recommendation.APPROVE.value, _l("Accepter")),
            (Recommendation.REFUSE.value, _l("Refuser")),
        ],
        validators=[InputRequired(message=_l("Choisissez une recommandation."))],
    )
    comment = TextAreaField(_l("Justification"), validators=[Optional(), Length(max=10000)])


class DecisionForm(FlaskForm):
    """The amounts per fiscal year are grid cells named approved-<year>, parsed in the view."""

    version = HiddenField()
    decision = RadioField(
        _l("Décision"),
        choices=[("approve", _l("Accepter")), ("refuse", _l("Refuser"))],
        validators=[InputRequired(message=_l("Choisissez la décision."))],
    )
    conditions = TextAreaField(
        _l("Conditions de l'aide (acceptation)"), validators=[Optional(), Length(max=10000)]
    )
    reasons = TextAreaField(_l("Motifs du refus"), validators=[Optional(), Length(max=10000)])
    override_reason = TextAreaField(
        _l("Motif de dépassement de l'enveloppe (autorisation budgétaire)"),
        validators=[Optional(), Length(max=2000)],
    )
