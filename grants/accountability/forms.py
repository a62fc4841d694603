"""The report forms, all WTForms. The grids (indicators, financial statement, people reached, a
program's indicators, an agreement's targets) are `KeyedFieldList`s: a typo in one cell gives a
message on that cell, and every other typed value is shown back as it was typed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from grants.accountability import adsplus
from grants.accountability.models import (
    Indicator,
    IndicatorKind,
    IndicatorUnit,
    Report,
    ReportAttachmentKind,
    ReportSection,
)
from grants.accountability.operations import FinanceEntry, IndicatorEntry, IndicatorSpec, PeopleData
from grants.accountability.validation import (
    breakdown_problems,
    read_count,
    read_indicator,
    read_money,
    total_mismatch,
    total_problem,
)
from grants.core.fields import (
    KeyedFieldList,
    MoneyField,
    VersionField,
    amount_text,
    input_errors,
    input_values,
)
from grants.core.i18n import current_language
from grants.files.sniffing import UploadRefused, check_upload
from grants.organizations.forms import CheckboxListField
from grants.requests.models import BudgetCategory

TEXT_MAX = 20000
_TOO_LONG = _l("Ce texte dépasse %(max)d caractères.")
_DATE_MESSAGE = _l("Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31.")


class VersionedForm(FlaskForm):
    """Every form that changes a report carries the version of the page it came from."""

    version = VersionField()


@dataclass
class Typed:
    """The cells as shown (a refused one as typed) and the message of each refused cell."""

    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CountField(StringField):
    """A count typed in a box, shown back as typed. `count` is what `read_count` makes of it: None
    (blank), an int (bounds are the grid's rule, so a negative count is refused with its value), or the
    text itself when it is not a whole number."""

    def process_data(self, value: Any) -> None:
        self.data = "" if value is None else str(value)

    @property
    def count(self) -> int | str | None:
        return read_count(self.data)


class TargetField(MoneyField):
    """An indicator's target (`12`, `12,5`): read like an amount, one message for every refusal."""

    @staticmethod
    def shown(value: Decimal) -> str:
        return amount_text(value)  # a target is a count or a rate: `12`, `12,5`, no cents

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as refused:
            raise ValueError(str(_TARGET_MESSAGE)) from refused


_TARGET_MESSAGE = _l("Entrez une cible positive, par exemple 12 ou 12,5.")


class _Grid:
    """Validation of a grid: the fields' own checks, then `check()`, the rules across cells, which
    put their messages on the cells (or, for a whole group, in `grid_errors`)."""

    grid_errors: dict[str, str]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[misc]
        self.grid_errors = {}
        self.check()
        return valid and not self.refused

    def check(self) -> None:
        """The rules that look at more than one cell."""

    @property
    def refused(self) -> bool:
        return bool(input_errors(self) or getattr(self, "grid_errors", {}))


def typed_of(form: Any) -> Typed:
    """What a page shows of a form: each input's value and each refused input's message."""
    return Typed(raw=input_values(form), errors=input_errors(form) | getattr(form, "grid_errors", {}))


class ActivitiesForm(VersionedForm):
    activities = TextAreaField(
        _l("Activités réalisées pendant la période"),
        description=_l("Ce qui a été fait, avec qui, où et quand."),
        validators=[Optional(), Length(max=TEXT_MAX, message=_TOO_LONG)],
    )
    results = TextAreaField(
        _l("Résultats obtenus au regard des objectifs de la demande"),
        description=_l("Pour chaque objectif de la demande : ce qui est atteint, ce qui reste à faire."),
        validators=[Optional(), Length(max=TEXT_MAX, message=_TOO_LONG)],
    )


class AttachmentForm(_Grid, VersionedForm):
    """A file to attach. `limits` (max bytes, whether office files are allowed) is set before a posted
    form is validated; the file accepted is then in `accepted`."""

    kind = SelectField(_l("Type de pièce jointe"), validate_choice=False)
    attachment = FileField(_l("Fichier à joindre"))
    limits: tuple[int, bool] | None = None
    accepted: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in ReportAttachmentKind]

    def check(self) -> None:
        if self.limits is None:
            return
        upload, (max_bytes, allow_office) = self.attachment.data, self.limits
        if not isinstance(upload, FileStorage) or not upload.filename:
            self.attachment.errors.append(str(_l("Choisissez le fichier à joindre.")))
        elif self.kind.data not in {k.value for k in ReportAttachmentKind}:
            self.kind.errors.append(str(_l("Choisissez le type de pièce jointe.")))
        else:
            try:
                self.accepted = check_upload(
                    upload.read(max_bytes + 1),
                    upload.filename,
                    max_bytes=max_bytes,
                    allow_office=allow_office,
                )
            except UploadRefused as refusal:
                self.attachment.errors.append(str(refusal.message))


