"""Who and what an audit entry names, read from the database for a whole page of entries at once:
each object's human reference (a request's number, an agreement's number, an organization's name)
and a link to its page when the reader may open it; each actor's name.

Entries keep `object_type` (the model's class name) and `object_id`; OBJECT_TYPES says, for each
type, how to load it, how to name it and where its page is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, or_

from grants.accountability.models import Report, ReportSettings
from grants.accounts.models import Invitation, Membership, User
from grants.agreements.models import Agreement
from grants.audit.describe import Change, actor_text, describe_changes, sentence, sentence_markup
from grants.calls.models import Call
from grants.coordination.models import EntityDecision, FundingFlag, FundingImport
from grants.core import formatting, permissions
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.jobs import BackgroundJob
from grants.cpi.models import CpiSeries
from grants.indexation.models import IndexationRun
from grants.organizations.models import Organization
from grants.payments.models import Installment
from grants.programs.models import Program, ProgramEnvelope
from grants.requests.models import FundingRequest


@dataclass(frozen=True)
class ObjectType:
    model: type
    label: Any  # the type's name in words, for the filter
    name: Callable[[Any], str]  # the object's human reference
    link: Callable[[Any, Any], str | None] = lambda obj, viewer: None  # its page, if the viewer may see it
    find: Callable[[str], Any] | None = None  # a WHERE clause finding objects by their reference
    eager: Sequence[Any] = ()


def _number(obj: Any) -> str:
    return _("n° %(id)s", id=obj.id)


def _request_name(request: FundingRequest) -> str:
    if request.reference:
        return request.reference
    if request.title:
        return _("« %(title)s » (brouillon)", title=request.title)
    return _number(request)


def _request_link(request: FundingRequest, viewer: Any) -> str | None:
    if permissions.can_read_review(viewer, request):
        return url_for("review.show", request_id=request.id)
    if permissions.can_read_request(viewer, request):
        return url_for("requests.show", request_id=request.id)
    return None


def _agreement_link(agreement: Agreement | None, viewer: Any) -> str | None:
    if agreement is not None and permissions.can_read_agreement(viewer, agreement):
        return url_for("agreements.show", agreement_id=agreement.id)
    return None


def _installment_name(installment: Installment) -> str:
    return _(
        "n° %(sequence)s de %(year)s (convention %(agreement)s)",
        sequence=installment.sequence,
        year=formatting.fiscal_year(installment.fiscal_year),
        agreement=installment.agreement.number,
    )


def _report_name(report: Report) -> str:
    return _(
        "« %(title)s » de la convention %(agreement)s", title=report.title, agreement=report.agreement.number
    )


def _report_link(report: Report, viewer: Any) -> str | None:
    if permissions.can_read_report(viewer, report):
        return url_for("accountability.show", report_id=report.id)
    return None


def _organization_link(organization: Organization, viewer: Any) -> str | None:
    if permissions.can_read_organization(viewer, organization.id):
        return url_for("organizations.show", organization_id=organization.id)
    return None


def _person_in_organization(model: Any, label: Any) -> ObjectType:
    """A person's tie to an organization (a membership, an invitation): named by both, linked to
    the organization."""
    return ObjectType(
        model,
        label,
        lambda row: _(
            "%(person)s (%(organization)s)",
            person=row.user.display_name,
            organization=row.organization.legal_name,
        ),
        lambda row, viewer: _organization_link(row.organization, viewer),
        eager=("user", "organization"),
    )


def _program_link(program: Program | None, viewer: Any) -> str | None:
    if program is not None and getattr(viewer, "is_authenticated", False):
        return url_for("programs.show", code=program.code)
    return None


def _staff_only(endpoint: str, **values: Callable[[Any], Any]) -> Callable[[Any, Any], str | None]:
    def link(obj: Any, viewer: Any) -> str | None:
        if permissions.is_staff(viewer):
            return url_for(endpoint, **{key: get(obj) for key, get in values.items()})
        return None

    return link


def _run_link(run: IndexationRun, viewer: Any) -> str | None:
    """Only those who manage the program's indexation open a run (the cell reads the journal)."""
    if getattr(viewer, "is_authenticated", False) and permissions.can_manage_indexation(viewer, run.program):
        return url_for("indexation.show", run_id=run.id)
    return None


