"""Every email event, rendered in French and in English for fixed data on a frozen clock, matches
its golden file in tests/golden/emails/<event>.<language>.txt; the English text holds no French
left untranslated; no module outside grants/notifications names an email template.

After a deliberate change of a template or of its translation, rewrite the golden files with
`UPDATE_GOLDEN=1 pytest tests/test_email_events.py` and read the diff before committing it.
"""

from __future__ import annotations

import ast
import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from grants.core import clock
from grants.core.roles import MemberRole
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.events import REGISTRY, Audience, EmailEvent
from grants.notifications.operations import render

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "emails"
CATALOG = ROOT / "grants" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
LANGUAGES = ("fr", "en")
MOMENT = datetime(2026, 11, 3, 14, 30, tzinfo=UTC)  # 9 h 30 in Quebec
BASE_URL = "https://subventions.example"

pytestmark = pytest.mark.pure  # rendering reads no database: the data below is never saved


# == fixed data: unsaved model objects with fixed ids, nothing read from the database ==============
class Sample:
    """One small world, the same on every run: an organization, its request, agreement, report."""

    def __init__(self) -> None:
        from grants.accountability.models import Report, ReportChangeRequest
        from grants.accounts.models import User
        from grants.agreements.models import Agreement, AgreementVersion, AgreementYear
        from grants.agreements.obligations import ReportKind
        from grants.indexation.models import IndexationLine, IndexationRun
        from grants.organizations.models import Organization
        from grants.payments.models import Installment
        from grants.programs.models import Program
        from grants.requests.models import FundingRequest, InfoRequest, Recommendation, RequestYear

        first, second = FiscalYear(2026), FiscalYear(2027)
        self.recipient = User(id=3, email="claire.tremblay@example.org", full_name="Claire Tremblay")
        self.officer = User(id=5, email="marc.gagnon@example.gouv", full_name="Marc Gagnon")
        organization = Organization(id=2, legal_name="Maison d'hébergement L'Escale")
        program = Program(id=1, code="TNCES")
        self.funding_request = FundingRequest(
            id=41,
            reference="TNCES-2026-0041",
            title="Concertation nationale",
            organization=organization,
            program=program,
            submitted_at=datetime(2026, 10, 30, 20, 15, tzinfo=UTC),
            recommendation=Recommendation.APPROVE,
            decision_conditions="Rapport d'étape au 31 octobre.",
            decision_reasons="Le projet ne relève pas du programme.",
            years=[
                RequestYear(fiscal_year=year, requested_amount=asked, approved_amount=approved)
                for year, asked, approved in [
                    (first, Decimal("175000.00"), Decimal("175000.00")),
                    (second, Decimal("175000.00"), Decimal("150000.00")),
                ]
            ],
        )
        self.info = InfoRequest(
            id=6,
            sections=["budget", "territory"],
            message="Précisez le loyer.",
            answer="Le loyer est de 1 200 $.",
        )
        self.agreement = Agreement(
            id=7,
            number="CAF-2026-0007",
            organization=organization,
            program=program,
            years=[
                AgreementYear(fiscal_year=first, amount=Decimal("175000.00")),
                AgreementYear(fiscal_year=second, amount=Decimal("150000.00")),
            ],
        )
        self.version = AgreementVersion(
            id=9, number=1, reason="", signatory_name="Claire Tremblay", signatory_title="Directrice"
        )
        self.amendment = AgreementVersion(id=10, number=2, reason="Prolongation d'un an.")
        self.installment = Installment(
            id=21,
            agreement=self.agreement,
            amount=Decimal("87500.00"),
            fiscal_year=first,
            hold_reason="Rapport d'étape en retard.",
            paid_on=date(2026, 4, 1),
        )
        self.run = IndexationRun(
            id=4, fiscal_year=second, rate_percent=Decimal("2.100"), reversal_reason="Taux corrigé."
        )
        self.line = IndexationLine(
            id=31, base_amount=Decimal("150000.00"), new_amount=Decimal("153150.00"), agreement=self.agreement
        )
        self.report = Report(
            id=12,
            agreement=self.agreement,
            organization=organization,
            program=program,
            fiscal_year=first,
            kind=ReportKind.MIDYEAR,
            due_date=date(2026, 11, 30),
            extension_reason="Changement de direction.",
            submitted_at=datetime(2026, 11, 2, 17, 5, tzinfo=UTC),
        )
        self.change = ReportChangeRequest(
            id=8,
            comments={"finances": "Ajoutez le détail des salaires.", "activities": "Datez les ateliers."},
        )
        self.later_installment = Installment(id=22, amount=Decimal("75000.00"), fiscal_year=second)
        # What the operations pass besides the objects above.
        self.assigned_by = self.recommended_by = self.inviter = self.officer
        self.organization_name = organization.legal_name
        self.role = MemberRole.CONTRIBUTOR
        self.link = f"{BASE_URL}/compte/invitation/jeton-d-essai"
        self.reset_link = f"{BASE_URL}/compte/reinitialiser/jeton-d-essai"
        self.days, self.hours, self.has_password = 14, 2, False
        self.resubmission, self.first_submission = True, False
        self.released = [self.installment]
        self.authorized = self.installments = [self.installment, self.later_installment]
        self.previous_due = date(2026, 10, 31)
        self.grace_days = 15
        # A reminder 30 days before the due date; an overdue notice as copied to an officer.
        self.step, self.due, self.officer_copy = -30, self.report.due_date, True


