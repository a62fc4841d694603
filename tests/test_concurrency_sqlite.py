"""The concurrency scenarios of the suite, on SQLite as `make run` uses it: SQLite has no row
locks (FOR UPDATE is ignored), so the losing click must be turned into the current state there
too, never into a StaleDataError and a 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from grants.core.db import db
from grants.core.roles import MemberRole
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus
from tests.conftest import REFERENCE_TABLES
from tests.factories import PASSWORD, OrganizationFactory, funding_request, member, open_call
from tests.forms import forms_of
from tests.helpers import csrf_token
from tests.sqlite_app import make_sqlite_app, restore_celery
from tests.test_accountability_reminders import test_a_scan_run_twice_claims_each_step_once as reminder_scan
from tests.test_requests import test_a_double_click_on_start_creates_one_draft as double_click_on_start
from tests.test_requests import test_two_simultaneous_submissions_make_one as two_submissions
from tests.test_review import test_two_officers_deciding_at_once_make_one_decision as two_decisions


@pytest.fixture(scope="session")
def _sqlite_application(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    application = make_sqlite_app(tmp_path_factory.mktemp("sqlite-app"))
    restore_celery(app)  # building an app makes its Celery the default one: give it back
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def sqlite_app(app: Any, _sqlite_application: Any) -> Iterator[Any]:
    """The SQLite application, its context pushed over the suite's one; emptied afterwards."""
    restore_celery(_sqlite_application)  # its emails go to its own broker
    with _sqlite_application.app_context():
        yield _sqlite_application
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    connection.execute(table.delete())
    restore_celery(app)


def _sign_in(client: Any, user: Any) -> Any:
    token = csrf_token(client, "/compte/connexion")
    response = client.post(
        "/compte/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_two_simultaneous_submissions_make_one_on_sqlite(sqlite_app):
    two_submissions(sqlite_app)


def test_two_officers_deciding_at_once_make_one_decision_on_sqlite(sqlite_app):
    two_decisions(sqlite_app)


def test_a_double_click_on_start_creates_one_draft_on_sqlite(sqlite_app):
    client = sqlite_app.test_client()
    double_click_on_start(sqlite_app, client, lambda user: _sign_in(client, user))


def test_the_losing_click_of_a_double_submission_sees_the_submitted_request_on_sqlite(sqlite_app):
    """Two clicks on « Déposer » through the pages: one submits, the other lands on the request
    as it now is, submitted, with no error."""
    from grants.reference.models import Region

    organization = OrganizationFactory()
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    request.regions = [db.session.get(Region, "06")]
    db.session.commit()
    client = _sign_in(sqlite_app.test_client(), applicant)
    url = f"/demandes/{request.id}/modifier"
    page = client.get(url).get_data(as_text=True)
    assert "csrf_token" in page
    data = {"csrf_token": csrf_token(client, url), "action": "submit", "version": str(request.version)}
    form = next(f for f in forms_of(page, url) if f.action == url and f.method == "post")
    fields = [(n, v) for n, v in form.fields if n not in data]
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        from werkzeug.datastructures import MultiDict

        barrier.wait(10)
        try:
            response = client.post(url, data=MultiDict(fields + list(data.items())))
            outcomes.append((response.status_code, response.headers.get("Location")))
        except Exception as error:  # the failure this test is about
            outcomes.append(repr(error))

    threads = [threading.Thread(target=click, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [o[0] if isinstance(o, tuple) else o for o in outcomes] == [302, 302], outcomes
    assert {o[1] for o in outcomes} == {f"/demandes/{request.id}"}
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.SUBMITTED


def test_the_reminder_scan_claims_each_step_once_on_sqlite(sqlite_app):
    reminder_scan()
