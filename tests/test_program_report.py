"""Issue 10, items 5 and 6 (program report half): the program report PDF for a fiscal year, read
back with pypdf (amounts, dates, fiscal year, page numbers, small counts suppressed, English
version); built by the real Celery worker through a background job with progress, downloadable by
the program's officer and 404 for an organization's user; `grants reports pdf` writes the same file."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from grants.accountability import operations
from grants.accountability.program_report import Compliance, gather, render
from grants.core import clock, jobs
from grants.core.db import db
from grants.core.jobs import BackgroundJob, JobStatus
from grants.core.roles import MemberRole, StaffRole
from grants.core.suppression import Status
from grants.fiscal import FiscalYear
from grants.payments import operations as payments
from grants.payments.models import InstallmentStatus
from grants.payments.workflow import InstallmentEvent
from grants.programs.models import Program
from tests.conftest import wait_until
from tests.factories import OrganizationFactory, agreement_in_force, complete_report, member, report_of, staff
from tests.helpers import csrf_token, normalize_spaces

ROOT = Path(__file__).resolve().parent.parent
YEAR = FiscalYear(2026)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.TIME_ZONE).astimezone(UTC)


def _text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    text = normalize_spaces("\n".join(page.extract_text() for page in reader.pages))
    return re.sub(r"[ \t]+", " ", text), len(reader.pages)


def _submit(report, author, *, gender: dict[str, int], on: date) -> None:
    people = sum(gender.values())
    complete_report(report, author, people=people)
    counts = {**_counts_of(report), "gender": gender}
    operations.save_people(report, operations.PeopleData(people, counts, {}), actor=author)
    db.session.commit()
    with clock.frozen(_at(on)):
        operations.submit(report.id, actor=author)
        db.session.commit()


def _counts_of(report) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for row in report.reach_counts:
        counts.setdefault(row.variable, {})[row.category] = row.count
    return counts


@pytest.fixture
def program_year():
    """Four TNCES-funded organizations in 2026-2027: one reported on time (two non-binary people:
    a small count), one late, one not at all (missing), one with a paid installment."""
    names = ["Alpha Table", "Bêta Concertation", "Gamma Réseau", "Delta Regroupement"]
    organizations, agreements, authors = [], [], []
    for name in names:
        organization = OrganizationFactory(legal_name=name)
        agreement, officer = agreement_in_force("TNCES", organization, years=1, amount="175000.00")
        organizations.append(organization)
        agreements.append(agreement)
        authors.append(member(MemberRole.CONTRIBUTOR, organization=organization))
    _submit(
        report_of(agreements[0]),
        authors[0],
        gender={"man": 30, "woman": 8, "non_binary": 2},
        on=date(2026, 10, 20),
    )
    _submit(report_of(agreements[1]), authors[1], gender={"man": 5, "woman": 7}, on=date(2026, 11, 10))
    _submit(report_of(agreements[3]), authors[3], gender={"man": 11, "woman": 13}, on=date(2026, 10, 30))
    first = next(
        i
        for i in payments.installments_of(agreements[3].id, YEAR)
        if i.status in {InstallmentStatus.SCHEDULED, InstallmentStatus.AUTHORIZED}
    )
    if first.status == InstallmentStatus.SCHEDULED:
        payments.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    payments.apply_event(first, InstallmentEvent.PAY, actor=officer, paid_on=date(2026, 5, 1))
    db.session.commit()
    program = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    return program, organizations, agreements, authors, first.amount


def test_the_figures_are_gathered_per_organization_and_small_counts_are_suppressed(program_year):
    program, organizations, _agreements, _authors, paid = program_year
    with clock.frozen(_at(date(2026, 12, 1))):
        report = gather(program, YEAR)
    by_name = {line.name: line for line in report.organizations}
    assert len(report.organizations) == 4
    assert all(line.committed == 175000 for line in report.organizations)
    assert by_name["Delta Regroupement"].paid == paid and report.paid == paid
    assert by_name["Alpha Table"].reports[Compliance.ON_TIME] == 1
    assert by_name["Bêta Concertation"].reports[Compliance.LATE] == 1
    assert by_name["Gamma Réseau"].reports[Compliance.MISSING] == 1
    # Organizations × gender: the two non-binary people of Alpha are `< 5`, and enough other cells
    # are hidden that no hidden one can be recomputed from its row or its column.
    table = report.by_organization
    alpha = organizations[0].id
    assert table.cell(alpha, table.columns[2]).status is Status.PRIMARY
    hidden_in_row = [c for c in table.cells[table.rows.index(alpha)] if c.hidden] + [
        table.row_totals[table.rows.index(alpha)]
    ]
    assert sum(1 for c in hidden_in_row if c.hidden) >= 2
    # Bêta's 5 men and 7 women are not small; nothing of a zero row is hidden.
    assert table.cell(organizations[1].id, table.columns[0]).value == 5


def test_the_pdf_reads_back_in_french_with_page_numbers_and_suppressed_cells(program_year):
    program, *_ = program_year
    with clock.frozen(_at(date(2026, 12, 1))):
        text, pages = _text(render(program, YEAR, language="fr"))
    assert pages >= 2
    assert "Rapport de programme" in text and "TNCES" in text
    assert "2026-2027" in text
    assert "1er avril 2026" in text and "31 mars 2027" in text  # the fiscal year on the cover
    assert "700 000 $" in text  # four times 175 000 $ committed
    assert "175 000 $" in text
    assert f"page 1 de {pages}" in text and f"page {pages} de {pages}" in text
    assert "< 5" in text
    assert "Alpha Table" in text and "Manquant" in text
    assert "1er décembre 2026" in text  # produced on


def test_the_english_version_is_in_english(program_year):
    program, *_ = program_year
    with clock.frozen(_at(date(2026, 12, 1))):
        text, pages = _text(render(program, YEAR, language="en"))
    assert "Program report" in text
    assert f"page 1 of {pages}" in text
    assert "$700,000" in text and "2026-2027" in text
    assert "April 1, 2026" in text
    assert "< 5" in text and "Missing" in text
    assert "Rapport de programme" not in text
    assert "National concertation table on sexual exploitation" in text


def test_the_celery_task_builds_the_file_the_officer_downloads(
    program_year, celery_worker, client, sign_in, app
):
    program, organizations, *_ = program_year
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    outsider = member(MemberRole.ACCOUNT_ADMIN, organization=organizations[0])
    sign_in(officer)
    url = "/redditions/analyse/programmes/TNCES/rapport"
    page = client.get(url)
    assert page.status_code == 200 and "2026-2027" in page.get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "fiscal_year": "2026", "language": "fr"}
    )
    assert response.status_code == 303
    job = db.session.execute(db.select(BackgroundJob)).scalar_one()
    assert job.program_id == program.id and job.params == {"fiscal_year": 2026, "language": "fr"}

    def finished():
        db.session.expire_all()
        found = db.session.get(BackgroundJob, job.id)
        return found if JobStatus(found.status).finished else None

    done = wait_until(finished, timeout=90)
    assert done.status == JobStatus.DONE, done.reason
    assert (done.done, done.total) == (4, 4) and done.result_file_id is not None
    status = client.get(f"/taches/{job.id}").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    page = client.get(url).get_data(as_text=True)
    link = f"/redditions/analyse/programmes/TNCES/rapport/{job.id}.pdf"
    assert link in page and "<progress" in page
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text, pages = _text(download.data)
    assert "TNCES" in text and f"page 1 de {pages}" in text
    # An organization's user finds nothing there: not the page, the file, or the job's progress.
    other = app.test_client()
    sign_in(outsider, target=other)
    assert other.get(link).status_code == 404
    assert other.get(url).status_code == 404
    assert other.get(f"/taches/{job.id}").status_code == 404


def test_a_running_job_shows_its_progress_and_refreshes_without_scripts(program_year, client, sign_in):
    program, *_ = program_year
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    job = jobs.start_job(
        "program_report", requested_by=officer, program_id=program.id, params={"fiscal_year": 2026}, total=4
    )
    db.session.commit()
    jobs.advance(job, 2)
    sign_in(officer)
    page = client.get("/redditions/analyse/programmes/TNCES/rapport").get_data(as_text=True)
    assert '<progress id="job-' in page and 'value="50"' in page
    assert 'http-equiv="refresh"' in page and f'data-job-status-url="/taches/{job.id}"' in page
    assert client.get(f"/taches/{job.id}").get_json()["done"] == 2
    jobs.fail(job.id, "RuntimeError: boom")
    page = client.get("/redditions/analyse/programmes/TNCES/rapport").get_data(as_text=True)
    assert "boom" in page and 'http-equiv="refresh"' not in page
    with pytest.raises(jobs.JobFinished):
        jobs.advance(db.session.get(BackgroundJob, job.id), 3)


def test_the_command_writes_the_same_report(program_year, tmp_path):
    output = tmp_path / "tnces.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from grants.cli import main; sys.argv[0] = 'grants'; main()",
            "reports",
            "pdf",
            "--program",
            "TNCES",
            "--fiscal-year",
            "2026-2027",
            "--output",
            str(output),
            "--language",
            "en",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text, pages = _text(output.read_bytes())
    assert "TNCES" in text and f"page 1 of {pages}" in text and "$700,000" in text
    assert f"{pages} page(s)" in result.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "from grants.cli import main; main()",
            "reports",
            "pdf",
            "--program",
            "NOPE",
            "--fiscal-year",
            "2026-2027",
            "--output",
            str(tmp_path / "x.pdf"),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "no program" in bad.stderr


def test_the_submitted_report_pdf_has_the_same_print_design(program_year):
    """The organization's submitted report, as stored: running header with the program and the
    fiscal year, "page 1 de N" at the bottom of each page, its own counts shown (2 non-binary)."""
    from grants.files.storage import read

    _program, _organizations, agreements, *_ = program_year
    report = report_of(agreements[0])
    text, pages = _text(read(report.pdf))
    assert "TNCES — Table nationale" in text and "exercice 2026-2027" in text
    assert f"page 1 de {pages}" in text
    assert "< 5" not in text  # an organization's own report shows its own counts


def test_the_report_language_is_the_reader_s_unless_they_choose(program_year, client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    french = client.get("/redditions/analyse/programmes/TNCES/rapport").get_data(as_text=True)
    english = client.get("/redditions/analyse/programmes/TNCES/rapport?lang=en").get_data(as_text=True)
    assert '<option selected value="fr">Français</option>' in french
    assert '<option selected value="en">English</option>' in english


def test_a_crashed_job_says_so_without_its_error_text(program_year, client, sign_in):
    program, *_ = program_year
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    job = jobs.start_job(
        "program_report", requested_by=officer, program_id=program.id, params={"fiscal_year": 2026}, total=4
    )
    db.session.commit()
    jobs.fail_with(job.id, RuntimeError('(psycopg.errors.X) INSERT INTO "users" ... /srv/secret'))
    sign_in(officer)
    page = client.get("/redditions/analyse/programmes/TNCES/rapport").get_data(as_text=True)
    assert "erreur interne (RuntimeError)" in page and f"la tâche n° {job.id}" in page
    assert "INSERT" not in page and "/srv/secret" not in page
    english = client.get("/redditions/analyse/programmes/TNCES/rapport?lang=en").get_data(as_text=True)
    assert "internal error (RuntimeError)" in english and "INSERT" not in english
    status = client.get(f"/taches/{job.id}").get_json()
    assert "INSERT" not in status["reason"] and "RuntimeError" in status["reason"]
