"""Who reads the audit trail and the outbox (issue 12, item 15): administrators everything; an
officer the entries of their programs' files; the coordination cell the entries of every
program's files, read-only; an organization the history of its own files, without the ministry's
internal work; the outbox for administrators only."""

from dataclasses import replace

import pytest

from grants.accounts.operations import request_password_reset, sign_in
from grants.core.audit import record_many
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.notifications.models import OutboundEmail
from grants.requests.operations import data_of, save
from grants.review.operations import assign
from tests.factories import PASSWORD, OrganizationFactory, funding_request, member, program, staff

DRAFT_SECRET = "Brouillon confidentiel du projet HEB-42"


@pytest.fixture
def trail():
    """Two organizations' files in two programs, and the entries their history leaves."""
    housing_org, table_org = OrganizationFactory(), OrganizationFactory()
    people = {
        "admin": staff(StaffRole.SYSTEM_ADMIN),
        "cell": staff(StaffRole.COORDINATION_CELL),
        "tnces officer": staff(StaffRole.PROGRAM_OFFICER, "TNCES"),
        "housing officer": staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT"),
        "housing member": member(MemberRole.READ_ONLY, organization=housing_org),
        "table member": member(MemberRole.ACCOUNT_ADMIN, organization=table_org),
    }
    draft = funding_request("HEBERGEMENT", housing_org, years=3, annual_amount="50000.00")
    save(
        draft,
        replace(data_of(draft), summary=DRAFT_SECRET),
        actor=people["housing member"],
        expected_version=None,
    )
    submitted = funding_request("TNCES", table_org, status="submitted")
    assign(submitted, people["tnces officer"], actor=people["tnces officer"])  # request.start_review
    second = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    assign(submitted, second, actor=people["tnces officer"])  # request.assigned: internal
    record_many(
        "installments.rebalanced",
        [
            {
                "object_type": "Agreement",
                "object_id": 999,
                "organization_id": table_org.id,
                "program_id": program("TNCES").id,
                "changes": {"reason": "bulk-tnces"},
            }
        ],
    )
    db.session.commit()
    sign_in(people["table member"].email, PASSWORD)  # user.signed_in: an account entry
    request_password_reset(people["housing member"].email)  # an email in the outbox
    db.session.commit()
    return people


# What each reader finds in the journal: True seen, False not seen.
EXPECTED = {
    "admin": {"draft": True, "start": True, "internal": True, "bulk": True, "account": True},
    "cell": {"draft": True, "start": True, "internal": True, "bulk": True, "account": False},
    "tnces officer": {"draft": False, "start": True, "internal": True, "bulk": True, "account": False},
    "housing officer": {"draft": True, "start": False, "internal": False, "bulk": False, "account": False},
    "housing member": {"draft": True, "start": False, "internal": False, "bulk": False, "account": False},
    "table member": {"draft": False, "start": True, "internal": False, "bulk": True, "account": False},
}
MARKERS = {
    "draft": DRAFT_SECRET,
    "start": "request.start_review",
    "internal": "request.assigned",
    "bulk": "bulk-tnces",
    "account": "user.signed_in",
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_reads_only_its_part_of_the_audit_trail(app, sign_in, trail, role):
    browser = app.test_client()
    sign_in(trail[role], target=browser)
    response = browser.get("/journal/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    seen = {name: marker in page for name, marker in MARKERS.items()}
    assert seen == EXPECTED[role]


def test_journal_filters_cannot_reach_past_the_role(app, sign_in, trail):
    """Filtering by object type or id narrows what the role sees; it never widens it."""
    browser = app.test_client()
    sign_in(trail["tnces officer"], target=browser)
    page = browser.get("/journal/?type=FundingRequest&action=request.").get_data(as_text=True)
    assert DRAFT_SECRET not in page
    assert "request.start_review" in page


def test_an_account_with_no_role_has_no_journal(app, sign_in):
    from tests.factories import UserFactory

    browser = app.test_client()
    sign_in(UserFactory(), target=browser)
    assert browser.get("/journal/").status_code == 403


@pytest.mark.parametrize("role", list(EXPECTED))
def test_only_administrators_read_the_outbox(app, sign_in, trail, role):
    message = db.session.execute(db.select(OutboundEmail)).scalars().first()
    browser = app.test_client()
    sign_in(trail[role], target=browser)
    expected = 200 if role == "admin" else 403
    assert browser.get("/courriels/").status_code == expected
    assert browser.get(f"/courriels/{message.id}").status_code == expected
    home = browser.get("/").get_data(as_text=True)
    assert ('href="/courriels/"' in home) is (role == "admin")