def _both(program: Program, year: Any) -> str:
    return _("%(program)s %(year)s", program=program.code, year=formatting.fiscal_year(year))


OBJECT_TYPES: dict[str, ObjectType] = {
    "FundingRequest": ObjectType(
        FundingRequest,
        _l("Demande"),
        _request_name,
        _request_link,
        lambda text: func.upper(FundingRequest.reference) == text.upper(),
    ),
    "Agreement": ObjectType(
        Agreement,
        _l("Convention"),
        lambda a: a.number,
        _agreement_link,
        lambda text: func.upper(Agreement.number) == text.upper(),
    ),
    "Installment": ObjectType(
        Installment,
        _l("Versement"),
        _installment_name,
        lambda i, viewer: _agreement_link(i.agreement, viewer),
        eager=("agreement",),
    ),
    "Report": ObjectType(Report, _l("Rapport"), _report_name, _report_link, eager=("agreement",)),
    "Organization": ObjectType(
        Organization,
        _l("Organisme"),
        lambda o: o.legal_name,
        _organization_link,
        lambda text: Organization.legal_name.ilike(f"%{_like(text)}%", escape="\\"),
    ),
    "Program": ObjectType(
        Program,
        _l("Programme"),
        lambda p: p.code,
        _program_link,
        lambda text: func.upper(Program.code) == text.upper(),
    ),
    "Call": ObjectType(
        Call,
        _l("Appel"),
        lambda c: c.title,
        lambda c, viewer: (
            url_for("calls.show", call_id=c.id) if getattr(viewer, "is_authenticated", False) else None
        ),
    ),
    "ProgramEnvelope": ObjectType(
        ProgramEnvelope,
        _l("Enveloppe"),
        lambda e: _both(e.program, e.fiscal_year),
        lambda e, viewer: _program_link(e.program, viewer),
        eager=("program",),
    ),
    "IndexationRun": ObjectType(
        IndexationRun,
        _l("Indexation"),
        lambda r: _both(r.program, r.fiscal_year),
        _run_link,
        eager=("program",),
    ),
    "CpiSeries": ObjectType(
        CpiSeries,
        _l("Série de l'IPC"),
        lambda s: s.name,
        _staff_only("cpi.series", name=lambda s: s.name),
        lambda text: func.lower(CpiSeries.name) == text.lower(),
    ),
    "ReportSettings": ObjectType(
        ReportSettings,
        _l("Paramètres de reddition de comptes"),
        lambda s: s.program.code if getattr(s, "program", None) is not None else _number(s),
        lambda s, viewer: _program_link(getattr(s, "program", None), viewer),
    ),
    "FundingFlag": ObjectType(
        FundingFlag,
        _l("Signalement"),
        # The sentences say « le signalement … »: the flag's number and whom it is about.
        lambda f: f"{f.id} ({f.entity_label})" if f.entity_label else str(f.id),
        lambda f, viewer: (
            url_for("coordination.flag", flag_id=f.id) if permissions.can_supervise_funding(viewer) else None
        ),
    ),
    "EntityDecision": ObjectType(
        EntityDecision,
        _l("Décision de rapprochement"),
        lambda d: f"{d.a_name} / {d.b_name}",
    ),
    "FundingImport": ObjectType(
        FundingImport,
        _l("Importation de financement"),
        lambda i: i.file_name,
        lambda i, viewer: (
            url_for("coordination.import_detail", import_id=i.id)
            if permissions.can_supervise_funding(viewer)
            else None
        ),
        lambda text: FundingImport.file_name.ilike(f"%{_like(text)}%", escape="\\"),
    ),
    "Membership": _person_in_organization(Membership, _l("Membre d'un organisme")),
    "Invitation": _person_in_organization(Invitation, _l("Invitation")),
    "User": ObjectType(
        User,
        _l("Compte"),
        lambda u: u.display_name,
        find=lambda text: or_(
            User.email.ilike(f"%{_like(text)}%", escape="\\"),
            User.full_name.ilike(f"%{_like(text)}%", escape="\\"),
        ),
    ),
    # A background job (an import, a report being built): « La tâche n° 3 est terminée », not
    # « La tâche objet n° 3 » (« Job subject no. 3 » in English).
    "BackgroundJob": ObjectType(BackgroundJob, _l("Tâche de fond"), _number),
}


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def type_label(object_type: str) -> str:
    known = OBJECT_TYPES.get(object_type)
    return str(known.label) if known else _("Objet")


