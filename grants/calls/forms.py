"""The call form: dates and times on a Quebec clock, eligibility, maximum per year and years."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from grants.calls.models import Call
from grants.calls.operations import quebec_moment
from grants.core.fields import CheckboxListField, MoneyField
from grants.core.formatting import to_local
from grants.core.inputs import DateField
from grants.organizations.models import OrganizationKind


class CallForm(FlaskForm):
    title_fr = StringField(
        _l("Titre (français)"),
        validators=[InputRequired(message=_l("Entrez le titre de l'appel.")), Length(max=255)],
    )
    title_en = StringField(_l("Titre (anglais)"), validators=[Optional(), Length(max=255)])
    description_fr = TextAreaField(_l("Description (français)"), validators=[Optional(), Length(max=10000)])
    description_en = TextAreaField(_l("Description (anglais)"), validators=[Optional(), Length(max=10000)])
    continuous = BooleanField(_l("Réception en continu (sans date de fermeture)"))
    opens_on = DateField(
        _l("Ouverture : date"),
        validators=[InputRequired(message=_l("Entrez la date d'ouverture, par exemple 2026-12-01."))],
    )
    opens_time = TimeField(
        _l("Ouverture : heure (heure du Québec)"), default=time(0, 0), validators=[Optional()]
    )
    closes_on = DateField(_l("Fermeture : date"), validators=[Optional()])
    closes_time = TimeField(
        _l("Fermeture : heure (heure du Québec)"), default=time(23, 59), validators=[Optional()]
    )
    annual_max = MoneyField(
        _l("Montant maximal par exercice ($)"),
        validators=[Optional(), NumberRange(min=0, message=_l("Le montant doit être positif."))],
    )
    years_max = IntegerField(
        _l("Nombre maximal d'exercices financiers"),
        validators=[
            InputRequired(message=_l("Entrez un nombre d'exercices.")),
            NumberRange(min=1, max=10, message=_l("Entre 1 et 10 exercices.")),
        ],
    )
    eligible_kinds = CheckboxListField(_l("Types d'organismes admissibles (aucun coché : tous)"))
    eligible_regions = CheckboxListField(_l("Régions visées (aucune cochée : toutes)"))
    eligible_nations = CheckboxListField(_l("Nations visées"))

    def __init__(self, *args: Any, regions: list, nations: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eligible_kinds.choices = [(k.value, k.label) for k in OrganizationKind]
        self.eligible_regions.choices = [(r.code, r.label) for r in regions]
        self.eligible_nations.choices = [(n.code, n.name) for n in nations]

    def validate_closes_on(self, field: DateField) -> None:
        if self.continuous.data:
            return
        if field.data is None:
            raise ValidationError(_l("Entrez la date de fermeture, ou cochez la réception en continu."))
        if self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("La fermeture doit suivre l'ouverture."))

    def fill_from(self, call: Call) -> None:
        """The call as saved, its moments on a Quebec clock."""
        snapshot = call.snapshot()
        for name in ("title_fr", "continuous", "annual_max", "years_max", *_LISTS):
            self[name].data = snapshot[name]
        for name in ("title_en", "description_fr", "description_en"):
            self[name].data = getattr(call, name)
        self.opens_on.data, self.opens_time.data = _local(call.opens_at)
        if call.closes_at is not None:
            self.closes_on.data, self.closes_time.data = _local(call.closes_at)

    def call_data(self) -> dict[str, Any]:
        """What the operations take: texts trimmed, moments in UTC (typed in Quebec time)."""
        continuous = bool(self.continuous.data)
        return {
            "title_fr": self.title_fr.data.strip(),
            "title_en": (self.title_en.data or "").strip(),
            "description_fr": self.description_fr.data or "",
            "description_en": self.description_en.data or "",
            "continuous": continuous,
            "opens_at": quebec_moment(self.opens_on.data, self.opens_time.data or time(0, 0)),
            "closes_at": None
            if continuous
            else quebec_moment(self.closes_on.data, self.closes_time.data or time(23, 59)),
            "annual_max": self.annual_max.data,
            "years_max": self.years_max.data,
            **{name: list(self[name].data or []) for name in _LISTS},
        }


_LISTS = ("eligible_kinds", "eligible_regions", "eligible_nations")


def _local(moment: datetime) -> tuple[date, time]:
    local = to_local(moment)
    return local.date(), local.time().replace(second=0, microsecond=0)