class ActionForm(VersionedForm):
    """Submit, accept, remove an attachment: a button and the page's version."""


class ExtensionForm(VersionedForm):
    due_date = StringField(
        _l("Nouvelle date d'échéance"),
        description=_l("AAAA-MM-JJ"),
        # A date picker, as every other date of the product (the browser still sends AAAA-MM-JJ).
        render_kw={"type": "date", "autocomplete": "off", "placeholder": _l("AAAA-MM-JJ")},
    )
    reason = TextAreaField(
        _l("Motif du report"), validators=[Optional(), Length(max=2000, message=_TOO_LONG)]
    )

    def parsed_date(self) -> date | None:
        """The date typed, or None with a message on the field."""
        text = (self.due_date.data or "").strip()
        if not text:
            self.due_date.errors = [str(_l("Indiquez la nouvelle date d'échéance."))]
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.due_date.errors = [str(_DATE_MESSAGE)]
            return None


def change_request_form(*args: Any, **kwargs: Any) -> VersionedForm:
    """One checkbox and one comment per section (built per request: labels in the reader's language)."""

    class ChangeRequestForm(VersionedForm):
        pass

    for section in ReportSection:
        setattr(ChangeRequestForm, f"reopen_{section.value}", BooleanField(section.label))
        setattr(
            ChangeRequestForm,
            f"comment_{section.value}",
            TextAreaField(
                _l("Commentaire : %(section)s", section=section.label),
                validators=[Optional(), Length(max=5000, message=_TOO_LONG)],
            ),
        )
    return ChangeRequestForm(*args, **kwargs)


def change_request_comments(form: Any) -> tuple[dict[ReportSection, str], dict[str, str]]:
    """The sections chosen with their comments, and the errors by field."""
    comments, errors = {}, {}
    for section in ReportSection:
        box, text = form[f"reopen_{section.value}"], form[f"comment_{section.value}"]
        chosen = bool(box.data)
        comment = (text.data or "").strip()
        if chosen and not comment:
            errors[text.name] = str(
                _l("Écrivez ce qu'il faut corriger dans « %(section)s ».", section=section.label)
            )
        elif comment and not chosen:
            errors[box.name] = str(
                _l(
                    "Cochez « %(section)s » pour la rouvrir, ou effacez son commentaire.",
                    section=section.label,
                )
            )
        elif chosen:
            comments[section] = comment
    if not comments and not errors:
        errors[form["reopen_activities"].name] = str(
            _l("Choisissez au moins une section à rouvrir, avec un commentaire.")
        )
    return comments, errors


