"""The funding request form. The amounts per fiscal year and the budget table are grids keyed by
fiscal year (`amount-2026`, `budget-2026-salaries`), the other funding sources a list of rows
(`other-0-funder`): every cell is a WTForms field read with the same Quebec money reader, so a typo
in one cell gives a message on that cell and keeps every other value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from grants.core.fields import CheckboxListField, KeyedFieldList, MoneyField, VersionField
from grants.core.i18n_fields import in_own_language
from grants.core.inputs import DATE_RANGE_MESSAGE, FIRST_DATE, LAST_DATE, DateField
from grants.fiscal import FiscalYear
from grants.requests.models import AttachmentKind, BudgetCategory, FundingSourceStatus
from grants.requests.operations import OtherFundingData, RequestData
from grants.requests.rules import period_years

BLANK_FUNDING_ROWS = 2
MAX_FUNDING_ROWS = 50
MAX_GRID_YEARS = 10
_DATE_MESSAGE = _l("Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31.")


class IsoDateField(DateField):
    """A date of a grid row, picked like the period's (`<input type="date">`, which sends
    `AAAA-MM-JJ`); blank: no date. A browser without a picker lets one type anything: a bad date
    gets a message on its cell and keeps what was typed."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                self.data = date.fromisoformat(text)
            except ValueError:
                raise ValueError(str(_DATE_MESSAGE)) from None
            if not FIRST_DATE <= self.data <= LAST_DATE:
                self.data = None
                raise ValueError(str(DATE_RANGE_MESSAGE))


YearBudgetForm: type[Form] = type(
    "YearBudgetForm",
    (Form,),
    {
        "__doc__": "One fiscal year's column of the budget table: an amount per expense category.",
        **{category.value: MoneyField(category.label) for category in BudgetCategory},
    },
)


class OtherFundingRow(Form):
    """One other source of funding; a blank row is ignored, a started one must be complete."""

    funder = StringField(_l("Bailleur de fonds"), validators=[Length(max=255)])
    program = StringField(_l("Programme"), validators=[Length(max=255)])
    amount = MoneyField(_l("Montant ($)"))
    start = IsoDateField(_l("Début"))
    end = IsoDateField(_l("Fin"))
    status = SelectField(
        _l("Statut"),
        choices=[("", "—")] + [(s.value, label) for s, label in FundingSourceStatus.labels().items()],
        validate_choice=False,
    )

    @property
    def is_blank(self) -> bool:
        return not ((self.funder.data or "").strip() or (self.program.data or "").strip() or self.amount.data)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.is_blank:
            return not self.errors
        if not (self.funder.data or "").strip():
            self.funder.errors.append(str(_l("Nommez le bailleur de fonds.")))
        if self.amount.data is None and not self.amount.errors:
            self.amount.errors.append(str(_l("Indiquez le montant.")))
        if self.status.data not in {s.value for s in FundingSourceStatus}:
            self.status.errors.append(str(_l("Indiquez si ce financement est obtenu ou demandé.")))
        if self.start.data and self.end.data and self.end.data < self.start.data:
            self.end.errors.append(str(_l("La date de fin doit suivre la date de début.")))
        return not self.errors

    def funding_data(self) -> OtherFundingData | None:
        """The row as data (None for a blank or incomplete row)."""
        if self.is_blank or self.errors or self.amount.data is None:
            return None
        return OtherFundingData(
            (self.funder.data or "").strip(),
            (self.program.data or "").strip(),
            self.amount.data,
            self.start.data,
            self.end.data,
            FundingSourceStatus(self.status.data),
        )


def _start_year(year: FiscalYear) -> int:
    return year.start_year


@dataclass
class BudgetTotals:
    """The totals of the budget table as typed, computed here for the page (its script updates them
    while one types)."""

    by_year: dict[FiscalYear, Decimal] = field(default_factory=dict)
    by_category: dict[BudgetCategory, Decimal] = field(default_factory=dict)
    grand: Decimal = Decimal("0.00")
    asked: Decimal = Decimal("0.00")


