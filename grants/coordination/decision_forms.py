"""The cell's forms: confirm or split a group of records, review a flag (WTForms, CSRF on)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from grants.coordination.decisions import COMMENT_MAX
from grants.coordination.models import FlagDecision
from grants.core.fields import CheckboxListField, VersionField

REVIEW_CHOICES = (FlagDecision.CONFIRMED, FlagDecision.COMPLEMENTARY, FlagDecision.FALSE_ALARM)


class FlagReviewForm(FlaskForm):
    version = VersionField()
    decision = RadioField(
        _l("Décision de la cellule"),
        choices=[(d.value, d.label) for d in REVIEW_CHOICES],
        validators=[InputRequired(message=_l("Choisissez une décision."))],
    )
    comment = TextAreaField(
        _l("Commentaire"), validators=[Optional(), Length(max=COMMENT_MAX)], render_kw={"rows": 3}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # lazy labels are read in the language of the page
        self.decision.choices = [(d.value, d.label) for d in REVIEW_CHOICES]


class GroupNumber(StringField):
    """The number of another group (blank: none); `unreadable` when something else was typed."""

    unreadable = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip().lstrip("#")
        self.data = int(text) if text.isdigit() and len(text) <= 9 else None
        self.unreadable = bool(text) and self.data is None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class ConfirmForm(FlaskForm):
    """Confirm the group as it is, or join another group to it."""

    other = GroupNumber(
        _l("Numéro d'un autre groupe à joindre (facultatif)"),
        description=_l(
            "Laissez vide pour confirmer les membres de ce groupe ; le numéro d'un groupe figure "
            "dans la liste des organismes rapprochés."
        ),
    )
    comment = TextAreaField(
        _l("Commentaire"), validators=[Optional(), Length(max=COMMENT_MAX)], render_kw={"rows": 2}
    )

    def validate_other(self, field: GroupNumber) -> None:
        if field.unreadable:
            raise ValidationError(str(_l("Un numéro de groupe est un nombre entier.")))


class SplitForm(FlaskForm):
    """Separate the chosen members from the rest of the group."""

    members = CheckboxListField(
        _l("Membres à séparer du groupe"),
        coerce=int,
        validators=[InputRequired(message=_l("Cochez au moins un membre à séparer."))],
    )
    comment = TextAreaField(
        _l("Commentaire"), validators=[Optional(), Length(max=COMMENT_MAX)], render_kw={"rows": 2}
    )
