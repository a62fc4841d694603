"""The funding request form: WTForms for the fixed fields; the budget table, the amounts per fiscal
year and the other funding sources are grids whose cells are parsed here with the same money
parser, so a typo in one cell gives a message on that cell and keeps every other value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from grants.core.fields import amount_text, read_amount
from grants.core.inputs import DateField, whole_number
from grants.fiscal import FiscalYear
from grants.organizations.forms import CheckboxListField
from grants.requests.models import AttachmentKind, BudgetCategory, FundingSourceStatus
from grants.requests.operations import OtherFundingData, RequestData

BLANK_FUNDING_ROWS = 2
_DATE_MESSAGE = _l("Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31.")


class RequestForm(FlaskForm):
    version = HiddenField()
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
    answer = TextAreaField(_l("Votre réponse à l'agent·e"), validators=[Optional(), Length(max=10000)])
    attachment_kind = SelectField(_l("Type de pièce jointe"), validate_choice=False)
    attachment = FileField(
        _l("Pièce jointe"),
        description=_l("Vous pouvez choisir plusieurs fichiers à la fois."),
        render_kw={"multiple": True},
    )

    def __init__(self, *args: Any, measures: list, regions: list, nations: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure_ids.choices = [(m.id, m.label) for m in measures]
        self.region_codes.choices = [(r.code, r.label) for r in regions]
        self.nation_codes.choices = [(n.code, n.name) for n in nations]
        self.attachment_kind.choices = [(k.value, k.label) for k in AttachmentKind]
        for name in ("start_date", "end_date"):
            getattr(self, name).render_kw = {"placeholder": "AAAA-MM-JJ", "autocomplete": "off"}


@dataclass
class Grid:
    """The grid cells as typed (to re-render them) and the errors per cell name."""

    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    amounts: dict[FiscalYear, Decimal] = field(default_factory=dict)
    budget: dict[tuple[FiscalYear, BudgetCategory], Decimal] = field(default_factory=dict)
    other_funding: list[OtherFundingData] = field(default_factory=list)
    funding_rows: int = 0


def _money(grid: Grid, name: str, text: str) -> Decimal | None:
    grid.raw[name] = text
    return read_amount({name: text}, name, grid.errors)


def _date(grid: Grid, name: str, text: str) -> date | None:
    grid.raw[name] = text
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        grid.errors[name] = str(_DATE_MESSAGE)
        return None


def parse_grid(formdata: Any, years: list[FiscalYear]) -> Grid:
    """Read the amounts, the budget table and the other funding rows from the posted form."""
    grid = Grid()
    for year in years:
        amount = _money(grid, f"amount-{year.start_year}", formdata.get(f"amount-{year.start_year}", ""))
        if amount is not None:
            grid.amounts[year] = amount
        for category in BudgetCategory:
            name = f"budget-{year.start_year}-{category.value}"
            value = _money(grid, name, formdata.get(name, ""))
            if value:
                grid.budget[(year, category)] = value
    rows = whole_number(formdata.get("funding_rows")) or 0
    grid.funding_rows = min(max(rows, 0), 50)
    for index in range(grid.funding_rows):
        prefix = f"other-{index}-"
        funder = formdata.get(prefix + "funder", "").strip()
        grid.raw[prefix + "funder"] = funder
        program_name = formdata.get(prefix + "program", "").strip()
        grid.raw[prefix + "program"] = program_name
        status = formdata.get(prefix + "status", "")
        grid.raw[prefix + "status"] = status
        amount = _money(grid, prefix + "amount", formdata.get(prefix + "amount", ""))
        start = _date(grid, prefix + "start", formdata.get(prefix + "start", ""))
        end = _date(grid, prefix + "end", formdata.get(prefix + "end", ""))
        if not (funder or program_name or amount):
            continue
        if not funder:
            grid.errors[prefix + "funder"] = str(_l("Nommez le bailleur de fonds."))
        if amount is None and prefix + "amount" not in grid.errors:
            grid.errors[prefix + "amount"] = str(_l("Indiquez le montant."))
        if status not in {s.value for s in FundingSourceStatus}:
            grid.errors[prefix + "status"] = str(_l("Indiquez si ce financement est obtenu ou demandé."))
        if start and end and end < start:
            grid.errors[prefix + "end"] = str(_l("La date de fin doit suivre la date de début."))
        if funder and amount is not None and status in {s.value for s in FundingSourceStatus}:
            grid.other_funding.append(
                OtherFundingData(funder, program_name, amount, start, end, FundingSourceStatus(status))
            )
    return grid


def request_data(form: RequestForm, grid: Grid) -> RequestData:
    return RequestData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        objectives=form.objectives.data or "",
        target_populations=form.target_populations.data or "",
        measure_ids=list(form.measure_ids.data or []),
        region_codes=list(form.region_codes.data or []),
        nation_codes=list(form.nation_codes.data or []),
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        amounts=grid.amounts,
        budget=grid.budget,
        other_funding=grid.other_funding,
    )


def grid_from_request(data: RequestData) -> Grid:
    """The grid pre-filled from the saved request (amounts written the Quebec way)."""
    text = amount_text

    grid = Grid()
    for year, amount in data.amounts.items():
        grid.raw[f"amount-{year.start_year}"] = text(amount) if amount else ""
    for (year, category), amount in data.budget.items():
        grid.raw[f"budget-{year.start_year}-{category.value}"] = text(amount)
    for index, row in enumerate(data.other_funding):
        prefix = f"other-{index}-"
        grid.raw.update(
            {
                prefix + "funder": row.funder,
                prefix + "program": row.program_name,
                prefix + "amount": text(row.amount),
                prefix + "start": row.start_date.isoformat() if row.start_date else "",
                prefix + "end": row.end_date.isoformat() if row.end_date else "",
                prefix + "status": row.status.value,
            }
        )
    grid.funding_rows = len(data.other_funding)
    return grid


class StartRequestForm(FlaskForm):
    token = HiddenField()
    organization_id = SelectField(_l("Organisme demandeur"), coerce=int)


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Motif du retrait (facultatif)"), validators=[Optional(), Length(max=2000)])