class RequestForm(FlaskForm):
    version = VersionField()
    action = HiddenField(default="save")  # the button pressed: save, submit or provide_info
    title = StringField(_l("Titre du projet ou de la demande"), validators=[Optional(), Length(max=255)])
    summary = TextAreaField(
        _l("Résumé du projet ou de la mission"), validators=[Optional(), Length(max=10000)]
    )
    objectives = TextAreaField(_l("Objectifs"), validators=[Optional(), Length(max=10000)])
    target_populations = TextAreaField(_l("Populations visées"), validators=[Optional(), Length(max=5000)])
    measure_ids = CheckboxListField(_l("Mesures du plan d'action visées"), coerce=int)
    region_codes = CheckboxListField(_l("Régions administratives desservies"))
    nation_codes = CheckboxListField(_l("Nations desservies (Premières Nations et Inuit)"))
    start_date = DateField(_l("Début de la période"), validators=[Optional()], format="%Y-%m-%d")
    end_date = DateField(_l("Fin de la période"), validators=[Optional()], format="%Y-%m-%d")
    amount = KeyedFieldList(MoneyField(_l("Montant demandé")), key_name=_start_year)
    budget = KeyedFieldList(FormField(YearBudgetForm), key_name=_start_year)
    other = FieldList(FormField(OtherFundingRow), max_entries=MAX_FUNDING_ROWS)
    confirm_drop = StringField()
    answer = TextAreaField(_l("Votre réponse à l'agent·e"), validators=[Optional(), Length(max=10000)])
    attachment_kind = SelectField(_l("Type de pièce jointe"), validate_choice=False)
    attachment = MultipleFileField(
        _l("Pièce jointe"), description=_l("Vous pouvez choisir plusieurs fichiers à la fois.")
    )

    def __init__(self, *args: Any, measures: list, regions: list, nations: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A measure's title has no English version: its label says so (lang="fr") in English.
        self.measure_ids.choices = [(m.id, in_own_language(m, "label", "title")) for m in measures]
        self.region_codes.choices = [(r.code, r.label) for r in regions]
        self.nation_codes.choices = [(n.code, n.name) for n in nations]
        self.attachment_kind.choices = [(k.value, k.label) for k in AttachmentKind]
        for name in ("start_date", "end_date"):
            getattr(self, name).render_kw = {"placeholder": _l("AAAA-MM-JJ"), "autocomplete": "off"}

    @classmethod
    def of(cls, data: RequestData, *, version: int, **choices: Any) -> RequestForm:
        """The form pre-filled from the saved request (amounts written the Quebec way)."""
        years = sorted(
            set(period_years(data.start_date, data.end_date))
            | set(data.amounts)
            | {year for year, _category in data.budget}
        )
        budget: dict[FiscalYear, dict[str, Decimal]] = {year: {} for year in years}
        for (year, category), amount in data.budget.items():
            budget[year][category.value] = amount
        rows = [
            {
                "funder": row.funder,
                "program": row.program_name,
                "amount": row.amount,
                "start": row.start_date,
                "end": row.end_date,
                "status": row.status.value,
            }
            for row in data.other_funding
        ]
        form = cls(
            data={
                **{name: getattr(data, name) for name in _PLAIN_FIELDS},
                "version": version,
                "amount": {year: data.amounts.get(year) or None for year in years},
                "budget": budget,
                "other": rows,
            },
            **choices,
        )
        form.pad_funding_rows()
        return form

    # -- the grid ----------------------------------------------------------------------------------
    def typed_period_years(self) -> list[FiscalYear]:
        """The fiscal years of the period as typed (empty when incomplete, reversed or too long)."""
        years = period_years(self.start_date.data, self.end_date.data)
        return years if len(years) <= MAX_GRID_YEARS else []

    def bind_grid(self, saved_years: list[FiscalYear]) -> None:
        """Read a posted grid: the columns of the typed period's years and of the saved ones (whose
        figures a shorter period would drop, and which are kept until the person confirms)."""
        self.set_grid_years(sorted(set(self.typed_period_years() or saved_years) | set(saved_years)))
        self.pad_funding_rows()

    def shown_years(
        self, saved_years: list[FiscalYear], dropped: set[FiscalYear]
    ) -> tuple[list[FiscalYear], set[FiscalYear]]:
        """The grid's columns on the page, and those outside the new period: a saved year keeps its
        column while it still holds typed figures (or is named in the confirmation to drop it)."""
        years = self.typed_period_years() or saved_years
        outside = set(dropped) | {year for year in saved_years if year not in years and self.typed_in(year)}
        shown = sorted(set(years) | outside)
        if not set(shown) <= set(self.amount.keys):
            self.set_grid_years(sorted(set(self.amount.keys) | set(shown)))
        return shown, outside

    def set_grid_years(self, years: list[FiscalYear]) -> None:
        """Read the grid's cells for these fiscal years (the keys come from here, not the post)."""
        self.amount.set_keys(years)
        self.budget.set_keys(years)

    def typed_in(self, year: FiscalYear) -> bool:
        """Whether a figure of `year` was typed (an amount or a budget cell)."""
        return self.amount.typed(year) or self.budget.typed(year)

    def pad_funding_rows(self) -> None:
        """Leave blank rows to fill after the ones started (a few, within the maximum)."""
        started = sum(1 for row in self.other if not row.form.is_blank)
        while len(self.other) < min(started + BLANK_FUNDING_ROWS, MAX_FUNDING_ROWS):
            self.other.append_entry()

    def budget_totals(self, years: list[FiscalYear]) -> BudgetTotals:
        totals = BudgetTotals()
        for year in years:
            cells = self.budget.entry(year).form
            for category in BudgetCategory:
                amount = cells[category.value].data or Decimal(0)
                totals.by_year[year] = totals.by_year.get(year, Decimal("0.00")) + amount
                totals.by_category[category] = totals.by_category.get(category, Decimal("0.00")) + amount
            totals.asked += self.amount.entry(year).data or Decimal(0)
        totals.grand = sum(totals.by_year.values(), Decimal("0.00"))
        return totals

    def confirmed_drop(self) -> set[FiscalYear]:
        """The fiscal years whose figures the person agreed to delete (the confirmation box)."""
        parts = (self.confirm_drop.data or "").split()
        return {FiscalYear(int(part)) for part in parts if part.isdigit() and len(part) == 4}

    def request_data(self) -> RequestData:
        amounts = {year: amount for year, amount in self.amount.data.items() if amount is not None}
        budget = {
            (year, category): cells[category.value]
            for year, cells in self.budget.data.items()
            for category in BudgetCategory
            if cells.get(category.value)
        }
        rows = [row.form.funding_data() for row in self.other]
        return RequestData(
            **{name: self[name].data or "" for name in _TEXT_FIELDS},
            measure_ids=list(self.measure_ids.data or []),
            region_codes=list(self.region_codes.data or []),
            nation_codes=list(self.nation_codes.data or []),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            amounts=amounts,
            budget=budget,
            other_funding=[row for row in rows if row is not None],
        )


_TEXT_FIELDS = ("title", "summary", "objectives", "target_populations")
_PLAIN_FIELDS = (*_TEXT_FIELDS, "measure_ids", "region_codes", "nation_codes", "start_date", "end_date")


class StartRequestForm(FlaskForm):
    token = HiddenField()
    organization_id = SelectField(_l("Organisme demandeur"), coerce=int)


class WithdrawForm(FlaskForm):
    version = VersionField()
    reason = TextAreaField(_l("Motif du retrait (facultatif)"), validators=[Optional(), Length(max=2000)])
