"""The audit trail reads as sentences (issue 13, item 7): who did what to which object, each
changed field with its label and its values written as everywhere else, in French and English;
filters by object, person, action and period; a CSV with the same words."""

import ast
import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale

from grants.audit.describe import EMPTY, SENTENCES, describe_changes, format_value, sentence
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.payments.models import Installment
from grants.payments.transitions import apply_event
from grants.payments.workflow import InstallmentEvent
from grants.requests.models import Recommendation
from grants.requests.workflow import RequestEvent, transition
from grants.review import operations as review
from tests.factories import (
    OrganizationFactory,
    funding_request,
    member,
    staff,
)
from tests.helpers import normalize_spaces

ROOT = Path(__file__).resolve().parents[1] / "grants"


# -- every action the code records has its sentence ------------------------------------------------
def _workflow_actions() -> set[str]:
    from grants.core.workflow import Workflow

    found = set()
    for path in ROOT.rglob("workflow.py"):
        module_name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        module = __import__(module_name, fromlist=["*"])
        for value in vars(module).values():
            if isinstance(value, Workflow):
                found.update(f"{value.audit_prefix}.{event.value}" for event in value.events)
    return found


def _recorded_actions() -> tuple[set[str], list[str]]:
    """String literals given as the action of record() (and record_created(), record_change()),
    record_many(), record_from_select() and
    _audit_lines(), or as an `action=` argument; and the calls whose action is not a literal (each
    must be known here)."""
    found, unknown = set(), []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    found.add(keyword.value.value)
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {
                "record": 0,
                "record_created": 0,
                "record_change": 0,
                "record_many": 0,
                "record_from_select": 0,
                "_audit_lines": 1,
                "_record_step": 1,
            }.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
            else:
                unknown.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found, unknown


def test_every_action_key_in_the_code_has_its_sentence():
    recorded, computed = _recorded_actions()
    # Computed keys: the workflows' `{prefix}.{event}` and indexation's per-line entries, whose
    # literal is given to _audit_lines (found above); the audit module's own helpers.
    assert all(
        place.startswith(
            ("grants/core/workflow.py", "grants/indexation/operations.py", "grants/core/audit.py")
        )
        for place in computed
    ), computed
    used = recorded | _workflow_actions()
    assert {"request.submit", "agreement.countersign", "installment.pay", "report.accept"} <= used
    missing = sorted(used - set(SENTENCES))
    assert missing == [], f"actions without a sentence in grants/audit/describe.py: {missing}"


def test_an_unknown_action_still_reads_as_a_sentence(app):
    with app.test_request_context(), force_locale("fr_CA"):
        text = sentence("grant.teleported", "Marie Tremblay", "HEBERGEMENT-2026-00003")
    assert text == "Marie Tremblay a fait l'action « grant.teleported » sur HEBERGEMENT-2026-00003"


def test_sentences_in_french_and_english(app):
    with app.test_request_context(), force_locale("fr_CA"):
        french = sentence("request.submit", "Marie Tremblay", "HEBERGEMENT-2026-00003")
    with app.test_request_context(), force_locale("en_CA"):
        english = sentence("request.submit", "Marie Tremblay", "HEBERGEMENT-2026-00003")
        untranslated = [
            key
            for key, text in SENTENCES.items()
            if str(text).startswith("%(actor)s a ") or "s'est" in str(text)
        ]
    assert french == "Marie Tremblay a déposé la demande HEBERGEMENT-2026-00003"
    assert english == "Marie Tremblay submitted request HEBERGEMENT-2026-00003"
    assert untranslated == [], f"sentences still in French in English: {untranslated}"


