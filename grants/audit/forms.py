"""The journal's filters: a GET form (no token), every input bounded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from grants.audit.describe import FAMILIES, SENTENCES, sentence
from grants.audit.objects import OBJECT_TYPES
from grants.core.inputs import DateField


def type_choices() -> list[tuple[str, Any]]:
    return [
        ("", _l("Tous")),
        *sorted(((key, spec.label) for key, spec in OBJECT_TYPES.items()), key=lambda choice: str(choice[1])),
    ]


def action_choices(present: Iterable[str] | None = None) -> list[tuple[str, Any]]:
    """Every group of actions (`request.`), then every action, named by its sentence; only those
    found in `present` (the actions of the entries the reader may see) when given."""
    known = set(SENTENCES) if present is None else set(present)
    groups = [
        (prefix, _l("%(group)s : toutes les actions", group=label))
        for prefix, label in FAMILIES.items()
        if any(action.startswith(prefix) for action in known)
    ]
    actions = sorted(((key, sentence(key, "…", "…")) for key in known), key=lambda choice: choice[1].lower())
    return [("", _l("Toutes")), *groups, *actions]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that reads, never writes

    type = SelectField(_l("Type d'objet"), validators=[Optional()])
    ref = StringField(
        _l("Référence de l'objet"),
        validators=[Optional(), Length(max=80)],
        description=_l("Numéro de demande ou de convention, nom d'organisme, code de programme…"),
    )
    person = StringField(
        _l("Personne"), validators=[Optional(), Length(max=120)], description=_l("Nom ou courriel")
    )
    action = SelectField(_l("Action"), validators=[Optional()])
    since = DateField(_l("Du"), validators=[Optional()])
    until = DateField(_l("Au"), validators=[Optional()])

    def __init__(self, *args: Any, actions: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = type_choices()
        self.action.choices = action_choices(actions)

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("La fin de la période précède son début."))

    def value(self, name: str) -> Any:
        """A field's value when it is valid, else None (a bad filter narrows nothing)."""
        found = self[name]
        return None if found.errors else (found.data or None)