def find_objects(object_type: str | None, reference: str) -> list[tuple[str, str]]:
    """The (type, id) of the objects a reader's reference names: a request or agreement number,
    an organization's name, a program code... (a plain number is an id)."""
    reference = reference.strip()
    kinds = [object_type] if object_type else list(OBJECT_TYPES)
    found: list[tuple[str, str]] = []
    for kind in kinds:
        spec = OBJECT_TYPES.get(kind)
        if spec is None:
            continue
        conditions = []
        if spec.find is not None:
            conditions.append(spec.find(reference))
        if reference.isdigit() and object_type and len(reference) < 10:
            conditions.append(spec.model.id == int(reference))
        if not conditions:
            continue
        ids = db.session.scalars(db.select(spec.model.id).where(or_(*conditions)).limit(200)).all()
        found.extend((kind, str(i)) for i in ids)
    return found


# -- one page of entries ------------------------------------------------------------------------
@dataclass
class ObjectRef:
    text: str
    url: str | None = None

    def markup(self) -> Markup:
        if self.url:
            return Markup('<a href="{}">{}</a>').format(self.url, self.text)
        return Markup(escape(self.text))


@dataclass
class DescribedEntry:
    entry: AuditEntry
    actor: str
    obj: ObjectRef
    changes: list[Change] = field(default_factory=list)

    @property
    def action(self) -> str:
        return self.entry.action

    @property
    def occurred_at(self) -> datetime:
        return self.entry.occurred_at

    @property
    def when(self) -> str:
        return formatting.date_time(self.entry.occurred_at)

    @property
    def sentence(self) -> str:
        return sentence(self.entry.action, self.actor, self.obj.text)

    @property
    def sentence_markup(self) -> Markup:
        return sentence_markup(self.entry.action, self.actor, self.obj.markup())

    @property
    def changes_text(self) -> str:
        return "\n".join(change.text() for change in self.changes)


def _load(object_type: str, ids: Iterable[str]) -> dict[str, Any]:
    spec = OBJECT_TYPES.get(object_type)
    numbers = sorted({int(i) for i in ids if i.isdigit() and len(i) < 10})
    if spec is None or not numbers:
        return {}
    statement = db.select(spec.model).where(spec.model.id.in_(numbers))
    if spec.eager:
        from sqlalchemy.orm import selectinload

        statement = statement.options(*(selectinload(getattr(spec.model, name)) for name in spec.eager))
    return {str(obj.id): obj for obj in db.session.scalars(statement)}


def _object_ref(entry: AuditEntry, loaded: dict[str, dict[str, Any]], viewer: Any) -> ObjectRef:
    spec = OBJECT_TYPES.get(entry.object_type)
    obj = loaded.get(entry.object_type, {}).get(entry.object_id)
    if spec is not None and obj is not None:
        try:
            return ObjectRef(spec.name(obj), spec.link(obj, viewer))
        except AttributeError:  # a related row is gone: name it without its link
            pass
    if not entry.object_type:
        return ObjectRef(_("l'application"))
    kind = type_label(entry.object_type).lower()
    if obj is None and spec is not None:
        return ObjectRef(_("%(kind)s n° %(id)s (supprimé)", kind=kind, id=entry.object_id))
    return ObjectRef(_("%(kind)s n° %(id)s", kind=kind, id=entry.object_id))


def _people_in(entry: AuditEntry) -> list[int | str]:
    """The officers an entry's `assignee` names, by id or by email."""
    assignee = (entry.changes or {}).get("assignee")
    values = assignee if isinstance(assignee, list) else [assignee]
    return [
        v
        for v in values
        if (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and "@" in v)
    ]


