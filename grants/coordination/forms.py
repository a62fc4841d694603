"""The coordination cell's forms (WTForms, CSRF on): upload an import file, confirm a withdrawal,
the victims' axis floor, the budget dashboard's PDF."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired

from grants.core.i18n import current_language


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV"),
        validators=[FileRequired(_l("Choisissez un fichier CSV."))],
    )


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme le retrait : ses lignes sont supprimées ou reprennent leur version précédente."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le retrait."))],
    )


_PERCENT = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?$", re.ASCII)


class PercentField(StringField):
    """A percentage typed the Quebec way (`20`, `12,5`, `12,5 %`), from 0 to 100, two decimals at most."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = valuelist[0] if valuelist else ""
        text = re.sub(r"[\s\u00a0\u202f]+", "", self.raw_text).removesuffix("%")
        self.data = None
        if not text:
            raise ValueError(_l("Indiquez un pourcentage."))
        if not _PERCENT.fullmatch(text):
            raise ValueError(_l("Entrez un pourcentage de 0 à 100, par exemple 20 ou 12,5."))
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation as error:  # pragma: no cover - the pattern already refused it
            raise ValueError(_l("Entrez un pourcentage de 0 à 100, par exemple 20 ou 12,5.")) from error
        if value > 100:
            raise ValueError(_l("Un pourcentage ne dépasse pas 100."))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        value = Decimal(self.data).normalize()
        return format(value, "f").replace(".", ",")


class FloorForm(FlaskForm):
    """The floor of the victims' axis share (brief, recommendation 6: at least 20 %)."""

    floor = PercentField(
        _l("Plancher de l'axe des personnes victimes (%)"),
        description=_l("La part minimale du budget engagé qui devrait aller à l'axe des personnes victimes."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class BudgetReportForm(FlaskForm):
    """Ask for the dashboard's PDF (built in the background)."""

    period = SelectField(_l("Période"), choices=[], validate_choice=True)
    language = SelectField(
        _l("Langue du rapport"),
        choices=[("fr", _l("Français")), ("en", _l("Anglais"))],
        default=current_language,  # the reader's language unless they choose the other
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.period.choices = choices
