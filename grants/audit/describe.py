"""The audit trail in words: one sentence per action, each changed field with its label and its
old and new values written as everywhere else (grants.core.formatting).

This part needs no database: it turns an action key, an actor's name, an object's reference and
the stored `changes` into text. Which object and which person an entry names is looked up in
grants.audit.objects.

Every action key the code records has its sentence in SENTENCES (tests/test_audit_trail_pages.py
fails on a key without one); an unknown key still reads as a sentence (GENERIC).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from grants.core import formatting
from grants.cpi.rates import input_label

EMPTY = "\u2014"
"""An absent value (None, empty text, empty list) is an em dash."""

# -- the sentences ------------------------------------------------------------------------------
SENTENCES: dict[str, Any] = {
    # requests
    "request.created": _l("%(actor)s a créé la demande %(object)s"),
    "request.saved": _l("%(actor)s a enregistré la demande %(object)s"),
    "request.attachment_added": _l("%(actor)s a joint une pièce à la demande %(object)s"),
    "request.attachment_removed": _l("%(actor)s a retiré une pièce de la demande %(object)s"),
    "request.submit": _l("%(actor)s a déposé la demande %(object)s"),
    "request.withdraw": _l("%(actor)s a retiré la demande %(object)s"),
    "request.start_review": _l("%(actor)s a commencé l'analyse de la demande %(object)s"),
    "request.assigned": _l("%(actor)s a confié l'analyse de la demande %(object)s"),
    "request.scored": _l("%(actor)s a noté la grille d'analyse de la demande %(object)s"),
    "request.request_info": _l("%(actor)s a demandé de l'information sur la demande %(object)s"),
    "request.provide_info": _l("%(actor)s a transmis l'information demandée pour la demande %(object)s"),
    "request.recommend": _l("%(actor)s a formulé la recommandation sur la demande %(object)s"),
    "request.reopen_review": _l("%(actor)s a rouvert l'analyse de la demande %(object)s"),
    "request.approve": _l("%(actor)s a accepté la demande %(object)s"),
    "request.refuse": _l("%(actor)s a refusé la demande %(object)s"),
    # agreements
    "agreement.created": _l("%(actor)s a préparé la convention %(object)s"),
    "agreement.version_sent": _l("%(actor)s a envoyé la convention %(object)s à l'organisme"),
    "agreement.accept": _l("%(actor)s a accepté la convention %(object)s au nom de l'organisme"),
    "agreement.countersign": _l("%(actor)s a contresigné la convention %(object)s"),
    "agreement.supersede": _l("%(actor)s a remplacé une version de la convention %(object)s par un avenant"),
    "agreement.amended": _l("%(actor)s a modifié la convention %(object)s par un avenant"),
    "agreement.indexed": _l("%(actor)s a indexé la convention %(object)s"),
    "agreement.indexation_reversed": _l("%(actor)s a annulé l'indexation de la convention %(object)s"),
    "indicator_targets.saved": _l("%(actor)s a fixé les cibles des indicateurs de la convention %(object)s"),
    # installments
    "installments.scheduled": _l(
        "%(actor)s a établi le calendrier des versements de la convention %(object)s"
    ),
    "installments.edited": _l("%(actor)s a modifié les versements de la convention %(object)s"),
    "installments.rebalanced": _l("%(actor)s a rééquilibré les versements de la convention %(object)s"),
    "installment.authorize": _l("%(actor)s a autorisé le versement %(object)s"),
    "installment.pay": _l("%(actor)s a inscrit le versement %(object)s comme payé"),
    "installment.hold": _l("%(actor)s a retenu le versement %(object)s"),
    "installment.release": _l("%(actor)s a levé la retenue sur le versement %(object)s"),
    "installment.cancel": _l("%(actor)s a annulé le versement %(object)s"),
    # accountability
    "report.reminder_queued": _l("%(actor)s a envoyé un rappel pour le rapport %(object)s"),
    "report.reminder_withdrawn": _l("%(actor)s a retiré un rappel devenu inutile pour le rapport %(object)s"),
    "report.scheduled": _l("%(actor)s a inscrit au calendrier le rapport %(object)s"),
    "report.rescheduled": _l("%(actor)s a modifié le calendrier du rapport %(object)s"),
    "report.start": _l("%(actor)s a commencé le rapport %(object)s"),
    "report.saved": _l("%(actor)s a enregistré le rapport %(object)s"),
    "report.submit": _l("%(actor)s a déposé le rapport %(object)s"),
    "report.request_changes": _l("%(actor)s a demandé des corrections au rapport %(object)s"),
    "report.accept": _l("%(actor)s a accepté le rapport %(object)s"),
    "report.cancel": _l("%(actor)s a annulé le rapport %(object)s"),
    "report.reinstate": _l("%(actor)s a rétabli le rapport %(object)s"),
    "report.due_date_extended": _l("%(actor)s a reporté l'échéance du rapport %(object)s"),
    "report.installments_held": _l("%(actor)s a retenu les versements liés au rapport %(object)s"),
    "report.installments_released": _l("%(actor)s a libéré les versements liés au rapport %(object)s"),
    "report.attachment_added": _l("%(actor)s a joint une pièce au rapport %(object)s"),
    "report.attachment_removed": _l("%(actor)s a retiré une pièce du rapport %(object)s"),
    "report.pdf_stored": _l("%(actor)s a archivé le PDF du rapport %(object)s"),
    "report_settings.saved": _l(
        "%(actor)s a modifié les paramètres de reddition de comptes du programme %(object)s"
    ),
    "indicators.saved": _l("%(actor)s a modifié les indicateurs du programme %(object)s"),
    # programs, calls, envelopes
    "call.created": _l("%(actor)s a créé l'appel %(object)s"),
    "call.updated": _l("%(actor)s a modifié l'appel %(object)s"),
    "envelope.created": _l("%(actor)s a fixé l'enveloppe %(object)s"),
    "envelope.updated": _l("%(actor)s a modifié l'enveloppe %(object)s"),
    "envelope.overridden": _l("%(actor)s a autorisé un dépassement d'enveloppe pour %(object)s"),
    # indexation and CPI
    "indexation.rule_changed": _l("%(actor)s a modifié la règle d'indexation du programme %(object)s"),
    "indexation.fixed_rate_set": _l("%(actor)s a fixé le taux d'indexation du programme %(object)s"),
    "indexation.previewed": _l("%(actor)s a préparé l'indexation %(object)s"),
    "indexation.approved": _l("%(actor)s a approuvé l'indexation %(object)s"),
    "indexation.cancelled": _l("%(actor)s a écarté l'indexation %(object)s"),
    "job.start": _l("%(actor)s a lancé la tâche %(object)s"),
    # the coordination cell
    "coordination.flag_reviewed": _l("%(actor)s a rendu une décision sur le signalement %(object)s"),
    "coordination.entity_confirmed": _l(
        "%(actor)s a confirmé que deux enregistrements désignent le même organisme (%(object)s)"
    ),
    "coordination.entity_split": _l("%(actor)s a séparé deux enregistrements d'organismes (%(object)s)"),
    "job.finish": _l("La tâche %(object)s est terminée"),
    "job.fail": _l("La tâche %(object)s a échoué"),
    # the coordination cell
    "coordination.floor_changed": _l(
        "%(actor)s a modifié le plancher de l'axe des personnes victimes (%(object)s)"
    ),
    "indexation.applied": _l("%(actor)s a appliqué l'indexation %(object)s"),
    "indexation.reversed": _l("%(actor)s a annulé l'indexation %(object)s"),
    # the run's state table (RUNS) moves without its own entry today; the words are ready
    "indexation.approve": _l("%(actor)s a approuvé l'indexation %(object)s"),
    "indexation.apply": _l("%(actor)s a appliqué l'indexation %(object)s"),
    "indexation.cancel": _l("%(actor)s a écarté l'indexation %(object)s"),
    "indexation.reverse": _l("%(actor)s a annulé l'indexation %(object)s"),
    # coordination cell: imports of other ministries' funding
    "funding_import.created": _l("%(actor)s a déposé le fichier de financement %(object)s"),
    "funding_import.loaded": _l("%(actor)s a chargé le fichier de financement %(object)s"),
    "funding_import.refused": _l("Le fichier de financement %(object)s a été refusé"),
    "funding_import.withdrawn": _l("%(actor)s a retiré l'importation %(object)s"),
    "cpi.imported": _l("%(actor)s a importé les valeurs de l'IPC dans la série %(object)s"),
    "cpi.month_set": _l("%(actor)s a corrigé une valeur de l'IPC dans la série %(object)s"),
    # organizations and accounts
    "organization.created": _l("%(actor)s a créé l'organisme %(object)s"),
    "organization.updated": _l("%(actor)s a modifié l'organisme %(object)s"),
    "membership.created": _l("%(actor)s a ajouté le membre %(object)s"),
    "membership.role_changed": _l("%(actor)s a changé le rôle du membre %(object)s"),
    "membership.invited": _l("%(actor)s a invité %(object)s"),
    "membership.invitation_accepted": _l("%(actor)s a accepté l'invitation %(object)s"),
    "membership.invitation_declined": _l("%(actor)s a décliné l'invitation %(object)s"),
    "user.created": _l("%(actor)s a créé le compte %(object)s"),
    "user.staff_role_granted": _l("%(actor)s a donné un rôle au ministère au compte %(object)s"),
    "user.staff_role_revoked": _l("%(actor)s a retiré un rôle au ministère au compte %(object)s"),
    "user.budget_authority_changed": _l(
        "%(actor)s a changé l'autorité budgétaire déléguée du compte %(object)s"
    ),
    "user.deactivated": _l("%(actor)s a désactivé le compte %(object)s"),
    "user.reactivated": _l("%(actor)s a réactivé le compte %(object)s"),
    "user.signed_in": _l("%(actor)s s'est connecté·e"),
    "user.signed_out": _l("%(actor)s s'est déconnecté·e"),
    "user.locked": _l("%(actor)s a verrouillé le compte %(object)s après trop d'essais"),
    "user.password_reset_requested": _l(
        "%(actor)s a demandé un nouveau mot de passe pour le compte %(object)s"
    ),
    "user.password_set": _l("%(actor)s a choisi un mot de passe pour le compte %(object)s"),
}

GENERIC = _l("%(actor)s a fait l'action « %(action)s » sur %(object)s")
"""An action without its sentence still reads as one (and a test names it)."""

FAMILIES: dict[str, Any] = {
    "request.": _l("Demandes"),
    "agreement.": _l("Conventions"),
    "installment": _l("Versements"),
    "report.": _l("Rapports de reddition de comptes"),
    "indexation.": _l("Indexation"),
    "cpi.": _l("IPC"),
    "funding_import.": _l("Financement des autres ministères"),
    "envelope.": _l("Enveloppes"),
    "call.": _l("Appels"),
    "organization.": _l("Organismes"),
    "membership.": _l("Membres des organismes"),
    "user.": _l("Comptes"),
}
"""Groups of actions a reader filters by (an action key starts with the group's prefix)."""

SYSTEM_ACTOR = _l("Le système")


def actor_text(name: str | None) -> str:
    return name if name and name != "system" else str(SYSTEM_ACTOR)


def sentence(action: str, actor: str, obj: str) -> str:
    """The entry as one sentence of plain text (the CSV; tests)."""
    template = SENTENCES.get(action)
    if template is None:
        return str(GENERIC) % {"actor": actor, "object": obj or EMPTY, "action": action}
    return str(template) % {"actor": actor, "object": obj or EMPTY}


def sentence_markup(action: str, actor: str, obj: Markup | str) -> Markup:
    """The same sentence for a page: the object may be a link (Markup); the rest is escaped."""
    template = SENTENCES.get(action)
    values = {"actor": actor, "object": obj or EMPTY, "action": action}
    text = str(GENERIC if template is None else template)
    return Markup(escape(text)) % values


# -- fields --------------------------------------------------------------------------------------
FIELD_LABELS: dict[str, Any] = {
    "status": _l("État"),
    "reference": _l("Numéro"),
    "number": _l("Numéro"),
    "program": _l("Programme"),
    "program_id": _l("Programme"),
    "call": _l("Appel"),
    "request": _l("Demande"),
    "title": _l("Titre"),
    "title_fr": _l("Titre"),
    "summary": _l("Résumé"),
    "objectives": _l("Objectifs"),
    "target_populations": _l("Populations visées"),
    "measures": _l("Mesures du plan"),
    "regions": _l("Régions"),
    "nations": _l("Nations"),
    "start_date": _l("Début"),
    "end_date": _l("Fin"),
    "amounts": _l("Montants demandés"),
    "budget": _l("Budget"),
    "other_funding": _l("Autres sources de financement"),
    "amount": _l("Montant"),
    "annual_amount": _l("Montant annuel"),
    "total": _l("Total"),
    "fiscal_year": _l("Exercice"),
    "version": _l("Version"),
    "kind": _l("Type"),
    "reason": _l("Motif"),
    "comment": _l("Commentaire"),
    "assignee": _l("Agent·e responsable"),
    "sections": _l("Sections"),
    "message": _l("Message"),
    "file": _l("Fichier"),
    "size": _l("Taille (octets)"),
    "file_name": _l("Nom du fichier"),
    "lines_loaded": _l("Lignes chargées"),
    "lines_unchanged": _l("Lignes inchangées"),
    "lines_refused": _l("Lignes refusées"),
    "lines_removed": _l("Lignes supprimées"),
    "lines_restored": _l("Lignes remises dans leur version précédente"),
    "same": _l("Même organisme"),
    "a": _l("Enregistrement A"),
    "b": _l("Enregistrement B"),
    "sha256": _l("Empreinte SHA-256"),
    "installments": _l("Versements"),
    "sequence": _l("Numéro du versement"),
    "trigger": _l("Déclencheur"),
    "planned_date": _l("Date prévue"),
    "paid_on": _l("Payé le"),
    "payment_reference": _l("Référence du paiement"),
    "released_reason": _l("Motif de la retenue levée"),
    "signed_file": _l("Fichier signé"),
    "before": _l("Avant"),
    "after": _l("Après"),
    "due_date": _l("Échéance"),
    "scheduled_due": _l("Échéance prévue au calendrier"),
    "period_start": _l("Début de la période"),
    "period_end": _l("Fin de la période"),
    "statement_type": _l("Type d'états financiers"),
    "victims_floor_percent": _l("Plancher de l'axe des personnes victimes (%)"),
    "grace_days": _l("Jours de grâce"),
    "section": _l("Section"),
    "explanation": _l("Explication"),
    "percent": _l("Taux (%)"),
    "rate_percent": _l("Taux (%)"),
    "source": _l("Source"),
    "run": _l("Exécution d'indexation"),
    "month": _l("Mois"),
    "value": _l("Valeur"),
    "inputs": _l("Valeurs de l'IPC"),
    "layout": _l("Présentation du fichier"),
    "overruns": _l("Dépassements"),
    "available": _l("Disponible"),
    "asked": _l("Demandé"),
    "continuous": _l("Dépôt en continu"),
    "opens_at": _l("Ouverture"),
    "closes_at": _l("Fermeture"),
    "annual_max": _l("Maximum annuel"),
    "years_max": _l("Nombre d'années maximal"),
    "eligible_kinds": _l("Types d'organismes admissibles"),
    "eligible_regions": _l("Régions admissibles"),
    "eligible_nations": _l("Nations admissibles"),
    "legal_name": _l("Nom légal"),
    "aliases": _l("Autres noms"),
    "neq": _l("NEQ"),
    "address": _l("Adresse"),
    "city": _l("Ville"),
    "postal_code": _l("Code postal"),
    "region_code": _l("Région"),
    "regions_served": _l("Régions desservies"),
    "nations_served": _l("Nations desservies"),
    "communities_served": _l("Communautés desservies"),
    "email": _l("Courriel"),
    "phone": _l("Téléphone"),
    "website": _l("Site Web"),
    "preferred_language": _l("Langue de correspondance"),
    "user": _l("Compte"),
    "role": _l("Rôle"),
    "via": _l("Par"),
    "signatory": _l("Signataire"),
    "ip": _l("Adresse IP"),
    "failed_logins": _l("Essais refusés"),
    "active": _l("Actif"),
    "can_authorize": _l("Autorité budgétaire déléguée"),
    "locked_until": _l("Verrouillé jusqu'au"),
    "approved": _l("Accordé"),
    "recommendation": _l("Recommandation"),
    "decision": _l("Décision"),
    "conditions": _l("Conditions"),
    "count": _l("Nombre"),
    "difference": _l("Écart"),
    # an indexation rate and rule
    "method": _l("Méthode"),
    "period": _l("Période"),
    "floored": _l("Variation négative ramenée à 0"),
    "label": _l("Libellé"),
    "series_id": _l("Série de l'IPC"),
    "reference_month": _l("Mois de référence"),
    "rounding": _l("Arrondi des montants"),
    "floor_at_zero": _l("Variation négative ramenée à 0"),
    "decimals": _l("Décimales du taux"),
    "rate": _l("Taux"),
    "grants": _l("Nombre de subventions"),
    "indexed": _l("Subventions indexées"),
    "excluded": _l("Subventions exclues"),
    "reasons": _l("Motifs"),
    "comments": _l("Commentaires"),
    "resubmission": _l("Nouveau dépôt"),
    "counts": _l("Personnes rejointes"),
    "activities": _l("Activités réalisées"),
    "results": _l("Résultats"),
}

MONEY_FIELDS = frozenset(
    {
        "amount",
        "annual_amount",
        "amounts",
        "budget",
        "total",
        "available",
        "asked",
        "annual_max",
        "approved",
        "difference",
        "total_asked",
        "requested_amount",
    }
)
PERCENT_FIELDS = frozenset({"percent", "rate_percent", "victims_floor_percent"})

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
MONEY_TEXT = re.compile(r"^-?\d+\.\d{2}$")
DECIMAL_TEXT = re.compile(r"^-?\d+\.\d$")
FISCAL_YEAR = re.compile(r"^\d{4}-\d{4}$")


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    if label is not None:
        return str(label)
    coded = _coded_label(key)
    if coded is not None:
        return coded
    # A key that is already words (a grid criterion's name) keeps its capitals: only the first
    # letter is raised (`capitalize()` wrote « premières nations et inuit »).
    text = key.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:] or key