def test_values_are_written_as_everywhere_else(app):
    with app.test_request_context(), force_locale("fr_CA"):
        status = describe_changes("request.submit", {"status": ["draft", "submitted"]})
        amounts = format_value({"2026-2027": "30000.00"}, "amounts", "request.saved")
        assert normalize_spaces(amounts) == "2026-2027 : 30 000,00 $"
        two = format_value({"2026-2027": "1.00", "2027-2028": "2.00"}, "amounts")
        assert normalize_spaces(two) == "2026-2027 : 1,00 $ ; 2027-2028 : 2,00 $"  # French spacing
        assert format_value("2026-11-28", "due_date") == "28 novembre 2026"
        assert format_value(True) == "Oui" and format_value(False) == "Non"
        assert format_value(None) == EMPTY == format_value("")
        moment = format_value("2026-11-28T15:30:00+00:00", "locked_until")
        assert moment == "28 novembre 2026 à 10 h 30"  # Quebec time
        assert normalize_spaces(format_value(Decimal("3.7"), "percent")) == "3,7 %"
    assert [(c.label, c.old, c.new) for c in status] == [("État", "Brouillon", "Déposée")]
    with app.test_request_context(), force_locale("en_CA"):
        status = describe_changes(
            "installment.pay", {"status": ["authorized", "paid"], "paid_on": "2026-11-28"}
        )
        assert format_value(True) == "Yes"
        assert format_value({"2026-2027": "30000.00"}, "amounts") == "2026-2027: $30,000.00"
        two = format_value({"2026-2027": "1.00", "2027-2028": "2.00"}, "amounts")
        assert two == "2026-2027: $1.00; 2027-2028: $2.00"
        assert [c.text() for c in status] == ["State: Authorized → Paid", "Paid on: November 28, 2026"]


def test_a_saved_request_reads_field_by_field(app):
    changes = {
        "amounts": [{"2026-2027": "30000.00"}, {"2026-2027": "35000.00"}],
        "budget": [{"2026-2027 salaries": "21000.00"}, {"2026-2027 salaries": "24500.00"}],
        "start_date": ["2026-04-01", "2026-05-01"],
        "regions": [[], ["06", "13"]],
        "summary": ["", "Un résumé"],
    }
    with app.test_request_context(), force_locale("fr_CA"):
        lines = [normalize_spaces(c.text()) for c in describe_changes("request.saved", changes)]
    assert lines == [
        "Montants demandés : 2026-2027 : 30 000,00 $ → 2026-2027 : 35 000,00 $",
        "Budget : 2026-2027 Salaires et charges sociales : 21 000,00 $"
        " → 2026-2027 Salaires et charges sociales : 24 500,00 $",
        "Début : 1er avril 2026 → 1er mai 2026",
        "Régions : — → 06, 13",
        "Résumé : — → Un résumé",
    ]


# -- a realistic history, read on the page ---------------------------------------------------------
@pytest.fixture
def history():
    """A HEBERGEMENT request submitted, assessed, recommended, approved; its agreement accepted and
    countersigned; its first installment authorized and paid."""
    organization = OrganizationFactory(legal_name="Maison Marie-Vincent")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization, full_name="Marie Tremblay")
    officer = staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT", full_name="Louis Gagnon")
    request = funding_request("HEBERGEMENT", organization, years=2, annual_amount="30000.00")
    transition(request, RequestEvent.SUBMIT, actor=applicant)
    db.session.commit()
    review.assign(request, officer, actor=officer)
    criteria = review.criteria_of(request.program_id)
    if criteria:
        review.save_scores(request, {c.id: (c.max_score, "Solide") for c in criteria}, actor=officer)
    review.recommend(request, Recommendation.APPROVE, "Projet solide", actor=officer)
    db.session.commit()
    amounts = {y.fiscal_year: y.requested_amount for y in request.years}
    agreement = review.approve(request, amounts, "", actor=officer)
    from grants.agreements import operations as agreements

    agreements.accept(
        agreement,
        agreement.current,
        actor=applicant,
        signatory_name="Marie Tremblay",
        signatory_title="Directrice",
        ip_address="127.0.0.1",
    )
    agreements.countersign(agreement, agreement.current, actor=officer)
    db.session.commit()
    installment = db.session.scalars(
        db.select(Installment).filter_by(agreement_id=agreement.id).order_by(Installment.id)
    ).first()
    apply_event(installment, InstallmentEvent.AUTHORIZE, actor=officer)
    apply_event(
        installment,
        InstallmentEvent.PAY,
        actor=officer,
        paid_on=date(2026, 11, 28),
        payment_reference="VIR-1",
    )
    db.session.commit()
    return {
        "request": request,
        "agreement": agreement,
        "applicant": applicant,
        "officer": officer,
        "installment": installment,
    }


