"""Importing other ministries' funding (issue 11, item 1 and "Bad input"): each bad line named with
its number and reason on the page (French and English) while the good lines load; a file-level
problem loads nothing and says why; a file over the limit is refused with the limit named (also
past Flask's MAX_CONTENT_LENGTH); re-importing changes nothing; an import can be withdrawn once;
CSV exports neutralize formula cells; the real Celery worker loads a file while the page shows its
progress; the command prints the counts and the bad lines."""

from __future__ import annotations

import contextlib
import csv
import html
import io

import pytest

from grants.coordination import imports
from grants.coordination.models import ExternalFunding, FundingImport, ImportLineError, ImportStatus
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.jobs import BackgroundJob, JobStatus
from grants.core.roles import StaffRole
from grants.fiscal import FiscalYear
from grants.reference.models import Measure
from tests.conftest import wait_until
from tests.factories import member, pdf_bytes, staff
from tests.helpers import csrf_token, normalize_spaces

HEADER = (
    "record_id,source_ministry,program,recipient_name,recipient_neq,recipient_city,recipient_region,"
    "project_title,description,amount_cad,start_date,end_date,fiscal_year,measure"
)
GOOD = {
    "record_id": "MSSS-1",
    "source_ministry": "MSSS",
    "program": "PSOC",
    "recipient_name": "Maison Passerelle",
    "recipient_neq": "1170000001",
    "recipient_city": "Laval",
    "recipient_region": "13",
    "project_title": "Hébergement d'urgence",
    "description": "Lits d'urgence pour personnes victimes",
    "amount_cad": "50000.00",
    "start_date": "2026-04-01",
    "end_date": "2027-03-31",
    "fiscal_year": "2026-2027",
    "measure": "",
}


def line(**changes: str) -> str:
    values = {**GOOD, **changes}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[name] for name in HEADER.split(",")])
    return buffer.getvalue()