VARIANTS: dict[str, dict[str, str]] = {
    "agreement_sent": {"version": "amendment"},  # the amendment's wording (the original's is simpler)
    "password_reset": {"link": "reset_link"},
    "report_submitted_officer": {"resubmission": "first_submission"},
}
"""Where an event reads a name from another attribute of the sample than the name itself."""


def context_of(event: EmailEvent, sample: Sample) -> dict[str, Any]:
    """The sample's value of each name the event's template reads."""
    names = VARIANTS.get(event.key, {})
    return {name: getattr(sample, names.get(name, name)) for name in event.context}


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    """The application (no database is opened: nothing here is read or saved), links on BASE_URL."""
    from grants import create_app

    application = create_app("config.TestConfig")
    application.config["BASE_URL"] = BASE_URL
    with application.app_context():
        yield application


@pytest.fixture(scope="module")
def english_catalog(app: Any) -> Any:
    """The English catalog, compiled from the .po (as `pybabel compile -f` does) and put where the
    application reads it; the translations already loaded are dropped so rendering uses it."""
    from flask_babel import get_domain

    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="en")
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert not problems, problems
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)
    compiled, partial = CATALOG.with_suffix(".mo"), CATALOG.with_suffix(f".mo.{os.getpid()}")
    partial.write_bytes(buffer.getvalue())
    partial.replace(compiled)
    get_domain().cache.clear()
    return catalog


def _render(event: EmailEvent, language: str) -> str:
    sample = Sample()
    with clock.frozen(MOMENT):
        email = render(event, language, recipient=sample.recipient, **context_of(event, sample))
    return f"Subject: {email.subject}\n\n{email.body_text}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_each_email_matches_its_golden_file(app, english_catalog, key, language):
    rendered = _render(REGISTRY[key], language)
    golden = GOLDEN / f"{key}.{language}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with UPDATE_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")


def test_every_event_has_both_golden_files():
    assert set(VARIANTS) <= set(REGISTRY)
    expected = {f"{key}.{language}.txt" for key in REGISTRY for language in LANGUAGES}
    assert {path.name for path in GOLDEN.glob("*.txt")} == expected


def test_the_registry_names_each_event_once_with_a_template():
    named = {value.key: value for value in vars(events).values() if isinstance(value, EmailEvent)}
    assert named == REGISTRY
    for event in REGISTRY.values():
        assert (ROOT / "templates" / event.template).is_file(), event.template
        assert event.about is None or event.about in event.context
    secret = {key for key, event in REGISTRY.items() if event.secret}
    assert secret == {"password_reset", "invitation"}  # their bodies hold a personal link
    for event in REGISTRY.values():
        if event.audience is Audience.ADDRESS:
            assert event.language == "organization"
        else:
            assert event.language == "recipient"


def _french_fragments(msgid: str) -> list[str]:
    """The words of a French message between its placeholders, long enough to say something."""
    pieces = re.split(r"%\(\w+\)[sd]|%s", msgid)
    return [piece.strip() for piece in pieces if len(piece.strip()) >= 8]


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_each_email_is_translated_in_english(app, english_catalog, key):
    """Every message of the template has an English translation, and the English email shows
    none of the French words."""
    event = REGISTRY[key]
    extracted = [
        message
        for _, message, _, _ in extract_from_file(
            "jinja2", ROOT / "templates" / event.template, keywords={"_": None, "ngettext": (1, 2)}
        )
    ]
    assert extracted, event.template
    msgids = [m if isinstance(m, str) else m[0] for m in extracted]
    english = _render(event, "en")
    assert english != _render(event, "fr")
    for msgid in msgids:
        entry = english_catalog.get(msgid)
        assert entry is not None, f"{event.template}: no English entry for {msgid!r}"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), f"{event.template}: empty English translation of {msgid!r}"
        for fragment in _french_fragments(msgid):
            assert fragment not in english, f"{event.template}: French left in English: {fragment!r}"


# == nothing outside grants/notifications names a template ==========================================
def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _holds_a_string(node: ast.AST) -> bool:
    return any(
        isinstance(part, ast.JoinedStr) or (isinstance(part, ast.Constant) and isinstance(part.value, str))
        for part in ast.walk(node)
    )


def test_no_module_outside_notifications_passes_a_template_name():
    """Outside grants/notifications an email is sent only by `notify(events.X, ...)`: no template
    name, no f-string, no `email/...` path, no lower-level sending function."""
    offences = []
    for path in sorted((ROOT / "grants").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("grants", "notifications"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{relative}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "email/" in node.value:
                offences.append(f"{where} names a template: {node.value!r}")
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            if name in {"queue_email", "notify_users"}:
                offences.append(f"{where} sends below notify: {ast.unparse(node)[:80]}")
            elif name == "notify" and (not node.args or _holds_a_string(node.args[0])):
                offences.append(f"{where} does not name an event: {ast.unparse(node)[:80]}")
    assert not offences, "\n".join(offences)


def test_notify_refuses_a_template_name_or_a_wrong_context(app):
    from grants.notifications.operations import notify

    with pytest.raises(TypeError):
        notify("request_submitted", funding_request=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="missing"):
        notify(events.REQUEST_REFUSED)
    with pytest.raises(TypeError, match="unknown"):
        notify(events.REQUEST_REFUSED, funding_request=None, reasons="")
