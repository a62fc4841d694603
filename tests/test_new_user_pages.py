"""What a new user of the demo tripped on (walk of every role in French and English), each fixed
and pinned here with the Flask test client."""

from __future__ import annotations

import html
import io
import re
import sys
from decimal import Decimal

import pytest

from grants.core.db import db
from grants.core.fields import AmountInvalid, parse_amount
from grants.core.roles import MemberRole
from grants.requests.models import FundingRequest
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    complete_report,
    funding_request,
    member,
    report_of,
)
from tests.helpers import csrf_token, normalize_spaces
from tests.page_scan import CATALOGUE


def _text(response) -> str:
    return normalize_spaces(html.unescape(response.get_data(as_text=True)))


def test_a_draft_refused_for_a_bad_cell_says_that_nothing_was_saved(client, sign_in):
    """A draft with one bad cell is saved not at all: the summary says so (it said only « Le
    formulaire contient des erreurs », and a person who left the page lost every figure)."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    url = f"/demandes/{request.id}/modifier"
    data = {
        "csrf_token": csrf_token(client, url),
        "version": str(request.version),
        "title": "Nouveau titre",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "budget-2026-rent": "abc",
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = _text(response)
    assert "Vos modifications n'ont pas été enregistrées" in page
    assert 'value="Nouveau titre"' in page and 'value="abc"' in page  # what was typed is still there
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title != "Nouveau titre"

    data["csrf_token"] = csrf_token(client, url + "?lang=en")
    english = _text(client.post(url, data=data, content_type="multipart/form-data"))
    assert "Your changes were not saved" in english


# An amount with cents given as an example in a message: `175 000,00`, `12 500,00`, `175,000.00`.
_EXAMPLE_AMOUNT = re.compile(r"(?:for example|par exemple) (\$?\d{1,3}(?:[ ,\u00a0]?\d{3})*[.,]\d{2})\b")


@pytest.mark.pure
def test_every_amount_given_as_an_example_in_english_is_one_the_forms_accept():
    """The English hints said « for example 175,000.00 » and « 12,500.00 », which the forms refuse
    (« mixes a comma and a period »): an example must be typeable as shown."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    refused = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for example in _EXAMPLE_AMOUNT.findall(text or ""):
                try:
                    parse_amount(example)
                except AmountInvalid:
                    refused.append((example, text))
    assert not refused, refused


def test_the_submitted_report_pdf_names_its_kind_in_words_in_its_footer(app):
    """The running footer of a submitted report read « CAF-…-00010 — midyear 2026-2027 »: the
    code of the kind, not its name."""
    from pypdf import PdfReader

    from grants.accountability import operations as reports
    from grants.files.storage import read

    agreement, _officer = agreement_in_force("TRCES", amount="125000.00")
    author = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    report = complete_report(report_of(agreement, "midyear", 2026), author)
    report, _ = reports.submit(report.id, actor=author)
    db.session.commit()

    text = normalize_spaces(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(read(report.pdf))).pages)
    )
    assert "midyear" not in text
    assert f"{agreement.number} — Rapport d'étape 2026-2027" in text


def test_the_journal_names_kinds_of_attachments_and_organizations_in_words(app):
    """The request's history read « Type : board_resolution »: every coded kind is read by its label."""
    from flask_babel import force_locale

    from grants.audit.describe import describe_changes

    cases = [
        ("request.attachment_added", "board_resolution", "Résolution du conseil d'administration"),
        ("request.attachment_removed", "financial_statements", "Derniers états financiers"),
        ("report.attachment_added", "financial_statements", "États financiers"),
        ("report.created", "midyear", "Rapport d'étape"),
        ("organization.updated", "community", "Organisme communautaire"),
    ]
    with app.test_request_context(), force_locale("fr_CA"):
        read = [[c.value for c in describe_changes(action, {"kind": kind})] for action, kind, _ in cases]
    assert read == [[label] for _, _, label in cases]
    with app.test_request_context(), force_locale("en_CA"):
        english = [
            c.text() for c in describe_changes("request.attachment_added", {"kind": "board_resolution"})
        ]
    assert english == ["Type: Board resolution"]