def file_of(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n" + "".join(lines)).encode("utf-8")


# Line numbers count the header as line 1.
MIXED = file_of(
    line(record_id="MSSS-1"),  # 2 good
    line(record_id="MSSS-2", start_date="2026-13-01"),  # 3 bad date
    line(record_id="MSSS-3", amount_cad="cinquante"),  # 4 bad amount
    line(record_id="MSSS-4", fiscal_year="2026-27"),  # 5 fiscal year
    line(record_id="MSSS-5", recipient_region="Atlantide"),  # 6 unknown region
    line(record_id="MSSS-6", recipient_neq="123456789"),  # 7 nine-digit NEQ
    line(record_id="MSSS-1", program="Autre"),  # 8 duplicate record_id
    line(record_id="MSSS-8", measure="99"),  # 9 unknown measure
    line(record_id="MSSS-9", measure="13", recipient_region="Montréal", recipient_neq=""),  # 10 good
    line(record_id="MSSS-10", recipient_name="Centre Horizon", recipient_region="6"),  # 11 good
)
MIXED_REASONS_FR = {
    3: "start_date 2026-13-01 : une date AAAA-MM-JJ est attendue",
    4: "montant cinquante illisible",
    5: "exercice 2026-27 : il faut AAAA-AAAA+1",
    6: "région Atlantide inconnue",
    7: "NEQ 123456789 : 9 chiffres",
    8: "record_id MSSS-1 déjà vu à la ligne 2",
    9: "mesure 99 inconnue",
}
MIXED_REASONS_EN = {
    3: "start_date 2026-13-01: a YYYY-MM-DD date is expected",
    4: "unreadable amount cinquante",
    5: "fiscal year 2026-27: YYYY-YYYY+1 is needed",
    6: "unknown region Atlantide",
    7: "NEQ 123456789: 9 digits",
    8: "record_id MSSS-1 already seen on line 2",
    9: "unknown measure 99",
}


@pytest.fixture
def cell(client, sign_in):
    user = staff(StaffRole.COORDINATION_CELL, email="cellule@example.org")
    sign_in(user)
    return user


def upload(client, data: bytes, name: str = "financement.csv"):
    url = "/cellule/importations/"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def upload_and_load(client, data: bytes, name: str = "financement.csv") -> FundingImport:
    """Upload through the page, then run what the Celery task runs (the worker has its own test)."""
    response = upload(client, data, name)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    funding_import = (
        db.session.execute(db.select(FundingImport).order_by(FundingImport.id.desc())).scalars().first()
    )
    # Run what the Celery task runs; if a worker started by an earlier test took the job first,
    # this runner's claim fails and it waits for the worker's load instead.
    imports.load_for_job(funding_import.job_id)

    wait_until(lambda: _job_status(funding_import.job_id) in (JobStatus.DONE, JobStatus.FAILED), timeout=60)
    return db.session.get(FundingImport, funding_import.id)


def _job_status(job_id: int) -> JobStatus | None:
    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    return JobStatus(job.status) if job is not None else None


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(response)


def text_of(response) -> str:
    return normalize_spaces(html.unescape(response.get_data(as_text=True)))


def test_each_bad_line_is_named_with_its_reason_and_the_good_lines_load(client, cell):
    funding_import = upload_and_load(client, MIXED)
    assert funding_import.status == ImportStatus.DONE
    assert (funding_import.lines_loaded, funding_import.lines_unchanged, funding_import.lines_refused) == (
        3,
        0,
        7,
    )
    stored = {f.record_id: f for f in db.session.scalars(db.select(ExternalFunding))}
    assert set(stored) == {"MSSS-1", "MSSS-9", "MSSS-10"}
    assert stored["MSSS-9"].recipient_region == "06" and stored["MSSS-10"].recipient_region == "06"
    assert stored["MSSS-1"].recipient_region == "13" and stored["MSSS-1"].fiscal_year == FiscalYear(2026)
    measure = db.session.get(Measure, stored["MSSS-9"].measure_id)
    assert measure.number == "13" and stored["MSSS-9"].measure_code == "13"
    assert stored["MSSS-1"].measure_id is None and stored["MSSS-9"].recipient_neq is None
    errors = {e.line: e.code for e in db.session.scalars(db.select(ImportLineError))}
    assert errors == {
        3: "date",
        4: "amount",
        5: "fiscal_year",
        6: "region",
        7: "neq_nine",
        8: "duplicate_id",
        9: "measure",
    }

    french = page_text(client, f"/cellule/importations/{funding_import.id}")
    assert "3 lignes chargées" in french and "7 refusées" in french
    for number, reason in MIXED_REASONS_FR.items():
        assert f'<th scope="row" class="num">{number}</th><td>' in french
        assert reason in french, reason
    assert "Retirer l'importation" in french
    english = page_text(client, f"/cellule/importations/{funding_import.id}?lang=en")
    assert "3 lines loaded" in english
    for reason in MIXED_REASONS_EN.values():
        assert reason in english, reason
    # The list of imports and of all lines show them too.
    form = page_text(client, "/cellule/importations/?lang=en")
    assert '<label for="file">CSV file</label>' in form and ">Import</button>" in form
    listing = page_text(client, "/cellule/importations/?lang=fr")
    assert '<label for="file">Fichier CSV</label>' in listing and ">Importer</button>" in listing
    assert "financement.csv" in listing and "Chargée" in listing
    lines = page_text(client, "/cellule/financements/?region=06")
    assert "MSSS-9" in lines and "MSSS-10" in lines and "MSSS-1<" not in lines
    assert "3 lignes" in page_text(client, "/cellule/financements/?ministry=MSSS&fiscal_year=2026-2027")
    assert "1 ligne" in page_text(client, "/cellule/financements/?q=horizon")
    entries = db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.object_type == "FundingImport")
    )
    assert set(entries) == {"funding_import.created", "funding_import.loaded"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            file_of(line()).decode().encode("latin-1"),
            "le fichier n'est pas en UTF-8 (octet 0xE9 à la ligne 2)",
        ),
        (
            file_of(line(), header=HEADER.replace("amount_cad,", "")),
            "colonnes obligatoires absentes de l'en-tête : amount_cad",
        ),
    ],
    ids=["another-encoding", "missing-column"],
)
def test_a_file_level_problem_loads_nothing_and_says_why(client, cell, data, reason):
    funding_import = upload_and_load(client, data)
    assert funding_import.status == ImportStatus.REFUSED
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 0
    text = page_text(client, f"/cellule/importations/{funding_import.id}")
    assert "Fichier refusé : rien n'a été chargé" in text and reason in text
    assert "Retirer l'importation" not in text