def _coded_label(key: str) -> str | None:
    """A key that is a code people read by its label: a budget line of a report's financial
    statement (`salaries`), an ADS+ count (`gender.woman`)."""
    from grants.accountability.adsplus import variable
    from grants.requests.models import BudgetCategory

    try:
        return BudgetCategory(key).label
    except ValueError:
        pass
    code, dot, category = key.partition(".")
    if dot:
        try:
            found = variable(code)
            return f"{found.label} – {found.category(category).label}"
        except KeyError:
            return None
    return None


def _status_labels() -> dict[str, Callable[[str], str]]:
    """`status` values by action family, read through each feature's enum labels."""
    from grants.accountability.workflow import ReportStatus
    from grants.agreements.workflow import AgreementStatus
    from grants.coordination.models import ImportStatus
    from grants.core.jobs import JobStatus
    from grants.indexation.models import RunStatus
    from grants.payments.workflow import InstallmentStatus
    from grants.requests.workflow import RequestStatus

    return {
        "request": lambda v: RequestStatus(v).label,
        "agreement": lambda v: AgreementStatus(v).label,
        "installment": lambda v: InstallmentStatus(v).label,
        "installments": lambda v: InstallmentStatus(v).label,
        "report": lambda v: ReportStatus(v).label,
        "indexation": lambda v: RunStatus(v).label,
        "funding_import": lambda v: ImportStatus(v).label,
        "job": lambda v: JobStatus(v).label,
    }


