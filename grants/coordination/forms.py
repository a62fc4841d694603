"""The coordination cell's forms: upload an import file, confirm a withdrawal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV"),
        validators=[FileRequired(_l("Choisissez un fichier CSV."))],
    )


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme le retrait : les lignes de cette importation seront supprimées."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le retrait."))],
    )