def test_a_file_over_the_limit_is_refused_with_the_limit_named(client, cell, app):
    saved = app.config["FUNDING_IMPORT_MAX_BYTES"]
    app.config["FUNDING_IMPORT_MAX_BYTES"] = 1024 * 1024
    try:
        big = file_of(*(line(record_id=f"R-{n}") for n in range(7000)))
        assert 1024 * 1024 < len(big) < 2 * 1024 * 1024
        response = upload(client, big)
        assert response.status_code == 422
        text = text_of(response)
        assert "plus que la limite de 1 Mo" in text and "rien n'a été importé" in text
        # Past what the page reads at all (Flask's MAX_CONTENT_LENGTH for this form): the same page,
        # the limit named, not a bare 413.
        huge = big * 3
        response = upload(client, huge)
        assert response.status_code == 413
        text = text_of(response)
        assert "dépasse la limite de 1 Mo" in text and "Fichier CSV" in text
    finally:
        app.config["FUNDING_IMPORT_MAX_BYTES"] = saved
    assert db.session.scalar(db.select(db.func.count()).select_from(FundingImport)) == 0


def test_a_file_that_is_not_a_csv_is_refused(client, cell):
    response = upload(client, pdf_bytes(), "financement.csv")
    assert response.status_code == 422
    assert "n'est pas un fichier texte CSV" in text_of(response)
    response = upload(client, file_of(line()), "financement.xlsx")
    assert response.status_code == 422 and "n'est pas un fichier CSV" in text_of(response)
    response = upload(client, b"", "vide.csv")
    assert response.status_code == 422


def test_a_value_too_long_for_its_column_is_a_bad_line_not_a_failed_load(client, cell):
    funding_import = upload_and_load(
        client, file_of(line(record_id="L-1"), line(record_id="L-2", recipient_name="N" * 300))
    )
    assert funding_import.status == ImportStatus.DONE
    assert (funding_import.lines_loaded, funding_import.lines_refused) == (1, 1)
    text = page_text(client, f"/cellule/importations/{funding_import.id}")
    assert "recipient_name trop long : 300 caractères, au plus 255" in text


def test_a_load_that_crashes_leaves_nothing_and_says_so(client, cell, app):
    from pathlib import Path

    response = upload(client, MIXED)
    assert response.status_code == 303
    funding_import = db.session.execute(db.select(FundingImport)).scalar_one()
    stored = Path(app.config["FILE_STORAGE_PATH"]) / funding_import.sha256[:2] / funding_import.sha256
    stored.unlink()  # the bytes are gone when the task runs
    # This runner raises; or a worker an earlier test started claimed the job first and fails it.
    with contextlib.suppress(FileNotFoundError):
        imports.load_for_job(funding_import.job_id)
    wait_until(lambda: _job_status(funding_import.job_id) == JobStatus.FAILED, timeout=60)
    db.session.expire_all()
    assert db.session.get(FundingImport, funding_import.id).status == ImportStatus.REFUSED
    assert db.session.get(BackgroundJob, funding_import.job_id).status == JobStatus.FAILED
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 0
    text = page_text(client, f"/cellule/importations/{funding_import.id}")
    assert (
        "le chargement s'est interrompu (FileNotFoundError" in text
        and "importez le fichier de nouveau" in text
    )