def _enum_labels() -> dict[str, Callable[[str], str]]:
    """Other coded values people read by their label, whatever the action."""
    from grants.agreements.models import VersionKind
    from grants.agreements.obligations import StatementType
    from grants.core.roles import MemberRole, StaffRole
    from grants.cpi.rates import RateMethod
    from grants.indexation.models import Rounding
    from grants.payments.models import InstallmentTrigger
    from grants.requests.models import Recommendation

    def role(value: str) -> str:
        for enum in (MemberRole, StaffRole):
            try:
                return enum(value).label
            except ValueError:
                continue
        raise ValueError(value)

    return {
        "method": lambda v: RateMethod(v).label,
        "rounding": lambda v: Rounding(v).label,
        "statement_type": lambda v: StatementType(v).label,
        "recommendation": lambda v: Recommendation(v).label,
        "role": role,
        "trigger": lambda v: InstallmentTrigger(v).label,
        "version_kind": lambda v: VersionKind(v).label,
        "preferred_language": lambda v: {"fr": _("Français"), "en": _("Anglais")}[v],
    }


def _job_kinds() -> dict[str, Any]:
    """What each kind of background job does, in words (`job.start` records its kind)."""
    from grants.accountability.program_report import JOB_KIND as PROGRAM_REPORT
    from grants.coordination.budget_report import JOB_KIND as BUDGET_REPORT
    from grants.coordination.imports import JOB_KIND as FUNDING_IMPORT
    from grants.coordination.matching_run import JOB_KIND as MATCHING

    return {
        PROGRAM_REPORT: _l("Rapport de programme (PDF)"),
        BUDGET_REPORT: _l("Rapport du budget par axe (PDF)"),
        FUNDING_IMPORT: _l("Importation de financement des autres ministères"),
        MATCHING: _l("Rapprochement des organismes et signalements"),
    }