class SettingsForm(VersionedForm):
    grace_days = StringField(
        _l("Délai de grâce, en jours après l'échéance"),
        description=_l("Passé ce délai, un rapport non déposé retient les versements suivants."),
        render_kw={"inputmode": "numeric"},
    )
    unspent_threshold_percent = StringField(
        _l("Seuil du solde non dépensé (%)"),
        description=_l("Au-delà, le solde est signalé et l'organisme doit l'expliquer. Par exemple 10."),
    )
    adsplus_variables = CheckboxListField(_l("Variables ADS+ facultatives recueillies"))
    reminder_days_before = StringField(
        _l("Rappels, en jours avant l'échéance"),
        description=_l("Séparés par des virgules, par exemple 30, 14, 7, 1. Laissez vide : aucun rappel."),
    )
    overdue_days_after = StringField(
        _l("Avis de retard, en jours après l'échéance"),
        description=_l("Par exemple 1, 14. Les avis de retard sont copiés aux agent·es du programme."),
    )

    def parsed_days(self, name: str) -> list[int] | None:
        """The days (1 to 365) typed in the field `name`; None when the field was not sent (nothing
        changes) or holds something else (then with the field's error)."""
        from grants.accountability.reminders import parse_days

        field = getattr(self, name)
        if not field.raw_data:
            return None
        days = parse_days(field.data or "")
        if days is None:
            field.errors = [
                str(_l("Des nombres de jours de 1 à 365 séparés par des virgules, par exemple 30, 14, 7."))
            ]
        return days

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.adsplus_variables.choices = [(code, str(adsplus.VARIABLES[code])) for code in adsplus.OPTIONAL]

    def parsed_grace_days(self) -> int | None:
        value = read_count(self.grace_days.data)
        if not isinstance(value, int) or not 0 <= value <= 365:
            self.grace_days.errors = [str(_l("Un nombre de jours entre 0 et 365, par exemple 30."))]
            return None
        return value

    def parsed_threshold(self) -> Decimal | None:
        text = (self.unspent_threshold_percent.data or "").strip().rstrip("%").strip()
        value, message = read_money(text)
        if message or value is None or value > 100:
            self.unspent_threshold_percent.errors = [
                str(_l("Entrez un pourcentage de 0 à 100, par exemple 10."))
            ]
            return None
        return value


# -- grids ---------------------------------------------------------------------------------------------
# Each grid is a WTForms form whose cells keep the names the pages have always posted
# (`indicator-17`, `spent-salaries`, `reach-gender-woman`, `ind-new-code`, `target-17`). A refused cell
# keeps what was typed and carries its message; `typed_of` hands both to the page, which lays the grid
# out by hand.
def _comment_key(indicator_id: int) -> str:
    return f"{indicator_id}-comment"


def _typed_value(indicator: Indicator, value: Decimal | None) -> str:
    if value is None:
        return ""
    if IndicatorKind(indicator.kind) is IndicatorKind.COUNT or value == value.to_integral():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")


class IndicatorsForm(_Grid, VersionedForm):
    """The report's indicators: `indicator-17` (the value achieved) and `indicator-17-comment`."""

    value = KeyedFieldList(StringField(), name="indicator")
    comment = KeyedFieldList(TextAreaField(filters=[_strip]), name="indicator", key_name=_comment_key)

    @classmethod
    def of(cls, report: Report, indicators: list[Indicator], **kwargs: Any) -> IndicatorsForm:
        saved = {v.indicator_id: v for v in report.indicator_values}
        form = cls(data={"version": report.version}, **kwargs)
        form.indicators = {i.id: i for i in indicators}
        values = {i.id: _typed_value(i, saved[i.id].achieved if i.id in saved else None) for i in indicators}
        comments = {i.id: saved[i.id].comment if i.id in saved else "" for i in indicators}
        form.value.set_keys(values, values)
        form.comment.set_keys(comments, comments)
        return form

    def check(self) -> None:
        self.achieved: dict[int, Decimal | None] = {}
        for key, indicator in self.indicators.items():
            cell, comment = self.value.entry(key), self.comment.entry(key)
            value, message = read_indicator(indicator, cell.data)
            if message:
                cell.errors.append(message)
            elif len(comment.data or "") > 2000:
                comment.errors.append(str(_l("Ce commentaire dépasse 2 000 caractères.")))
            self.achieved[key] = value

    def entries(self) -> dict[int, IndicatorEntry]:
        return {
            key: IndicatorEntry(self.achieved[key], self.comment.entry(key).data or "")
            for key in self.indicators
        }


def _category_key(category: BudgetCategory) -> str:
    return category.value


_COLUMNS = ("spent", "committed")


