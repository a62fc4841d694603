"""Payment forms: an action on one installment (hold reason, payment date and reference), and the
grid of a fiscal year's schedule."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from grants.core.concurrency import parse_version
from grants.core.fields import MoneyField, VersionField
from grants.core.inputs import DateField
from grants.payments.models import InstallmentTrigger


class InstallmentActionForm(FlaskForm):
    version = VersionField()
    event = HiddenField()
    reason = TextAreaField(_l("Motif de la retenue"), validators=[Optional(), Length(max=2000)])
    paid_on = DateField(_l("Date du versement"), validators=[Optional()])
    payment_reference = StringField(_l("Référence du paiement"), validators=[Optional(), Length(max=80)])


class IdField(HiddenField):
    """A hidden row id: an integer, or None for a new row (or anything else the page sent)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = parse_version(valuelist[0]) if valuelist else None


def _trigger_choices() -> list[tuple[str, str]]:
    return [(trigger.value, trigger.label) for trigger in InstallmentTrigger]


class ScheduleRowForm(FlaskForm):
    """One installment of the grid; a row left without an amount is not kept."""

    class Meta:
        csrf = False  # a row of a grid: the grid's form carries the token

    installment_id = IdField()
    amount = MoneyField(_l("Montant ($)"), validators=[Optional()])
    trigger = SelectField(_l("Condition"), choices=_trigger_choices)
    planned_date = DateField(_l("Date prévue"), validators=[Optional()], format="%Y-%m-%d")


class ScheduleForm(FlaskForm):
    rows = FieldList(FormField(ScheduleRowForm), max_entries=20)