def _labelled(action: str, key: str, value: str) -> str | None:
    family = action.split(".", 1)[0]
    try:
        if key in ("section", "sections"):
            from grants.accountability.models import ReportSection
            from grants.requests.models import RequestSection

            return (ReportSection if family == "report" else RequestSection)(value).label
        if key == "status":
            reader = _status_labels().get(family)
            return reader(value) if reader else None
        reader = _enum_labels().get(key)
        if reader is None and key == "kind" and family == "agreement":
            reader = _enum_labels()["version_kind"]
        if family == "coordination" and key in ("decision", "kind"):
            from grants.coordination.models import FlagDecision, FlagKind

            return (FlagDecision if key == "decision" else FlagKind)(value).label
        if reader is None and key == "kind" and family == "report":
            from grants.accountability.models import ReportAttachmentKind
            from grants.agreements.obligations import ReportKind

            return (ReportAttachmentKind if "attachment" in action else ReportKind)(value).label
        if reader is None and key == "kind" and family == "job":
            return str(_job_kinds()[value])
        if reader is None and key == "kind" and family == "request":
            from grants.requests.models import AttachmentKind

            return AttachmentKind(value).label
        if reader is None and key == "kind" and family == "organization":
            from grants.organizations.models import OrganizationKind

            return OrganizationKind(value).label
        return reader(value) if reader else None
    except (ValueError, KeyError):
        return None


