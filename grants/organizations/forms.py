"""The organization profile form, with French messages that say what to fix."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from grants.core.fields import CheckboxListField
from grants.organizations.models import OrganizationKind
from grants.organizations.validation import (
    is_valid_neq,
    is_valid_postal_code,
    normalize_neq,
    normalize_postal_code,
)


def _one_per_line(label: str, description: str) -> TextAreaField:
    """An optional text area of names, one a line (2 000 characters at most)."""
    return TextAreaField(label, description=description, validators=[Optional(), Length(max=2000)])


class OrganizationForm(FlaskForm):
    version = HiddenField()
    legal_name = StringField(
        _l("Nom légal"),
        validators=[
            InputRequired(message=_l("Entrez le nom légal de l'organisme.")),
            Length(max=255, message=_l("Le nom ne peut dépasser 255 caractères.")),
        ],
    )
    aliases = _one_per_line(_l("Autres noms (sigle, ancien nom, nom d'usage)"), _l("Un nom par ligne."))
    neq = StringField(
        _l("Numéro d'entreprise du Québec (NEQ)"),
        description=_l("10 chiffres, par exemple 1234 567 890. Laissez vide si l'organisme n'en a pas."),
        filters=[normalize_neq],
    )
    kind = SelectField(_l("Type d'organisme"))
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=255)])
    city = StringField(_l("Municipalité"), validators=[Optional(), Length(max=120)])
    postal_code = StringField(
        _l("Code postal"),
        filters=[normalize_postal_code],
        render_kw={"autocomplete": "postal-code"},
    )
    region_code = SelectField(_l("Région administrative du siège"))
    regions_served = CheckboxListField(_l("Régions administratives desservies"))
    nations_served = CheckboxListField(_l("Nations desservies (Premières Nations et Inuit)"))
    communities_served = _one_per_line(
        _l("Communautés desservies"), _l("Par exemple : Kuujjuaq, Mashteuiatsh. Une par ligne.")
    )
    email = EmailField(
        _l("Courriel de l'organisme"),
        validators=[
            Optional(),
            Email(message=_l("Entrez une adresse courriel valide, par exemple info@exemple.org.")),
        ],
    )
    phone = StringField(_l("Téléphone"), validators=[Optional(), Length(max=40)])
    website = StringField(_l("Site Web"), validators=[Optional(), Length(max=255)])
    preferred_language = SelectField(
        _l("Langue de correspondance"),
        choices=[("fr", _l("Français")), ("en", _l("Anglais"))],
        default="fr",
        description=_l(
            "La langue de l'accusé de réception et des avis d'indexation. La convention reste en "
            "français, langue dans laquelle elle est signée."
        ),
    )
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args: object, regions: list, nations: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, kind.label) for kind in OrganizationKind]
        region_choices = [(r.code, r.label) for r in regions]
        self.region_code.choices = [("", _l("— Aucune (hors des 17 régions) —")), *region_choices]
        self.regions_served.choices = region_choices
        self.nations_served.choices = [(n.code, n.name) for n in nations]

    def validate_neq(self, field: StringField) -> None:
        if field.data and not is_valid_neq(field.data):
            raise ValidationError(
                _l(
                    "Le NEQ compte exactement 10 chiffres (vous en avez saisi %(n)s).",
                    n=sum(ch.isdigit() for ch in field.data),
                )
            )

    def validate_postal_code(self, field: StringField) -> None:
        if not is_valid_postal_code(field.data or ""):
            raise ValidationError(_l("Entrez un code postal canadien, par exemple H2X 1Y4."))