class FinancesForm(_Grid, VersionedForm):
    """The financial statement: `spent-salaries`, `committed-salaries`… and the totals typed
    (`total-spent`, `total-committed`), which must be the sum of their lines."""

    spent = KeyedFieldList(MoneyField(), key_name=_category_key)
    committed = KeyedFieldList(MoneyField(), key_name=_category_key)
    total_spent = MoneyField(name="total-spent")
    total_committed = MoneyField(name="total-committed")
    unspent_explanation = TextAreaField(
        _l("Explication du solde non dépensé"),
        description=_l("Obligatoire quand le solde dépasse le seuil du programme."),
        validators=[Optional(), Length(max=TEXT_MAX, message=_TOO_LONG)],
    )

    @classmethod
    def of(cls, report: Report, categories: Iterable[BudgetCategory], **kwargs: Any) -> FinancesForm:
        lines = {BudgetCategory(line.category): line for line in report.finance_lines}
        data: dict[str, Any] = {"version": report.version, "unspent_explanation": report.unspent_explanation}
        if lines:
            data["total_spent"] = sum((line.spent or Decimal(0) for line in lines.values()), Decimal(0))
            data["total_committed"] = sum(
                (line.committed or Decimal(0) for line in lines.values()), Decimal(0)
            )
        form = cls(data=data, **kwargs)
        categories = list(categories)
        for column in _COLUMNS:
            saved = {c: getattr(lines[c], column) if c in lines else None for c in categories}
            form[column].set_keys(categories, saved)
        return form

    def check(self) -> None:
        for column in _COLUMNS:
            total = self[f"total_{column}"]
            cells = self[column].entries
            if total.errors or total.data is None or any(cell.errors for cell in cells):
                continue
            mismatch = total_mismatch(
                sum((cell.data or Decimal(0) for cell in cells), Decimal(0)), total.data
            )
            if mismatch:
                total.errors.append(mismatch)

    def entries(self) -> dict[BudgetCategory, FinanceEntry]:
        return {
            category: FinanceEntry(self.spent.data[category], self.committed.data[category])
            for category in self.spent.keys
        }


def _reach_key(key: tuple[str, str]) -> str:
    return f"{key[0]}-{key[1]}"


class PeopleForm(_Grid, VersionedForm):
    """People reached (ADS+): `people_total`, one count per category of each variable
    (`reach-gender-woman`) and the explanation of a breakdown that does not add up (`explain-gender`).
    A breakdown's own problem is reported on its group (`reach-gender`)."""

    people_total = CountField(filters=[_strip])
    reach = KeyedFieldList(CountField(filters=[_strip]), key_name=_reach_key)
    explain = KeyedFieldList(TextAreaField(filters=[_strip]))

    @classmethod
    def of(cls, report: Report, variables: list[adsplus.Variable], **kwargs: Any) -> PeopleForm:
        form = cls(data={"version": report.version, "people_total": report.people_total}, **kwargs)
        form.variables = variables
        counts = {(v.code, code): count for v in variables for code, count in report.reach_of(v.code).items()}
        form.reach.set_keys([(v.code, c.code) for v in variables for c in v.categories], counts)
        explanations = {v.code: (report.reach_explanations or {}).get(v.code, "") for v in variables}
        form.explain.set_keys(explanations, explanations)
        return form

    def check(self) -> None:
        total = self.people_total.count
        message = total_problem(total)
        if message:
            self.people_total.errors.append(message)
        self.counts: dict[str, dict[str, int]] = {}
        self.explanations: dict[str, str] = {}
        for variable in self.variables:
            typed = {
                c.code: value
                for c in variable.categories
                if (value := self.reach.entry((variable.code, c.code)).count) is not None
            }
            box = self.explain.entry(variable.code)
            explanation = box.data or ""
            if len(explanation) > 2000:
                box.errors.append(str(_l("Cette explication dépasse 2 000 caractères.")))
            problems = breakdown_problems(
                None if message else total, typed, explanation, variable, complete=False
            )
            for name, problem in problems:
                self._refuse(name, problem)
            self.counts[variable.code] = {c: v for c, v in typed.items() if isinstance(v, int)}
            if explanation:
                self.explanations[variable.code] = explanation

    def _refuse(self, name: str, message: str) -> None:
        """A message on the cell `name`, or on the group when `name` is a variable's breakdown."""
        for cell in self.reach.entries:
            if cell.name == name:
                if not cell.errors:
                    cell.errors.append(message)
                return
        self.grid_errors.setdefault(name, message)

    def people(self) -> PeopleData:
        total = self.people_total.count
        return PeopleData(total if isinstance(total, int) else None, self.counts, self.explanations)