def yes_no(value: bool) -> str:
    return _("Oui") if value else _("Non")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def format_value(value: Any, key: str = "", action: str = "") -> str:
    """One stored value as people read it: money, dates, fiscal years, Oui/Non, labels, —."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Mapping) and key == "inputs" and "value" in value:
        # a CPI figure a rate came from, stored language-neutral, said in the reader's language
        return _(
            "%(field)s : %(value)s", field=input_label(value), value=formatting.cpi_value(value["value"])
        )
    if isinstance(value, Mapping):
        separator = "; " if formatting.current_locale().startswith("en") else " ; "
        return separator.join(
            _("%(field)s : %(value)s", field=_mapping_key(k), value=format_value(v, _inner(key, k), action))
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(
            f"({format_value(v, key, action)})"
            if isinstance(v, list | tuple | Mapping)
            else format_value(v, key, action)
            for v in value
        )
    if isinstance(value, datetime):
        return formatting.date_time(value)
    if isinstance(value, date):
        return formatting.long_date(value)
    if isinstance(value, Decimal | int | float):
        number = Decimal(str(value))
        if key in MONEY_FIELDS:
            return formatting.money(number)
        if key in PERCENT_FIELDS:
            return formatting.percent(number / 100, decimals=max(1, -number.as_tuple().exponent))
        return formatting.number(number)
    text = str(value)
    labelled = _labelled(action, key, text)
    if labelled is not None:
        return labelled
    if FISCAL_YEAR.match(text):
        return text
    if ISO_DATE.match(text):
        try:
            return formatting.long_date(date.fromisoformat(text))
        except ValueError:
            return text
    if ISO_MOMENT.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return formatting.date_time(moment) if moment.tzinfo else formatting.long_date(moment.date())
    if key == "value" and DECIMAL_TEXT.match(text):  # a CPI value keeps its published decimal
        return formatting.cpi_value(text)
    if key in MONEY_FIELDS or MONEY_TEXT.match(text):
        number = _decimal(text)
        if number is not None:
            return formatting.money(number)
    if key in PERCENT_FIELDS:
        number = _decimal(text)
        if number is not None:
            return formatting.percent(number / 100, decimals=max(1, -number.as_tuple().exponent))
    return text


def _inner(outer: str, key: Any) -> str:
    """The field a value inside a mapping is read as: its own key when it names a field (an
    installment's `status`), else the mapping's (the years of `amounts` are amounts)."""
    return str(key) if str(key) in FIELD_LABELS else outer


def _mapping_key(key: Any) -> str:
    """A key inside a stored mapping: a fiscal year stays, a field name gets its label."""
    text = str(key)
    year, _space, rest = text.partition(" ")
    if FISCAL_YEAR.match(year):
        if rest:  # a budget line: `2026-2027 salaries`
            from grants.requests.models import BudgetCategory

            try:
                return f"{year} {BudgetCategory(rest).label}"
            except ValueError:
                return text
        return text
    return field_label(text) if text else text


@dataclass(frozen=True)
class Change:
    """One line under an entry: a field that went from `old` to `new`, or a detail `value`."""

    label: str
    old: str | None = None
    new: str | None = None
    value: str | None = None

    @property
    def is_change(self) -> bool:
        return self.value is None

    def text(self) -> str:
        if self.is_change:
            return _("%(field)s : %(old)s → %(new)s", field=self.label, old=self.old, new=self.new)
        return _("%(field)s : %(value)s", field=self.label, value=self.value)


NOT_OLD_NEW = frozenset({"installments", "overruns", "other_funding", "measures", "regions", "nations"})
"""Keys whose value is itself a list (not a pair [old, new]) in some actions."""


def _is_pair(key: str, value: Any, action: str) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    if key == "decision" and action == "coordination.flag_reviewed":
        return True
    if key in ("status",) or action.endswith(
        (".saved", ".updated", ".rescheduled", ".rule_changed", ".scored")
    ):
        return True
    if key in NOT_OLD_NEW:
        return False
    return key in ("amount", "percent", "value", "due_date", "role", "before_after")


def _refusal_text(changes: Mapping[str, Any]) -> str:
    """Why a file was refused, from the problem's code and parameters (grants.coordination.records)."""
    from grants.coordination.imports import message
    from grants.coordination.records import Problem
    from grants.core.i18n import rendered_language

    params = changes.get("refusal_params")
    problem = Problem(str(changes["refusal_code"]), dict(params) if isinstance(params, Mapping) else {})
    return message(problem, rendered_language())


def _job_param(key: str, value: Any) -> Change:
    """One thing a background job was asked (`job.start` records them as `params`), in words:
    « Importation : n° 3 », « Exercice : 2026-2027 », « Langue : Anglais »."""
    if key == "import_id":
        return Change(_("Importation"), value=_("n° %(id)s", id=value))
    if key == "language" and value in ("fr", "en"):
        return Change(_("Langue"), value=_enum_labels()["preferred_language"](value))
    if key == "plan":
        return Change(_("Plan d'action"), value=format_value(value))
    if key in ("fiscal_year", "period") and str(value).isascii() and str(value).isdigit():
        return Change(field_label("fiscal_year"), value=formatting.fiscal_year(int(value)))
    if key == "period" and value == "plan":
        return Change(field_label("period"), value=_("Ensemble du plan"))
    return Change(field_label(key), value=format_value(value, key))


def describe_changes(action: str, changes: Mapping[str, Any] | None) -> list[Change]:
    """The entry's changed fields and details, labelled and formatted, status first."""
    if not changes:
        return []
    keys = sorted(changes, key=lambda k: (k != "status", 0))
    lines = []
    for key in keys:
        if key == "refusal_code":  # an import's refusal, kept as its code: said in the reader's language
            lines.append(Change(field_label("reason"), value=_refusal_text(changes)))
            continue
        if key == "refusal_params" and "refusal_code" in changes:
            continue
        value = changes[key]
        if action == "job.start" and key == "params" and isinstance(value, Mapping):
            lines.extend(_job_param(str(k), v) for k, v in value.items())
            continue
        label = field_label(key)
        if _is_pair(key, value, action):
            old, new = value
            lines.append(
                Change(label, old=format_value(old, key, action), new=format_value(new, key, action))
            )
        else:
            lines.append(Change(label, value=format_value(value, key, action)))
    return lines
