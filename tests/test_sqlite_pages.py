"""Pages that once failed on SQLite only, as `make run` starts the product with nothing configured
(the suite's PostgreSQL never saw them): each is opened here on the SQLite application."""

from __future__ import annotations

import csv
import html
import io

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