# -- the officer's indicator grid and an agreement's targets --------------------------------------------
class IndicatorSpecRow(Form):
    """One indicator of a program (`ind-17-code`…); the row `ind-new-…` adds one."""

    code = StringField(filters=[_strip])
    label_fr = StringField(filters=[_strip])
    label_en = StringField(filters=[_strip])
    unit = StringField(filters=[_strip])
    kind = StringField(filters=[_strip])
    target = TargetField()
    order = CountField(filters=[_strip])
    active = BooleanField()


NEW = "new"


class IndicatorSpecsForm(_Grid, FlaskForm):
    """A program's indicators, one row each, plus the blank row that adds one when its code is typed."""

    class Meta:
        csrf_field_name = "indicators-csrf_token"  # the page's other form has its own

    ind = KeyedFieldList(FormField(IndicatorSpecRow))

    @classmethod
    def of(cls, indicators: list[Indicator], **kwargs: Any) -> IndicatorSpecsForm:
        form = cls(**kwargs)
        form.taken = {i.code: i.id for i in indicators}
        saved: dict[Any, Any] = {
            i.id: {
                "code": i.code,
                "label_fr": i.label_fr,
                "label_en": i.label_en,
                "unit": i.unit,
                "kind": i.kind,
                "target": i.default_target,
                "order": i.sort_order,
                "active": i.active,
            }
            for i in indicators
        }
        saved[NEW] = {"unit": IndicatorUnit.OTHER.value, "kind": IndicatorKind.COUNT.value}
        form.ind.set_keys(saved, saved)
        return form

    def check(self) -> None:
        self.specs: dict[int | None, IndicatorSpec] = {}
        codes_seen: set[str] = set()
        for key, entry in zip(self.ind.keys, self.ind.entries, strict=True):
            row = entry.form
            if key == NEW and not (row.code.data or row.label_fr.data):
                for cell in row:
                    cell.errors = []
                continue
            code = (row.code.data or "").lower()
            if not code or not all(c.isalnum() or c == "_" for c in code) or len(code) > 40:
                row.code.errors.append(
                    str(_l("Un code de 1 à 40 lettres, chiffres ou « _ », par exemple meetings_held."))
                )
            elif code in codes_seen or self.taken.get(code, key) != key:
                row.code.errors.append(str(_l("Ce code est déjà utilisé par un autre indicateur.")))
            codes_seen.add(code)
            if not row.label_fr.data or len(row.label_fr.data) > 255:
                row.label_fr.errors.append(str(_l("Donnez le libellé français (255 caractères au plus).")))
            if len(row.label_en.data or "") > 255:
                row.label_en.errors.append(str(_l("255 caractères au plus.")))
            if row.unit.data not in {u.value for u in IndicatorUnit}:
                row.unit.errors.append(str(_l("Choisissez une unité.")))
            if row.kind.data not in {k.value for k in IndicatorKind}:
                row.kind.errors.append(str(_l("Choisissez le type de valeur.")))
            order = row.order.count if row.order.data else 0
            if not isinstance(order, int) or not 0 <= order <= 9999:
                row.order.errors.append(str(_l("Un ordre de 0 à 9999.")))
                order = 0
            self.specs[None if key == NEW else key] = IndicatorSpec(
                code=code,
                label_fr=row.label_fr.data or "",
                label_en=row.label_en.data or "",
                unit=row.unit.data or "",
                kind=row.kind.data or "",
                default_target=row.target.data,
                sort_order=order,
                active=bool(row.active.data) or key == NEW,
            )


class TargetsForm(_Grid, FlaskForm):
    """An agreement's own target per indicator (`target-17`); blank takes the program's."""

    target = KeyedFieldList(TargetField())

    @classmethod
    def of(cls, targets: dict[int, Decimal], indicators: list[Indicator], **kwargs: Any) -> TargetsForm:
        form = cls(**kwargs)
        form.target.set_keys([i.id for i in indicators], targets)
        return form

    def entries(self) -> dict[int, Decimal | None]:
        return self.target.data


class ProgramReportForm(FlaskForm):
    """Ask for the program report of a fiscal year (built in the background)."""

    fiscal_year = SelectField(_l("Exercice financier"), choices=[], validate_choice=True)
    language = SelectField(
        _l("Langue du rapport"),
        choices=[("fr", _l("Français")), ("en", _l("Anglais"))],
        default=current_language,  # the reader's language unless they choose the other
    )
