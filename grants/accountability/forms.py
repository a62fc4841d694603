"""The report forms. Fixed fields are WTForms; the grids (indicators, financial statement, people
reached) are read cell by cell here, so a typo in one cell gives a message on that cell and every
other typed value is shown back as it was typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
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
from grants.core.fields import VersionField
from grants.organizations.forms import CheckboxListField
from grants.requests.models import BudgetCategory

TEXT_MAX = 20000
_TOO_LONG = _l("Ce texte dépasse %(max)d caractères.")
_DATE_MESSAGE = _l("Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31.")


class VersionedForm(FlaskForm):
    """Every form that changes a report carries the version of the page it came from."""

    version = VersionField()


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


class GridForm(VersionedForm):
    """Indicators and people reached: the cells are read by `read_indicators` / `read_people`."""


class FinancesForm(VersionedForm):
    unspent_explanation = TextAreaField(
        _l("Explication du solde non dépensé"),
        description=_l("Obligatoire quand le solde dépasse le seuil du programme."),
        validators=[Optional(), Length(max=TEXT_MAX, message=_TOO_LONG)],
    )


class AttachmentForm(VersionedForm):
    kind = SelectField(_l("Type de pièce jointe"), validate_choice=False)
    attachment = FileField(_l("Fichier à joindre"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in ReportAttachmentKind]


class ActionForm(VersionedForm):
    """Submit, accept, remove an attachment: a button and the page's version."""