def test_reimporting_the_same_file_changes_nothing_and_a_changed_line_moves(client, cell):
    first = upload_and_load(client, MIXED)
    before = {f.record_id: (f.id, f.import_id) for f in db.session.scalars(db.select(ExternalFunding))}
    again = upload_and_load(client, MIXED)
    assert (again.lines_loaded, again.lines_unchanged, again.lines_refused) == (0, 3, 7)
    after = {f.record_id: (f.id, f.import_id) for f in db.session.scalars(db.select(ExternalFunding))}
    assert after == before and {i for _, i in after.values()} == {first.id}
    assert "0 lignes chargées, 3 inchangées" in page_text(client, f"/cellule/importations/{again.id}")
    changed = upload_and_load(
        client, file_of(line(record_id="MSSS-1", amount_cad="60000"), line(record_id="MSSS-11"))
    )
    assert (changed.lines_loaded, changed.lines_unchanged) == (2, 0)
    moved = db.session.execute(db.select(ExternalFunding).filter_by(record_id="MSSS-1")).scalar_one()
    assert (
        moved.import_id == changed.id and str(moved.amount) == "60000.00" and moved.id == before["MSSS-1"][0]
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 4


def test_an_import_is_withdrawn_once(client, cell):
    funding_import = upload_and_load(client, MIXED)
    url = f"/cellule/importations/{funding_import.id}"
    token = csrf_token(client, url)
    unconfirmed = client.post(f"{url}/retrait", data={"csrf_token": token})
    assert unconfirmed.status_code == 303
    assert "Cochez la case" in page_text(client, url)
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 3
    response = client.post(f"{url}/retrait", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    withdrawn = db.session.get(FundingImport, funding_import.id)
    assert withdrawn.status == ImportStatus.WITHDRAWN and withdrawn.withdrawn_by_id == cell.id
    assert withdrawn.withdrawn_at is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 0
    text = page_text(client, url)
    assert "3 lignes supprimées" in text and "Retirée" in text
    assert "Retirer l'importation</button>" not in text
    with pytest.raises(imports.ImportRefused):
        imports.withdraw_import(withdrawn, cell)
    client.post(f"{url}/retrait", data={"csrf_token": token, "confirm": "y"})
    assert "déjà retirée" in page_text(client, url)
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="funding_import.withdrawn", object_id=str(funding_import.id))
    ).scalar_one()
    assert entry.changes["lines_removed"] == 3 and entry.actor_id == cell.id


def test_csv_exports_neutralize_formula_cells(client, cell):
    upload_and_load(
        client,
        file_of(
            line(
                record_id="X-1",
                recipient_name='=HYPERLINK("http://evil")',
                program="+cmd",
                project_title="-2+3",
                recipient_city="@SUM(A1)",
            ),
            line(record_id="X-2", start_date="hier"),
        ),
        name="=evil.csv",
    )
    funding_import = db.session.execute(db.select(FundingImport)).scalar_one()
    rows = list(
        csv.reader(io.StringIO(client.get("/cellule/financements/?format=csv").get_data(as_text=True)))
    )
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["recipient_name"] == '\'=HYPERLINK("http://evil")'
    assert (
        cells["program"] == "'+cmd"
        and cells["project_title"] == "'-2+3"
        and cells["recipient_city"] == "'@SUM(A1)"
    )
    assert cells["amount_cad"] == "50000.00"
    imports_csv = client.get("/cellule/importations/?format=csv").get_data(as_text=True)
    assert "'=evil.csv" in imports_csv and ",=evil.csv" not in imports_csv
    errors_csv = list(
        csv.reader(
            io.StringIO(
                client.get(f"/cellule/importations/{funding_import.id}?format=csv").get_data(as_text=True)
            )
        )
    )
    assert errors_csv[1][:2] == ["3", "date"] and "hier" in errors_csv[1][2]
    lines_csv = client.get(f"/cellule/financements/?import_id={funding_import.id}&format=csv").get_data(
        as_text=True
    )
    assert "X-1" in lines_csv and "X-2" not in lines_csv


def test_the_celery_worker_loads_the_file_while_the_page_shows_progress(celery_worker, client, cell):
    data = file_of(
        *(line(record_id=f"W-{n}", amount_cad=f"{1000 + n}.00") for n in range(300)),
        line(record_id="W-x", amount_cad="x"),
    )

    class Upload:
        filename = "gros.csv"

        def read(self) -> bytes:
            return data

    funding_import = imports.start_import(Upload(), cell)
    db.session.commit()
    url = f"/cellule/importations/{funding_import.id}"
    waiting = page_text(client, url)
    assert "<progress" in waiting and 'http-equiv="refresh"' in waiting and "En attente" in waiting
    assert imports.queue_import(funding_import)

    def finished():
        db.session.expire_all()
        job = db.session.get(BackgroundJob, funding_import.job_id)
        return job if JobStatus(job.status).finished else None

    job = wait_until(finished, timeout=60)
    assert job.status == JobStatus.DONE, job.reason
    text = page_text(client, url)
    assert "300 lignes chargées" in text and "1 refusée" in text and 'http-equiv="refresh"' not in text
    assert "<progress" not in text and "montant x illisible" in text
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 300