RAW = [
    ("dict", re.compile(r"\{'|\{\"")),
    ("list", re.compile(r"\['|\[\"")),
    ("None", re.compile(r"\bNone\b")),
    ("True/False", re.compile(r"\b(True|False)\b")),
    ("ISO moment", re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")),
    ("ISO date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    (
        "class and id",
        re.compile(r"\b(FundingRequest|Agreement|Installment|Report|User|Organization|Program)\s+\d+"),
    ),
    ("action key", re.compile(r"\b(request|agreement|installment|installments|report)\.[a-z_]+\b")),
]


def _visible_text(html: str) -> str:
    """The text a reader sees (tags, attributes, the filter's <select> options left out)."""
    html = re.sub(r"<select.*?</select>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style).*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?a\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", normalize_spaces(unescape(re.sub(r"<[^>]+>", " ", html))))


def _main(html: str) -> str:
    return html.split("<table", 1)[1].split("</table>", 1)[0]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_journal_reads_as_sentences(app, sign_in, history, language):
    history["officer"].preferred_language = language
    db.session.commit()
    browser = app.test_client()
    sign_in(history["officer"], target=browser)
    page = browser.get("/journal/?per_page=100")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = _visible_text(_main(html))
    for name, pattern in RAW:
        assert not pattern.search(table), f"{name}: {pattern.search(table).group(0)!r} in {table[:3000]}"
    reference = history["request"].reference
    number = history["agreement"].number
    if language == "fr":
        expected = [
            f"Marie Tremblay a déposé la demande {reference}",
            f"Louis Gagnon a commencé l'analyse de la demande {reference}",
            f"Louis Gagnon a accepté la demande {reference}",
            f"Marie Tremblay a accepté la convention {number} au nom de l'organisme",
            f"Louis Gagnon a contresigné la convention {number}",
            "Louis Gagnon a inscrit le versement n° 1 de 2026-2027 (convention",
            "État : Brouillon → Déposée",
            "Payé le : 28 novembre 2026",
            "30 000,00 $",
            "Agent·e responsable : Louis Gagnon",  # an email kept in the entry, named
            "Déclencheur : À la signature",  # inside the schedule's list
            "État : Prévu",
            "Recommandation : Accepter",
        ]
        assert re.search(r"\d{1,2}(er)? \w+ 20\d\d à \d{1,2} h \d\d", table)
    else:
        expected = [
            f"Marie Tremblay submitted request {reference}",
            f"Louis Gagnon started the review of request {reference}",
            f"Louis Gagnon approved request {reference}",
            f"Marie Tremblay accepted agreement {number} on behalf of the organization",
            f"Louis Gagnon countersigned agreement {number}",
            "Louis Gagnon recorded installment no. 1 of 2026-2027 (agreement",
            "State: Draft → Submitted",
            "Paid on: November 28, 2026",
            "$30,000.00",
            "Officer in charge: Louis Gagnon",
        ]
    for text in expected:
        assert text in table, text
    # The object links to its page, for a reader who may open it.
    assert f'href="/analyse/{history["request"].id}"' in html
    assert f'href="/conventions/{history["agreement"].id}"' in html


def test_the_organization_reads_its_history_with_links_to_its_pages(app, sign_in, history):
    browser = app.test_client()
    sign_in(history["applicant"], target=browser)
    html = browser.get("/journal/").get_data(as_text=True)
    table = _visible_text(_main(html))
    assert f"Marie Tremblay a déposé la demande {history['request'].reference}" in table
    assert f'href="/demandes/{history["request"].id}"' in html
    assert "/analyse/" not in html  # the ministry's analysis page is not theirs
    assert "a formulé la recommandation" not in table  # internal work stays internal


def test_filters_by_object_person_action_and_period(app, sign_in, history):
    browser = app.test_client()
    admin = staff(StaffRole.SYSTEM_ADMIN)
    sign_in(admin, target=browser)
    reference = history["request"].reference

    def rows(query: str) -> list[str]:
        response = browser.get("/journal/?per_page=100&" + query)
        assert response.status_code == 200
        return re.findall(r'<tr data-action="([^"]+)"', response.get_data(as_text=True))

    by_object = rows(f"type=FundingRequest&ref={reference.lower()}")
    assert by_object and "request.submit" in by_object and "agreement.countersign" not in by_object
    by_agreement = rows(f"ref={history['agreement'].number}")
    assert set(by_agreement) >= {"agreement.accept", "agreement.countersign"}
    by_person = rows("person=marie+tremblay")
    assert set(by_person) == {"request.submit", "agreement.accept"}
    by_action = rows("action=request.submit")
    assert by_action == ["request.submit"]
    by_group = rows("action=installment")
    assert set(by_group) >= {"installment.authorize", "installment.pay"}
    today = datetime.now().date()
    assert rows(f"since={today + timedelta(days=2)}") == []
    assert "request.submit" in rows(f"since={today - timedelta(days=2)}&until={today + timedelta(days=2)}")
    assert rows("ref=PAS-UN-NUMERO") == []


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-45",
        "since=0001-01-01",
        "since=2027-01-01&until=2026-01-01",
        "type=NotAType",
        "action=%3Cscript%3E",
        "ref=" + "x" * 500,
        "person=" + "%25" * 300,
        "page=-3&per_page=abc",
        "page=99999999999999999999",
        "ref=99999999999999999999&type=FundingRequest",
    ],
)
def test_bad_filters_answer_a_message_never_an_error(app, sign_in, history, query):
    browser = app.test_client()
    sign_in(history["officer"], target=browser)
    response = browser.get("/journal/?" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if not query.startswith(("page=", "ref=9")):
        assert 'class="error-summary"' in html


def test_the_csv_has_the_same_readable_columns(app, sign_in, history):
    from grants.core.audit import record

    admin = staff(StaffRole.SYSTEM_ADMIN, full_name='=HYPERLINK("http://x")')
    record(
        "organization.updated",
        history["request"].organization,
        actor=admin,
        changes={"legal_name": ["Maison Marie-Vincent", "=1+2"]},
    )
    db.session.commit()
    browser = app.test_client()
    sign_in(admin, target=browser)
    response = browser.get(f"/journal/?format=csv&ref={history['request'].reference}&type=FundingRequest")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Quand", "Qui", "Ce qui s'est passé", "Type d'objet", "Objet", "Changements"]
    submitted = next(row for row in rows if row[2].startswith("Marie Tremblay a déposé"))
    assert submitted[1] == "Marie Tremblay"
    assert submitted[3] == "Demande" and submitted[4] == history["request"].reference
    assert "État : Brouillon → Déposée" in submitted[5]
    assert re.match(r"\d{1,2}(er)? \w+ 20\d\d à \d{1,2} h \d\d$", submitted[0])
    assert all(row[0] != "organization.updated" for row in rows)  # the filter holds in the CSV

    evil = browser.get("/journal/?format=csv&action=organization.updated").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(evil.lstrip("\ufeff"))))
    assert rows[1][1].startswith("'=HYPERLINK")  # a formula typed in a name is kept as text
    assert rows[1][2].startswith("'=HYPERLINK")
    assert "Nom légal : Maison Marie-Vincent → =1+2" in rows[1][5]


