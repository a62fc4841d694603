"""Sign-in, password and invitation forms; messages in French, translated through gettext."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from grants.accounts.passwords import minimum_length
from grants.core.roles import MemberRole


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Adresse courriel"),
        validators=[InputRequired(message=_l("Entrez votre adresse courriel."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[InputRequired(message=_l("Entrez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Se connecter"))


class ResetRequestForm(FlaskForm):
    email = EmailField(
        _l("Adresse courriel"),
        validators=[
            InputRequired(message=_l("Entrez votre adresse courriel.")),
            Email(message=_l("Entrez une adresse courriel valide, par exemple nom@exemple.org.")),
        ],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Recevoir un lien de réinitialisation"))


def _strong_enough(form: FlaskForm, field: PasswordField) -> None:
    minimum = minimum_length()
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Le mot de passe doit compter au moins %(n)s caractères.", n=minimum))


def _password_help() -> str:
    return _("Au moins %(n)s caractères. Une phrase facile à retenir convient bien.", n=minimum_length())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[InputRequired(message=_l("Choisissez un mot de passe.")), _strong_enough],
        render_kw={"autocomplete": "new-password"},
        description=LazyString(_password_help),
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            InputRequired(message=_l("Entrez le mot de passe une seconde fois.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Enregistrer le mot de passe"))


class InvitationForm(FlaskForm):
    email = EmailField(
        _l("Adresse courriel de la personne"),
        validators=[
            InputRequired(message=_l("Entrez l'adresse courriel de la personne à inviter.")),
            Email(message=_l("Entrez une adresse courriel valide, par exemple nom@exemple.org.")),
            Length(max=255),
        ],
    )
    full_name = StringField(_l("Nom complet"), validators=[Length(max=255)])
    role = SelectField(
        _l("Rôle dans l'organisme"),
        choices=[(role.value, role.label) for role in MemberRole],
        default=MemberRole.CONTRIBUTOR.value,
    )
    language = SelectField(
        _l("Langue des courriels"),
        choices=[("fr", "Français"), ("en", "English")],
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
