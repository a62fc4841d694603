"""Files reach the disk only with the transaction that records them (issue 12, item 22)."""

import uuid
from pathlib import Path

import pytest
from flask import current_app

from grants.core.db import db
from grants.core.roles import MemberRole
from grants.files.models import StoredFile
from grants.files.storage import read, store, sweep_pending
from grants.reference.models import Region
from grants.requests import operations
from grants.requests.models import FundingRequest
from tests.factories import OrganizationFactory, funding_request, member, open_call


def _files_on_disk() -> set[Path]:
    root = Path(current_app.config["FILE_STORAGE_PATH"])
    return {path for path in root.rglob("*") if path.is_file() and path.name != ".gitkeep"}


def test_a_rolled_back_store_leaves_no_file_and_a_committed_one_does():
    unique = uuid.uuid4().bytes  # the storage folder outlives a run: bytes never stored before
    before = _files_on_disk()
    stored = store(b"rolled back" + unique, original_name="a.pdf", media_type="application/pdf")
    assert read(stored) == b"rolled back" + unique  # readable inside its own transaction
    db.session.rollback()
    assert _files_on_disk() == before

    stored = store(b"committed" + unique, original_name="b.pdf", media_type="application/pdf")
    db.session.commit()
    created = _files_on_disk() - before
    assert [path.name for path in created] == [stored.sha256]
    assert read(db.session.get(StoredFile, stored.id)) == b"committed" + unique


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_a_crash_during_submission_leaves_no_orphan_pdf(end):
    """The acknowledgement PDF is rendered and stored inside the submission's transaction: when
    anything fails before the commit (the view rolls back, or the request ends and closes the
    session), the PDF must not stay on disk with no row pointing to it."""
    organization = OrganizationFactory()
    user = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    request.regions = [db.session.execute(db.select(Region).filter_by(code="03")).scalar_one()]
    db.session.commit()
    request_id = request.id
    before = _files_on_disk()
    submitted, now = operations.submit(request_id, actor=user)
    assert now and submitted.acknowledgement_file_id is not None
    getattr(db.session, end)()  # the crash: nothing after the operation reached the commit
    assert _files_on_disk() == before
    db.session.remove()
    assert db.session.get(FundingRequest, request_id).acknowledgement_file_id is None


def test_the_sweep_removes_pending_bytes_of_a_dead_process():
    root = Path(current_app.config["FILE_STORAGE_PATH"]) / ".pending"
    root.mkdir(parents=True, exist_ok=True)
    leftover = root / "left-by-a-killed-worker"
    leftover.write_bytes(b"x")
    assert sweep_pending(max_age_seconds=-1) >= 1
    assert not leftover.exists()