@pytest.mark.parametrize(
    ("language", "expected", "raw"),
    [
        (
            "fr",
            ["Importation : n° 3", "Exercice : 2026-2027", "Langue : Anglais", "Période : Ensemble du plan"],
            ["Params", "Import id", "import_id", "Language : en", "Fiscal year"],
        ),
        (
            "en",
            ["Import: no. 3", "Fiscal year: 2026-2027", "Language: English", "Period: Whole plan"],
            ["Params", "Import id", "import_id", "Paramètres", "Langue"],
        ),
    ],
)
def test_a_job_start_says_what_the_job_was_asked_in_words(app, sign_in, language, expected, raw):
    """`job.start` read « Params : Import id: 3 »: each parameter is said like the other entries."""
    from grants.core import jobs

    admin = staff(StaffRole.SYSTEM_ADMIN)
    admin.preferred_language = language
    jobs.start_job("funding_import", requested_by=admin, params={"import_id": 3})
    jobs.start_job("program_report", requested_by=admin, params={"fiscal_year": 2026, "language": "en"})
    jobs.start_job("budget_report", requested_by=admin, params={"plan": "2026-2029", "period": "plan"})
    db.session.commit()
    browser = app.test_client()
    sign_in(admin, target=browser)
    table = _visible_text(_main(browser.get("/journal/?per_page=100").get_data(as_text=True)))
    for text in expected:
        assert text in table, (text, table[:3000])
    for text in raw:
        assert text not in table, (text, table[:3000])