def test_a_grid_criterion_keeps_its_capitals_in_the_journal(app):
    """« Concertation, partenariats et accessibilité (dont Premières Nations et Inuit) » read
    « (dont premières nations et inuit) » in the request's history."""
    from flask_babel import force_locale

    from grants.audit.describe import describe_changes, field_label

    criterion = "Concertation, partenariats et accessibilité (dont Premières Nations et Inuit)"
    with app.test_request_context(), force_locale("fr_CA"):
        [change] = describe_changes("request.scored", {criterion: [None, 5]})
        assert change.label == criterion and change.new == "5"
        assert field_label("unknown_key") == "Unknown key"


def test_a_flag_names_its_funding_lines_by_request_number_and_ministry_line(client, sign_in):
    """The columns of a flag's funding lines were headed by internal keys (`req:2`,
    `ext:MSP:MSP-PPCC-2026-0041`): they name the request and the ministry's line."""
    from datetime import date

    from grants.coordination.matching_run import refresh_matching
    from grants.coordination.models import FundingFlag
    from grants.core.roles import StaffRole
    from tests.factories import external_funding, staff

    neq = "1143218765"
    ours = OrganizationFactory(legal_name="Maison La Passerelle", neq=neq, city="Longueuil", region_code="16")
    request = funding_request("TNCES", ours, status="approved", years=1, annual_amount="200000.00")
    for year in request.years:
        year.approved_amount = year.requested_amount
    external_funding(
        "O-2", "La Passerelle", recipient_neq=neq, source_ministry="MSP", start_date=date(2026, 10, 1)
    )
    db.session.commit()
    refresh_matching()
    db.session.commit()
    flag = db.session.scalars(db.select(FundingFlag).where(FundingFlag.key_b == "ext:MSP:O-2")).first()
    assert flag is not None

    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = _text(client.get(f"/cellule/signalements/{flag.id}"))
    assert f"Demande {request.reference}" in page and "MSP, ligne O-2" in page
    assert "req:" not in page and "ext:MSP" not in page
    english = _text(client.get(f"/cellule/signalements/{flag.id}?lang=en"))
    assert f"Request {request.reference}" in english and "MSP, line O-2" in english


def test_the_officer_picks_a_report_s_new_due_date_in_a_date_picker(client, sign_in):
    """The extension's date was a text box where one had to type AAAA-MM-JJ (« 15 décembre 2026 »
    was refused), unlike every other date of the product."""
    from grants.accountability.models import Report

    agreement, officer = agreement_in_force("TNCES", years=1)
    report = report_of(agreement, "midyear", 2026)
    sign_in(officer)
    url = f"/redditions/analyse/{report.id}"
    page = client.get(url).get_data(as_text=True)
    assert re.search(
        r'<input[^>]*id="extension-due_date"[^>]*type="date"|<input[^>]*type="date"[^>]*id="extension-due_date"',
        page,
    )

    response = client.post(
        f"{url}/echeance",
        data={
            "csrf_token": csrf_token(client, url),
            "extension-version": str(report.version),
            "extension-due_date": "2026-12-15",
            "extension-reason": "Demande de l'organisme",
        },
    )
    assert response.status_code in (302, 303), _text(response)[:2000]
    db.session.expire_all()
    assert str(db.session.get(Report, report.id).due_date) == "2026-12-15"


def test_the_cpi_page_has_its_csv_and_marks_statcan_s_english_names(client, sign_in):
    """The CPI table had no CSV, and the French page read « Quebec, All-items » unmarked: StatCan's
    English names of the series are marked `lang="en"`."""
    import csv

    from grants.core.roles import StaffRole
    from grants.cpi.operations import DEFAULT_SERIES
    from tests.factories import staff

    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    page = client.get(f"/ipc/{DEFAULT_SERIES}").get_data(as_text=True)
    assert '<span lang="en">Quebec</span>, <span lang="en">All-items</span>' in page
    assert f'href="/ipc/{DEFAULT_SERIES}?format=csv"' in page

    response = client.get(f"/ipc/{DEFAULT_SERIES}?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Mois", "Valeur de l'IPC"]
    values = {month: Decimal(value) for month, value in rows[1:]}
    assert values["2016-01"] == Decimal("124.6") and values["2025-12"] == Decimal("162.6")


