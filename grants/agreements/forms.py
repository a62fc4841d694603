"""Agreement forms: acceptance by the signatory (in the app or by upload), countersignature,
amendment (with its grid of amounts per fiscal year)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from grants.core.fields import MoneyField, VersionField
from grants.core.inputs import DateField
from grants.fiscal import FiscalYear


class AcceptForm(FlaskForm):
    version = VersionField()
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


class CountersignForm(FlaskForm):
    """The ministry's countersignature: nothing to type, the page's version of the agreement."""

    version = VersionField()


class YearAmountForm(FlaskForm):
    """One row of the amendment grid: a fiscal year (its start year) and its amount after the amendment."""

    class Meta:
        csrf = False  # a row of a grid: the grid's form carries the token

    fiscal_year = HiddenField()
    amount = MoneyField(_l("Montant ($)"), validators=[Optional()])

    @property
    def year(self) -> FiscalYear | None:
        """The row's fiscal year, or None when the page sent something else."""
        text = (self.fiscal_year.data or "").strip()
        return FiscalYear(int(text)) if text.isdigit() and len(text) == 4 else None


class AmendmentForm(FlaskForm):
    version = VersionField()
    end_date = DateField(
        _l("Nouvelle date de fin"), validators=[InputRequired(message=_l("Entrez la date de fin."))]
    )
    amounts = FieldList(FormField(YearAmountForm))
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=10000)])
    reason = TextAreaField(
        _l("Objet de l'avenant"),
        validators=[InputRequired(message=_l("Expliquez l'objet de l'avenant.")), Length(max=5000)],
    )
    override_reason = TextAreaField(
        _l("Motif de dépassement de l'enveloppe (autorisation budgétaire)"),
        validators=[Optional(), Length(max=2000)],
    )

    def rows_for(self, years: list[FiscalYear]) -> list[tuple[FiscalYear, Any]]:
        """The grid: one row per fiscal year of the (new) period, in order — the row the page sent
        for that year (what was typed is kept), or a new empty one."""
        sent = {entry.form.year: entry for entry in self.amounts if entry.form.year in years}
        for year in years:
            if year not in sent:
                sent[year] = self.amounts.append_entry({"fiscal_year": str(year.start_year)})
        return [(year, sent[year]) for year in years]

    def amounts_by_year(self, years: list[FiscalYear]) -> dict[FiscalYear, Any]:
        """The amount typed for each year of the period (a blank one is 0)."""
        return {year: row.form.amount.data or Decimal("0.00") for year, row in self.rows_for(years)}
