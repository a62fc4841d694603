"""Sign-in, password and invitation forms; messages in French, translated through gettext."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from grants.accounts.operations import GLOBAL_STAFF_ROLES
from grants.accounts.passwords import minimum_length
from grants.core.fields import CheckboxListField
from grants.core.roles import MemberRole


def _required(
    field: type, label: Any, missing: Any, *checks: Any, autocomplete: str = "", **options: Any
) -> Any:
    """A field that must be filled in (`missing` says what to type), then passes `checks`; with the
    browser's autocomplete hint when there is one."""
    if autocomplete:
        options["render_kw"] = {"autocomplete": autocomplete}
    return field(label, validators=[InputRequired(message=missing), *checks], **options)


_VALID_EMAIL = Email(message=_l("Entrez une adresse courriel valide, par exemple nom@exemple.org."))


def _own_address(*checks: Any, autocomplete: str) -> Any:
    """The person's own address (to sign in, to reset the password)."""
    label, missing = _l("Adresse courriel"), _l("Entrez votre adresse courriel.")
    return _required(EmailField, label, missing, *checks, autocomplete=autocomplete)


class SignInForm(FlaskForm):
    email = _own_address(autocomplete="username")
    password = _required(
        PasswordField, _l("Mot de passe"), _l("Entrez votre mot de passe."), autocomplete="current-password"
    )
    submit = SubmitField(_l("Se connecter"))


class ResetRequestForm(FlaskForm):
    email = _own_address(_VALID_EMAIL, autocomplete="email")
    submit = SubmitField(_l("Recevoir un lien de réinitialisation"))


def _strong_enough(form: FlaskForm, field: PasswordField) -> None:
    minimum = minimum_length()
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Le mot de passe doit compter au moins %(n)s caractères.", n=minimum))


def _password_help() -> str:
    return _("Au moins %(n)s caractères. Une phrase facile à retenir convient bien.", n=minimum_length())


class NewPasswordForm(FlaskForm):
    password = _required(
        PasswordField,
        _l("Nouveau mot de passe"),
        _l("Choisissez un mot de passe."),
        _strong_enough,
        autocomplete="new-password",
        description=LazyString(_password_help),
    )
    confirm = _required(
        PasswordField,
        _l("Confirmez le mot de passe"),
        _l("Entrez le mot de passe une seconde fois."),
        EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        autocomplete="new-password",
    )
    submit = SubmitField(_l("Enregistrer le mot de passe"))


class InvitationForm(FlaskForm):
    email = _required(
        EmailField,
        _l("Adresse courriel de la personne"),
        _l("Entrez l'adresse courriel de la personne à inviter."),
        _VALID_EMAIL,
        Length(max=255),
    )
    full_name = StringField(_l("Nom complet"), validators=[Length(max=255)])
    role = SelectField(
        _l("Rôle dans l'organisme"),
        choices=[(role.value, label) for role, label in MemberRole.labels().items()],
        default=MemberRole.CONTRIBUTOR.value,
    )
    language = SelectField(
        _l("Langue des courriels"),
        choices=[("fr", "Français", {"lang": "fr"}), ("en", "English", {"lang": "en"})],
        default="fr",
    )
    submit = SubmitField(_l("Envoyer l'invitation"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Labels are lazy: rebuild choices in the request's language.
        self.role.choices = [(role.value, role.label) for role in MemberRole]


class InvitationAnswerForm(FlaskForm):
    """The invited person's answer: two buttons, one form (CSRF-protected)."""

    accept = SubmitField(_l("Accepter l'invitation"))
    decline = SubmitField(_l("Refuser l'invitation"))


# -- account administration -------------------------------------------------------------------------
class StaffAccessForm(FlaskForm):
    """An account's ministry roles, its programs (as program officer) and its budget authority."""

    roles = CheckboxListField(_l("Rôles au ministère"))
    programs = CheckboxListField(_l("Programmes confiés (agent·e de programme)"), coerce=int)
    authority = CheckboxListField(
        _l("Autorité budgétaire déléguée"),
        coerce=int,
        description=_l("Seulement sur des programmes confiés à la personne."),
    )
    submit = SubmitField(_l("Enregistrer les accès"))

    def __init__(self, *args: Any, programs: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = [(role.value, role.label) for role in GLOBAL_STAFF_ROLES]
        self.programs.choices = programs
        self.authority.choices = programs

    def validate_authority(self, field: Any) -> None:
        if set(field.data or ()) - set(self.programs.data or ()):
            raise ValidationError(
                _("L'autorité budgétaire ne vaut que sur un programme confié à la personne.")
            )


class ConfirmForm(FlaskForm):
    """A button that changes something (deactivate, reactivate, send again): only the CSRF token."""