def test_a_background_job_reads_as_a_job_in_the_journal(client, sign_in):
    """The administrator's home read « Job subject no. 3 finished · State: running → done »: the
    job is named as one, its states by their labels."""
    from grants.core import jobs
    from grants.core.roles import StaffRole
    from tests.factories import staff

    admin = staff(StaffRole.SYSTEM_ADMIN)
    job = jobs.start_job("funding_import", requested_by=admin, total=1)
    db.session.commit()
    assert jobs.claim(job)
    jobs.finish(job, actor=admin)
    db.session.commit()
    sign_in(admin)

    page = _text(client.get("/journal/"))
    assert f"La tâche n° {job.id} est terminée" in page and "objet n°" not in page
    assert "En cours → Terminé" in page and "running" not in page
    assert "Type : Importation de financement des autres ministères" in page and "funding_import" not in page
    english = _text(client.get("/journal/?lang=en"))
    assert f"Job no. {job.id} finished" in english and "subject" not in english


@pytest.mark.pure
def test_make_run_says_where_its_data_and_emails_really_are(tmp_path):
    """With GRANTS_INSTANCE_PATH set, `make run` still said « SQLite (instance/) » and « caught in
    instance/mail/new/ »: a new user looked for emails in the wrong folder."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "run_all.py"
    spec = importlib.util.spec_from_file_location("run_all_banner", path)
    run_all = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = run_all  # its dataclasses look their module up
    spec.loader.exec_module(run_all)

    text = run_all.banner({}, tmp_path, mail_caught=True)
    assert f"SQLite ({tmp_path / 'grants.sqlite'})" in text
    assert f"embedded (SQLite, {tmp_path / 'celery-broker.sqlite'})" in text
    assert f"caught in {tmp_path / 'mail' / 'new'}/" in text
    assert "instance/" not in text
    served = run_all.banner(
        {"DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://z"}, tmp_path, mail_caught=False
    )
    assert "database: PostgreSQL · Celery broker: Redis" in served and "email" not in served


def test_the_agreements_list_has_its_csv_for_the_organization_and_the_officer(client, sign_in):
    """« Conventions d'aide financière » was the one list of agreements with no CSV."""
    import csv

    agreement, officer = agreement_in_force("TNCES", years=1)
    other, _ = agreement_in_force("TRCES", years=1, amount="125000.00")
    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    number, other_number = agreement.number, other.number

    def rows() -> list[list[str]]:
        assert 'href="/conventions/?format=csv"' in client.get("/conventions/").get_data(as_text=True)
        response = client.get("/conventions/?format=csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    sign_in(signatory)
    mine = rows()
    assert mine[0] == ["Numéro", "Organisme", "Programme", "Début", "Fin", "État", "Total"]
    assert [row[0] for row in mine[1:]] == [number]  # never another organization's
    assert mine[1][2:] == ["TNCES", "2026-04-01", "2027-03-31", "Contresignée (en vigueur)", "175000.00"]
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(officer)
    assert other_number not in {row[0] for row in rows()}  # only the officer's programs


def test_the_organization_s_requests_and_reports_lists_have_their_csv(client, sign_in):
    """An organization's « Mes demandes de financement » and « Mes redditions de comptes » had no
    CSV, unlike the officers' lists."""
    import csv

    agreement, _officer = agreement_in_force("TNCES", years=1)
    user = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    elsewhere = funding_request("TNCES", OrganizationFactory(), status="submitted")
    number, hidden = agreement.number, elsewhere.reference
    sign_in(user)

    def rows(path: str) -> list[list[str]]:
        assert f'href="{path}?format=csv"' in client.get(path).get_data(as_text=True)
        response = client.get(f"{path}?format=csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    requests = rows("/demandes/")
    assert requests[0] == ["Numéro", "Titre", "Organisme", "Programme", "État", "Montant demandé"]
    assert len(requests) == 2 and requests[1][3:] == ["TNCES", "Acceptée", "175000.00"]
    assert hidden not in {row[0] for row in requests}
    reports = rows("/redditions/")
    assert reports[0] == [
        "Rapport",
        "Organisme",
        "Convention",
        "Début",
        "Fin",
        "Échéance",
        "En retard",
        "État",
    ]
    assert ["Rapport d'étape 2026-2027", number, "2026-04-01", "2026-09-30", "2026-10-31"] == [
        reports[1][0],
        *reports[1][2:6],
    ]


def test_the_grid_is_an_input_only_while_the_file_is_in_analysis(client, sign_in):
    """Before the file was assigned, and after the decision, the grid showed inputs with no button
    to save them: typed scores went nowhere. It is read-only then, with what was saved."""
    from grants.core.roles import StaffRole
    from grants.review import operations as review
    from tests.factories import staff

    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    submitted = funding_request("TNCES", status="submitted", years=1)
    in_analysis = funding_request("TNCES", status="under_review", years=1)
    in_analysis.assignee_id = officer.id
    db.session.commit()
    criterion = review.criteria_of(in_analysis.program_id)[0]
    submitted_id, in_analysis_id = submitted.id, in_analysis.id
    sign_in(officer)

    before = client.get(f"/analyse/{submitted_id}").get_data(as_text=True)
    assert f'name="grid-{criterion.id}-score"' not in before
    assert "Grille d'analyse" in before and "— / 5" in before
    during = client.get(f"/analyse/{in_analysis_id}").get_data(as_text=True)
    assert f'name="grid-{criterion.id}-score"' in during and "Enregistrer la grille" in during


def test_the_indexation_preview_counts_grants_in_the_singular_too(client, sign_in):
    """« 1 (1 indexées, 0 exclues) »: each count agrees with its noun."""
    from tests.factories import budget_officer

    agreement_in_force("TNCES", first_year=2025, years=2)  # 2026-2027 is its second year: indexed
    sign_in(budget_officer("TNCES"))
    url = "/indexation/apercu?program=TNCES&fiscal_year=2026-2027"
    page = _text(client.get(url))
    counts = re.search(r"Nombre de subventions</dt><dd>(.*?)</dd>", page).group(1)
    assert counts == "1 (1 indexée, 0 exclues)", counts  # ngettext's rule: only 1 is singular
    english = _text(client.get(url + "&lang=en"))
    assert re.search(r"<dd>1 \(1 indexed, 0 excluded\)</dd>", english)


def test_an_organization_s_empty_contact_details_read_as_a_dash(client, sign_in):
    """« Courriel », « Téléphone », « Site Web » were followed by nothing at all on the profile."""
    organization = OrganizationFactory(email="", phone="", website="")
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    page = _text(client.get(f"/organismes/{organization.id}"))
    for label in ("Courriel", "Téléphone", "Site Web"):
        assert f"<dt>{label}</dt><dd>—</dd>" in page, label


@pytest.mark.pure
def test_bootstrap_compiles_the_catalog_with_fuzzy_entries(tmp_path):
    """`make run` compiled the catalog with `pybabel compile … -q`, an option pybabel does not
    have: the command always failed and fell back to one without `--use-fuzzy`. Its command, run
    on a copy of the catalog, succeeds."""
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    line = next(
        text
        for text in (root / "scripts" / "bootstrap.sh").read_text().splitlines()
        if "pybabel compile" in text
    )
    assert "||" not in line and "--use-fuzzy" in line
    shutil.copytree(root / "grants" / "translations", tmp_path / "translations")
    command = line.replace(".venv/bin/pybabel", str(Path(sys.executable).parent / "pybabel")).replace(
        "grants/translations", str(tmp_path / "translations")
    )
    assert subprocess.run(command, shell=True, check=False).returncode == 0
    assert (tmp_path / "translations" / "en" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0


def test_a_request_s_history_names_its_call_by_title(client, sign_in):
    """The history of a new request read « Appel : 4 »: the call's id, not its title."""
    from grants.requests import operations as requests
    from tests.factories import open_call

    organization = OrganizationFactory()
    user = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES", title_fr="Appel de la table nationale", title_en="National table call")
    requests.start_request(organization, call, actor=user, token="jeton-essai")
    db.session.commit()
    sign_in(user)
    page = _text(client.get("/journal/?lang=fr"))
    assert "Appel : Appel de la table nationale" in page and f"Appel : {call.id}<" not in page
    english = _text(client.get("/journal/?lang=en"))
    assert "Call: National table call" in english


def test_the_grid_s_criteria_read_in_the_reader_s_language_in_the_journal(client, sign_in):
    """The grid's scores are kept under each criterion's French name: the English journal read
    « Pertinence au regard du plan d'action et des besoins: — → 4 »."""
    from grants.core.roles import StaffRole
    from grants.review import operations as review
    from tests.factories import staff

    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status="under_review", years=1)
    request.assignee_id = officer.id
    criterion = review.criteria_of(request.program_id)[0]
    review.save_scores(request, {criterion.id: (4, "")}, actor=officer)
    db.session.commit()
    sign_in(officer)
    english = _text(client.get("/journal/?lang=en"))
    assert "Relevance to the action plan and needs: — → 4" in english
    assert "Pertinence au regard" not in english
    french = _text(client.get("/journal/?lang=fr"))
    assert "Pertinence au regard du plan d'action et des besoins : — → 4" in french


def test_the_organization_home_lists_its_late_and_due_soon_reports_and_drafts(client, sign_in):
    """The organization's home said nothing of a late report nor of a draft left open: an « À
    faire » section lists them with links, the organization's own only."""
    from datetime import timedelta

    from grants.accountability.workflow import ReportStatus
    from grants.core import clock

    ours, theirs = OrganizationFactory(), OrganizationFactory()
    agreement, _ = agreement_in_force("TNCES", ours, years=2)
    other_agreement, _ = agreement_in_force("TNCES", theirs, years=2)
    late = report_of(agreement, "midyear", 2026)
    soon = report_of(agreement, "annual", 2026)
    far = report_of(agreement, "midyear", 2027)
    today = clock.today()
    late.due_date, soon.due_date, far.due_date = (
        today - timedelta(days=5),
        today + timedelta(days=10),
        today + timedelta(days=200),
    )
    for report in (report_of(other_agreement, "midyear", 2026), report_of(other_agreement, "annual", 2026)):
        report.due_date = today - timedelta(days=5)
    draft = funding_request("TNCES", ours, years=1, title="Notre brouillon")
    other_draft = funding_request("TNCES", theirs, years=1, title="Brouillon d'un autre organisme")
    submitted = funding_request("TNCES", ours, status="submitted", years=1, title="Demande déjà déposée")
    db.session.commit()
    assert late.status == ReportStatus.TO_DO

    sign_in(member(MemberRole.CONTRIBUTOR, organization=ours))
    raw = client.get("/").get_data(as_text=True)
    page = _text(client.get("/"))
    section = page[page.index('id="to-do"') : page.index('id="my-orgs"')]
    assert "À faire" in section and "En retard" in section
    assert f'href="/redditions/{late.id}"' in raw and f'href="/redditions/{soon.id}"' in raw
    assert f'href="/redditions/{far.id}"' not in raw  # not due soon
    assert f'href="/demandes/{draft.id}/modifier"' in raw and "Notre brouillon" in section
    assert "Demande déjà déposée" not in section and f"/demandes/{submitted.id}/modifier" not in raw
    # Another organization's reports and drafts never appear.
    for report in db.session.scalars(db.select(type(late)).filter_by(organization_id=theirs.id)):
        assert f'href="/redditions/{report.id}"' not in raw
    assert f"/demandes/{other_draft.id}/" not in raw and "Brouillon d'un autre organisme" not in page
    assert theirs.legal_name not in section

    english = _text(client.get("/?lang=en"))
    assert "To do" in english and "Accountability reports late or due soon" in english
    assert "Draft requests" in english and "Late" in english