def test_the_command_loads_a_file_and_exits_non_zero_on_a_refused_one(app, tmp_path):
    user = staff(StaffRole.COORDINATION_CELL, email="batch@example.org")
    db.session.commit()
    path = tmp_path / "lot.csv"
    path.write_bytes(MIXED)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coordination", "import", str(path), "--user", user.email])
    assert result.exit_code == 0, result.output
    assert "3 lignes chargées, 0 inchangées, 7 refusées" in result.output
    assert "ligne 5: exercice 2026-27" in result.output and "ligne 9: mesure 99 inconnue" in result.output
    funding_import = db.session.execute(db.select(FundingImport)).scalar_one()
    assert funding_import.uploaded_by_id == user.id and funding_import.file_name == "lot.csv"
    again = runner.invoke(args=["coordination", "import", str(path), "--language", "en"])
    assert again.exit_code == 0 and "0 lines loaded, 3 unchanged, 7 refused" in again.output
    bad = tmp_path / "mauvais.csv"
    bad.write_bytes(file_of(line(), header=HEADER.replace("fiscal_year,", "")))
    refused = runner.invoke(args=["coordination", "import", str(bad)])
    assert refused.exit_code == 1
    assert (
        "refusé, rien n'est chargé : colonnes obligatoires absentes de l'en-tête : fiscal_year"
        in refused.output
    )


@pytest.mark.parametrize("who", ["officer", "member"])
def test_others_cannot_upload_or_withdraw(client, sign_in, who):
    cell_user = staff(StaffRole.COORDINATION_CELL)
    outcome = imports.load_file(MIXED, "a.csv", actor=cell_user)
    db.session.commit()
    user = staff(StaffRole.PROGRAM_OFFICER, "TNCES") if who == "officer" else member()
    sign_in(user)
    token = csrf_token(client, "/")
    assert client.get("/cellule/importations/").status_code == 404
    assert client.get(f"/cellule/importations/{outcome.funding_import.id}").status_code == 404
    assert client.get("/cellule/financements/?format=csv").status_code == 404
    assert (
        client.post(
            f"/cellule/importations/{outcome.funding_import.id}/retrait",
            data={"csrf_token": token, "confirm": "y"},
        ).status_code
        == 404
    )
    assert db.session.get(FundingImport, outcome.funding_import.id).status == ImportStatus.DONE


def test_every_member_of_the_cell_follows_an_import_s_progress(client, sign_in, app):
    uploader = staff(StaffRole.COORDINATION_CELL)

    class Upload:
        filename = "suivi.csv"

        def read(self) -> bytes:
            return MIXED

    funding_import = imports.start_import(Upload(), uploader)
    db.session.commit()
    sign_in(staff(StaffRole.COORDINATION_CELL))
    status = client.get(f"/taches/{funding_import.job_id}")
    assert status.status_code == 200 and status.get_json()["status"] == "queued"
    other = app.test_client()
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"), target=other)
    assert other.get(f"/taches/{funding_import.job_id}").status_code == 404


def test_the_demo_seed_loads_the_demo_funding_file():
    from grants.demo.seed import seed_demo

    seed_demo()
    db.session.commit()
    funding_import = db.session.execute(db.select(FundingImport)).scalar_one()
    assert funding_import.file_name == "demo_funding.csv" and funding_import.status == ImportStatus.DONE
    assert funding_import.lines_refused == 0 and funding_import.lines_loaded >= 55
    passerelle = db.session.scalars(db.select(ExternalFunding).filter_by(recipient_neq="1170000001")).all()
    assert {f.source_ministry for f in passerelle} >= {"MSSS", "SHQ", "Ville de Laval"}
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(ExternalFunding)
            .where(ExternalFunding.measure_id.is_not(None))
        )
        >= 20
    )
    seed_demo()  # a second run changes nothing
    assert db.session.scalar(db.select(db.func.count()).select_from(FundingImport)) == 1
