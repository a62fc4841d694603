"""Pages that once failed on SQLite only, as `make run` starts the product with nothing configured
(the suite's PostgreSQL never saw them): each is opened here on the SQLite application."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from grants.core.roles import MemberRole, StaffRole
from tests.factories import member, staff
from tests.test_concurrency_sqlite import _sign_in, _sqlite_application, sqlite_app  # noqa: F401 (fixtures)


def test_the_accounts_list_and_its_csv_answer_on_sqlite(sqlite_app):  # noqa: F811
    """`array_agg` exists only on PostgreSQL: the list of accounts was a 500 under `make run`."""
    admin = staff(StaffRole.SYSTEM_ADMIN, full_name="Alice Admin")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TRCES", "TNCES", full_name="Olivier Agent")
    member(MemberRole.ACCOUNT_ADMIN, full_name="Marie Membre")
    client = _sign_in(sqlite_app.test_client(), admin)

    response = client.get("/admin/comptes/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Olivier Agent" in page and "TNCES, TRCES" in page  # one program officer role, two codes
    assert "Agent·e de programme" in page and "Administrateur·rice du compte" in page

    rows = client.get("/admin/comptes/?format=csv&sort=email").get_data(as_text=True).lstrip("\ufeff")
    by_email = {row[1]: row for row in csv.reader(io.StringIO(rows))}
    assert by_email[officer.email][2:4] == ["Agent·e de programme", "TNCES; TRCES"]
    assert by_email[admin.email][2:4] == ["Administration du système", ""]


def test_the_cell_imports_a_file_through_its_page_on_sqlite(sqlite_app):  # noqa: F811
    """Under `make run`, every import the cell uploaded failed with « database is locked »: the
    job's progress was written on a second connection while the load's own transaction held
    SQLite's only write lock. What the Celery task runs, run here on SQLite."""
    from grants.coordination import imports
    from grants.coordination.models import FundingImport, ImportStatus
    from grants.core.db import db
    from grants.core.jobs import JobStatus, job_for
    from tests.helpers import csrf_token

    data = (Path(imports.__file__).parent / "data" / "demo_funding.csv").read_bytes()
    cell = staff(StaffRole.COORDINATION_CELL, full_name="Sacha Cellule")
    client = _sign_in(sqlite_app.test_client(), cell)
    url = "/cellule/importations/"
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), "demo_funding.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    funding_import = db.session.execute(
        db.select(FundingImport).order_by(FundingImport.id.desc())
    ).scalar_one()

    imports.load_for_job(funding_import.job_id)

    db.session.expire_all()
    funding_import = db.session.get(FundingImport, funding_import.id)
    assert funding_import.status == ImportStatus.DONE and funding_import.lines_loaded > 50
    assert job_for(funding_import.job_id).status == JobStatus.DONE
    page = html.unescape(client.get(f"/cellule/importations/{funding_import.id}").get_data(as_text=True))
    assert "database is locked" not in page and "Chargée" in page