def _readable_changes(
    entry: AuditEntry,
    names: dict[Any, str],
    programs: dict[int, str],
    runs: dict[int, str] | None = None,
    calls: dict[int, str] | None = None,
    criteria: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Ids and emails kept in some entries' changes, given as the names they stand for."""
    changes = dict(entry.changes or {})
    if entry.action == "request.scored" and criteria:
        # The grid's scores are kept under each criterion's French name: read in the reader's language.
        changes = {criteria.get(key, key): value for key, value in changes.items()}
    call_id = changes.get("call")
    if isinstance(call_id, int) and not isinstance(call_id, bool) and calls and call_id in calls:
        changes["call"] = calls[call_id]  # a request created from a call: the call's title
    run_id = changes.get("run")
    if isinstance(run_id, int) and not isinstance(run_id, bool) and runs and run_id in runs:
        changes["run"] = runs[run_id]  # an agreement indexed: the run's program and year
    assignee = changes.get("assignee")
    if isinstance(assignee, list):
        changes["assignee"] = [names.get(v, v) if isinstance(v, int | str) else v for v in assignee]
    elif isinstance(assignee, int | str):
        changes["assignee"] = names.get(assignee, assignee)
    program_id = changes.get("program_id")
    if isinstance(program_id, int):
        changes["program_id"] = programs.get(program_id, program_id)
    return changes


def describe_entries(entries: Sequence[AuditEntry], viewer: Any) -> list[DescribedEntry]:
    """A page of entries in words, with two queries per object type at most."""
    by_type: dict[str, set[str]] = defaultdict(set)
    user_ids: set[int] = set()
    emails: set[str] = set()
    program_ids: set[int] = set()
    run_ids: set[int] = set()
    call_ids: set[int] = set()
    criterion_names: set[str] = set()
    for entry in entries:
        by_type[entry.object_type].add(entry.object_id)
        if entry.actor_id is not None:
            user_ids.add(entry.actor_id)
        for person in _people_in(entry):
            if isinstance(person, str):
                emails.add(person)
            else:
                user_ids.add(person)
        program_id = (entry.changes or {}).get("program_id")
        if isinstance(program_id, int):
            program_ids.add(program_id)
        run_id = (entry.changes or {}).get("run")
        if isinstance(run_id, int) and not isinstance(run_id, bool):
            run_ids.add(run_id)
        call_id = (entry.changes or {}).get("call")
        if isinstance(call_id, int) and not isinstance(call_id, bool):
            call_ids.add(call_id)
        if entry.action == "request.scored":
            criterion_names.update(entry.changes or {})
    loaded = {kind: _load(kind, ids) for kind, ids in by_type.items()}
    names: dict[Any, str] = {}
    if user_ids or emails:
        people = db.select(User).where(or_(User.id.in_(user_ids), User.email.in_(emails)))
        for user in db.session.scalars(people):
            names[user.id] = names[user.email] = user.display_name
    programs: dict[int, str] = {}
    if program_ids:
        rows = db.session.execute(db.select(Program.id, Program.code).where(Program.id.in_(program_ids)))
        programs = {program_id: code for program_id, code in rows}
    runs: dict[int, str] = {}
    if run_ids:
        from sqlalchemy.orm import selectinload

        statement = (
            db.select(IndexationRun)
            .where(IndexationRun.id.in_(run_ids))
            .options(selectinload(IndexationRun.program))
        )
        runs = {run.id: _both(run.program, run.fiscal_year) for run in db.session.scalars(statement)}
    calls: dict[int, str] = {}
    if call_ids:
        calls = {
            call.id: call.title for call in db.session.scalars(db.select(Call).where(Call.id.in_(call_ids)))
        }
    criteria: dict[str, str] = {}
    if criterion_names:
        from grants.review.models import AssessmentCriterion

        statement = db.select(AssessmentCriterion).where(AssessmentCriterion.name_fr.in_(criterion_names))
        criteria = {criterion.name_fr: criterion.name for criterion in db.session.scalars(statement)}
    described = []
    for entry in entries:
        actor = names.get(entry.actor_id) if entry.actor_id is not None else None
        described.append(
            DescribedEntry(
                entry=entry,
                actor=actor or actor_text(entry.actor_label),
                obj=_object_ref(entry, loaded, viewer),
                changes=describe_changes(
                    entry.action, _readable_changes(entry, names, programs, runs, calls, criteria)
                ),
            )
        )
    return described