class ExtensionForm(VersionedForm):
    due_date = StringField(
        _l("Nouvelle date d'échéance"),
        description=_l("AAAA-MM-JJ"),
        render_kw={"autocomplete": "off", "placeholder": "AAAA-MM-JJ"},
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
@dataclass
class Typed:
    """The cells as typed (shown back) and the message of each refused cell."""

    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _typed_amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".replace(".", ",")


def _typed_value(indicator: Indicator, value: Decimal | None) -> str:
    if value is None:
        return ""
    if IndicatorKind(indicator.kind) is IndicatorKind.COUNT or value == value.to_integral():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")


def read_indicators(formdata: Any, indicators: list[Indicator]) -> tuple[dict[int, IndicatorEntry], Typed]:
    typed, entries = Typed(), {}
    for indicator in indicators:
        name = f"indicator-{indicator.id}"
        text = formdata.get(name, "")
        comment = (formdata.get(f"{name}-comment", "") or "").strip()
        typed.raw[name], typed.raw[f"{name}-comment"] = text, comment
        value, message = read_indicator(indicator, text)
        if message:
            typed.errors[name] = message
        elif len(comment) > 2000:
            typed.errors[f"{name}-comment"] = str(_l("Ce commentaire dépasse 2 000 caractères."))
        else:
            entries[indicator.id] = IndicatorEntry(value, comment)
    return entries, typed


def typed_indicators(report: Report, indicators: list[Indicator]) -> Typed:
    typed = Typed()
    values = {v.indicator_id: v for v in report.indicator_values}
    for indicator in indicators:
        value = values.get(indicator.id)
        typed.raw[f"indicator-{indicator.id}"] = _typed_value(indicator, value.achieved if value else None)
        typed.raw[f"indicator-{indicator.id}-comment"] = value.comment if value else ""
    return typed


def read_finances(formdata: Any, approved: dict[BudgetCategory, Decimal]) -> tuple[dict, Typed]:
    typed, entries = Typed(), {}
    sums = {"spent": Decimal(0), "committed": Decimal(0)}
    for category in approved:
        values = {}
        for column in ("spent", "committed"):
            name = f"{column}-{category.value}"
            typed.raw[name] = formdata.get(name, "")
            value, message = read_money(typed.raw[name])
            if message:
                typed.errors[name] = message
            values[column] = value
            sums[column] += value or Decimal(0)
        entries[category] = FinanceEntry(values["spent"], values["committed"])
    for column in ("spent", "committed"):
        name = f"total-{column}"
        typed.raw[name] = formdata.get(name, "")
        declared, message = read_money(typed.raw[name])
        if message:
            typed.errors[name] = message
        elif declared is not None and not any(n.startswith(column) for n in typed.errors):
            mismatch = total_mismatch(sums[column], declared)
            if mismatch:
                typed.errors[name] = mismatch
    return entries, typed


def typed_finances(report: Report) -> Typed:
    typed = Typed()
    spent = committed = Decimal(0)
    for line in report.finance_lines:
        typed.raw[f"spent-{line.category}"] = _typed_amount(line.spent)
        typed.raw[f"committed-{line.category}"] = _typed_amount(line.committed)
        spent += line.spent or Decimal(0)
        committed += line.committed or Decimal(0)
    if report.finance_lines:
        typed.raw["total-spent"] = _typed_amount(spent)
        typed.raw["total-committed"] = _typed_amount(committed)
    return typed


def read_people(formdata: Any, variables: list[adsplus.Variable]) -> tuple[PeopleData, Typed]:
    typed = Typed()
    typed.raw["people_total"] = formdata.get("people_total", "")
    total = read_count(typed.raw["people_total"])
    message = total_problem(total)
    if message:
        typed.errors["people_total"] = message
    counts: dict[str, dict[str, int]] = {}
    explanations: dict[str, str] = {}
    for variable in variables:
        typed_counts: dict[str, int | str] = {}
        for category in variable.categories:
            name = f"reach-{variable.code}-{category.code}"
            typed.raw[name] = formdata.get(name, "")
            value = read_count(typed.raw[name])
            if value is not None:
                typed_counts[category.code] = value
        name = f"explain-{variable.code}"
        explanation = (formdata.get(name, "") or "").strip()
        typed.raw[name] = explanation
        if len(explanation) > 2000:
            typed.errors[name] = str(_l("Cette explication dépasse 2 000 caractères."))
        for field_name, problem in breakdown_problems(
            total if "people_total" not in typed.errors else None,
            typed_counts,
            explanation,
            variable,
            complete=False,
        ):
            typed.errors.setdefault(field_name, problem)
        counts[variable.code] = {c: v for c, v in typed_counts.items() if isinstance(v, int)}
        if explanation:
            explanations[variable.code] = explanation
    data = PeopleData(total if isinstance(total, int) else None, counts, explanations)
    return data, typed


def typed_people(report: Report, variables: list[adsplus.Variable]) -> Typed:
    typed = Typed()
    typed.raw["people_total"] = "" if report.people_total is None else str(report.people_total)
    for variable in variables:
        for code, count in report.reach_of(variable.code).items():
            typed.raw[f"reach-{variable.code}-{code}"] = str(count)
        typed.raw[f"explain-{variable.code}"] = (report.reach_explanations or {}).get(variable.code, "")
    return typed


# -- the officer's indicator grid ----------------------------------------------------------------------
def read_indicator_specs(
    formdata: Any, indicators: list[Indicator]
) -> tuple[dict[int | None, IndicatorSpec], Typed]:
    """Each existing indicator's row, plus the blank row `new` that adds one when its code is typed."""
    typed, specs = Typed(), {}
    rows: list[tuple[str, int | None]] = [(str(i.id), i.id) for i in indicators] + [("new", None)]
    codes_seen: set[str] = set()
    for key, indicator_id in rows:
        prefix = f"ind-{key}-"
        raw = {
            name: (formdata.get(prefix + name, "") or "").strip()
            for name in (
                "code",
                "label_fr",
                "label_en",
                "unit",
                "kind",
                "target",
                "order",
            )
        }
        raw["active"] = "1" if formdata.get(prefix + "active") else ""
        typed.raw.update({prefix + name: value for name, value in raw.items()})
        if indicator_id is None and not (raw["code"] or raw["label_fr"]):
            continue
        code = raw["code"].lower()
        if not code or not all(c.isalnum() or c == "_" for c in code) or len(code) > 40:
            typed.errors[prefix + "code"] = str(
                _l("Un code de 1 à 40 lettres, chiffres ou « _ », par exemple meetings_held.")
            )
        elif code in codes_seen:
            typed.errors[prefix + "code"] = str(_l("Ce code est déjà utilisé par un autre indicateur."))
        codes_seen.add(code)
        if not raw["label_fr"] or len(raw["label_fr"]) > 255:
            typed.errors[prefix + "label_fr"] = str(
                _l("Donnez le libellé français (255 caractères au plus).")
            )
        if len(raw["label_en"]) > 255:
            typed.errors[prefix + "label_en"] = str(_l("255 caractères au plus."))
        if raw["unit"] not in {u.value for u in IndicatorUnit}:
            typed.errors[prefix + "unit"] = str(_l("Choisissez une unité."))
        if raw["kind"] not in {k.value for k in IndicatorKind}:
            typed.errors[prefix + "kind"] = str(_l("Choisissez le type de valeur."))
        target, message = read_money(raw["target"])
        if message:
            typed.errors[prefix + "target"] = str(_l("Entrez une cible positive, par exemple 12 ou 12,5."))
        order = read_count(raw["order"]) if raw["order"] else 0
        if not isinstance(order, int) or order < 0 or order > 9999:
            typed.errors[prefix + "order"] = str(_l("Un ordre de 0 à 9999."))
            order = 0
        specs[indicator_id] = IndicatorSpec(
            code=code,
            label_fr=raw["label_fr"],
            label_en=raw["label_en"],
            unit=raw["unit"],
            kind=raw["kind"],
            default_target=target,
            sort_order=order,
            active=bool(raw["active"]) or indicator_id is None,
        )
    return specs, typed


def typed_indicator_specs(indicators: list[Indicator]) -> Typed:
    typed = Typed()
    for indicator in indicators:
        prefix = f"ind-{indicator.id}-"
        typed.raw.update(
            {
                prefix + "code": indicator.code,
                prefix + "label_fr": indicator.label_fr,
                prefix + "label_en": indicator.label_en,
                prefix + "unit": indicator.unit,
                prefix + "kind": indicator.kind,
                prefix + "target": _typed_amount(indicator.default_target).removesuffix(",00"),
                prefix + "order": str(indicator.sort_order),
                prefix + "active": "1" if indicator.active else "",
            }
        )
    typed.raw["ind-new-unit"] = IndicatorUnit.OTHER.value
    typed.raw["ind-new-kind"] = IndicatorKind.COUNT.value
    return typed


def read_targets(formdata: Any, indicators: list[Indicator]) -> tuple[dict[int, Decimal | None], Typed]:
    typed, targets = Typed(), {}
    for indicator in indicators:
        name = f"target-{indicator.id}"
        typed.raw[name] = formdata.get(name, "")
        value, message = read_money(typed.raw[name])
        if message:
            typed.errors[name] = str(_l("Entrez une cible positive, par exemple 12 ou 12,5."))
        else:
            targets[indicator.id] = value
    return targets, typed


def typed_targets(targets: dict[int, Decimal], indicators: list[Indicator]) -> Typed:
    typed = Typed()
    for indicator in indicators:
        typed.raw[f"target-{indicator.id}"] = _typed_amount(targets.get(indicator.id)).removesuffix(",00")
    return typed
