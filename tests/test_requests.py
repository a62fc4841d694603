"""The organization's side of a request: drafts, full validation at submission, read-only after,
double submission, eligibility, withdrawal, and no way into another organization's file."""

import io
import re
import threading
from datetime import timedelta

import pytest

from grants.core.audit import AuditEntry
from grants.core.db import db, utcnow
from grants.core.roles import MemberRole, StaffRole
from grants.notifications.models import OutboundEmail
from grants.organizations.models import OrganizationKind
from grants.requests import operations, rules
from grants.requests.models import AttachmentKind, FundingRequest
from grants.requests.workflow import RequestStatus
from tests.factories import OrganizationFactory, funding_request, member, open_call, pdf_bytes, staff
from tests.helpers import csrf_token, normalize_spaces


def _edit(client, request, token_page=None, **fields):
    url = f"/demandes/{request.id}/modifier"
    token = csrf_token(client, token_page or url)
    data = {"csrf_token": token, "version": str(request.version)} | fields
    return client.post(url, data=data, content_type="multipart/form-data")


def test_a_draft_saves_with_anything_partial(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id, title="", summary="")
    # The period is posted as the page shows it: clearing it would drop the saved budget figures,
    # which asks for a confirmation first (tests/test_request_form.py).
    response = _edit(
        client, request, title="Juste un titre", start_date="2026-04-01", end_date="2027-03-31", action="save"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title == "Juste un titre"
    assert (
        db.session.scalar(db.select(AuditEntry.action).filter_by(action="request.saved")) == "request.saved"
    )


def test_submission_validates_everything_and_keeps_what_was_typed(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id, summary="")
    response = _edit(
        client,
        request,
        title="Un titre",
        summary="",
        objectives="Des objectifs",
        target_populations="Jeunes",
        start_date="2026-04-01",
        end_date="2032-03-31",
        **{"amount-2026": "200 000", "amount-2027": "abc"},
        action="submit",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Entrez un montant en dollars" in page  # a typo in one cell
    response = _edit(
        client,
        request,
        title="Un titre",
        summary="",
        objectives="Des objectifs",
        target_populations="Jeunes",
        start_date="2026-04-01",
        end_date="2032-03-31",
        **{f"amount-{y}": "200 000" for y in range(2026, 2032)},
        action="submit",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Résumez le projet ou la mission." in page
    assert "ce programme en permet au plus 5" in page
    assert "dépasse le maximum annuel de 175" in page
    assert 'value="Des objectifs"' in page or "Des objectifs" in page
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.DRAFT


def test_submitted_request_is_read_only_for_the_organization(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    request = funding_request("TNCES", organization, status="submitted", years=1)
    response = _edit(
        client, request, token_page=f"/demandes/{request.id}", title="Changé après dépôt", action="save"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title != "Changé après dépôt"
    assert "Modifier le brouillon" not in client.get(f"/demandes/{request.id}").get_data(as_text=True)


def test_two_simultaneous_submissions_make_one(app):
    organization = OrganizationFactory()
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=2, call_id=call.id)
    request.regions = list(organization.regions_served) or []
    from grants.reference.models import Region

    request.regions = [db.session.get(Region, "06")]
    db.session.commit()
    # Read the keys now: the threads must not touch this session's (expired) objects.
    request_id, applicant_id = request.id, applicant.id
    outcomes, barrier = [], threading.Barrier(2)

    def submit() -> None:
        with app.app_context():
            from grants.accounts.models import User

            actor = db.session.get(User, applicant_id)
            barrier.wait(10)
            _, now = operations.submit(request_id, actor=actor)
            db.session.commit()
            outcomes.append(now)

    threads = [threading.Thread(target=submit, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [False, True]
    assert db.session.query(AuditEntry).filter_by(action="request.submit").count() == 1
    assert db.session.query(OutboundEmail).filter_by(template="request_submitted").count() == 1


def test_closed_call_and_ineligible_kind_are_refused(client, sign_in):
    organization = OrganizationFactory(kind=OrganizationKind.RESEARCH)
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    closed = open_call("HEBERGEMENT", closes_at=utcnow() - timedelta(hours=1), eligible_kinds=["community"])
    request = funding_request(
        "HEBERGEMENT", organization, years=1, annual_amount="50000.00", call_id=closed.id
    )
    from grants.reference.models import Region

    request.regions = [db.session.get(Region, "06")]
    db.session.commit()
    problems = dict(rules.submission_problems(db.session.get(FundingRequest, request.id)))
    assert "n'est pas ouvert" in problems["call"] or "ne sont pas admissibles" in problems["call"]
    messages = [m for _, m in rules.submission_problems(db.session.get(FundingRequest, request.id))]
    assert any("n'est pas ouvert en ce moment" in m for m in messages)
    assert any("Organisme de recherche" in m and "ne sont pas admissibles" in m for m in messages)
    page = client.get(f"/appels/{closed.id}").get_data(as_text=True)
    assert "Déposer une demande" not in page


def test_withdraw_before_decision(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    request = funding_request("TNCES", organization, status="submitted", years=1)
    url = f"/demandes/{request.id}/retirer"
    assert (
        client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "Projet reporté"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.WITHDRAWN
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="request.withdraw")).scalar_one()
    assert entry.changes["reason"] == "Projet reporté"


def test_another_organizations_request_attachment_and_receipt_answer_404(client, sign_in):
    theirs = OrganizationFactory()
    request = funding_request("TNCES", theirs, years=1)
    from grants.files.sniffing import check_upload

    upload = check_upload(pdf_bytes("secret"), "secret.pdf", max_bytes=10**6)
    attachment = operations.add_attachment(request, AttachmentKind.OTHER, upload, actor=None)
    from grants.requests.pdf import store_acknowledgement

    store_acknowledgement(request)
    db.session.commit()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=OrganizationFactory()))
    for url in (
        f"/demandes/{request.id}",
        f"/demandes/{request.id}/modifier",
        f"/demandes/{request.id}/pieces/{attachment.id}",
        f"/demandes/{request.id}/accuse-de-reception.pdf",
        f"/analyse/{request.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/demandes/{request.id}/pieces/{attachment.id}").status_code == 404


def test_officer_of_another_program_gets_404(client, sign_in):
    request = funding_request("TNCES", status="submitted", years=1)
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT"))
    assert client.get(f"/analyse/{request.id}").status_code == 404
    assert client.get(f"/demandes/{request.id}").status_code == 404
    token = csrf_token(client, "/")
    assert client.post(f"/analyse/{request.id}/decision", data={"csrf_token": token}).status_code == 404


def test_owner_downloads_its_attachment(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.READ_ONLY, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    from grants.files.sniffing import check_upload

    attachment = operations.add_attachment(
        request, AttachmentKind.OTHER, check_upload(pdf_bytes(), "lettre.pdf", max_bytes=10**6), actor=None
    )
    db.session.commit()
    response = client.get(f"/demandes/{request.id}/pieces/{attachment.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "lettre.pdf" in response.headers["Content-Disposition"]
    assert client.get(f"/demandes/{request.id}/modifier").status_code == 404  # read-only member cannot edit
    _ = io  # keep the import for multipart helpers


def test_a_double_click_on_start_creates_one_draft(app, client, sign_in):
    import re

    organization = OrganizationFactory()
    applicant = member(MemberRole.CONTRIBUTOR, organization=organization)
    call = open_call("TNCES")
    db.session.commit()
    sign_in(applicant)
    page = client.get(f"/demandes/nouvelle/{call.id}").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="token"', page
    )
    data = {
        "csrf_token": csrf_token(client, f"/demandes/nouvelle/{call.id}"),
        "token": token.group(1),
        "organization_id": str(organization.id),
    }
    statuses, barrier = [], threading.Barrier(2)

    def click() -> None:
        barrier.wait(10)
        response = client.post(f"/demandes/nouvelle/{call.id}", data=data)
        statuses.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=click, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [s for s, _ in statuses] == [302, 302]
    assert statuses[0][1] == statuses[1][1], "both clicks land on the same draft"
    assert db.session.scalar(db.select(db.func.count(FundingRequest.id))) == 1
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).filter_by(action="request.created")) == 1


def test_a_partial_first_year_prorates_the_annual_maximum(app):
    from datetime import date
    from decimal import Decimal

    from grants.fiscal import FiscalYear, Proration
    from grants.programs.models import Program
    from grants.reference.models import Region

    request = funding_request("TNCES", years=2, annual_amount="175000.00")
    request.start_date = date(2026, 10, 1)  # half of 2026-2027 by months
    request.regions = [db.session.get(Region, "06")]
    db.session.commit()
    problems = dict(rules.submission_problems(request))
    assert "87 500,00 $" in problems["amount-2026"].replace("\u202f", " ").replace("\u00a0", " ")
    assert "amount-2027" not in problems
    request.years[0].requested_amount = Decimal("87500.00")
    assert "amount-2026" not in dict(rules.submission_problems(request))
    # By days (a program setting): 182 days of 365.
    program = db.session.get(Program, request.program_id)
    program.proration = Proration.DAYS
    assert program.maximum_for(
        Decimal("175000"), FiscalYear(2026), request.start_date, request.end_date
    ) == Decimal("87260.27")
    db.session.rollback()


def test_a_direct_status_write_raises_and_the_workflow_moves_it():
    """Issue 9: a request's status changes only through its table (grants.requests.workflow)."""
    from grants.core.workflow import StatusWriteRefused
    from grants.requests.workflow import RequestEvent, transition

    request = funding_request("TNCES", status="submitted", years=1)
    with pytest.raises(StatusWriteRefused):
        request.status = RequestStatus.APPROVED
    assert request.status == RequestStatus.SUBMITTED
    transition(request, RequestEvent.WITHDRAW, actor=None, details={"reason": "test"})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.WITHDRAWN
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="request.withdraw")).scalar_one()
    assert entry.changes["status"] == ["submitted", "withdrawn"]


def test_the_budget_grid_reads_only_the_years_of_the_period_and_shows_its_totals(client, sign_in):
    """The grid's columns come from the period, never from the post: a forged `amount-1999` or
    `budget-2040-rent` is ignored; the page writes the totals the server computed."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    page = normalize_spaces(client.get(f"/demandes/{request.id}/modifier").get_data(as_text=True))
    assert re.search(r'data-year-total="2026">175 000,00 \$<', page)
    assert re.search(r"data-amount-total>175 000,00 \$<", page)
    response = _edit(
        client,
        request,
        start_date="2026-04-01",
        end_date="2027-03-31",
        **{
            "amount-2026": "100 000",
            "budget-2026-salaries": "100 000",
            "amount-1999": "5",
            "budget-2040-rent": "7",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert [(str(y.fiscal_year), y.requested_amount) for y in saved.years] == [("2026-2027", 100000)]
    assert [(str(b.fiscal_year), b.category) for b in saved.budget_lines] == [("2026-2027", "salaries")]


def test_starting_again_on_a_call_opens_the_organization_s_draft(app, client, sign_in):
    """Issue 13, item 14: "Déposer une demande" where the organization already has a draft for the
    call opens that draft instead of starting a second one."""
    organization = OrganizationFactory()
    applicant = member(MemberRole.CONTRIBUTOR, organization=organization)
    call = open_call("TNCES")
    db.session.commit()
    sign_in(applicant)
    url = f"/demandes/nouvelle/{call.id}"

    def start(token: str):
        data = {
            "csrf_token": csrf_token(client, "/"),
            "token": token,
            "organization_id": str(organization.id),
        }
        return client.post(url, data=data)

    first = start("first-token")
    assert first.status_code == 302
    [draft] = db.session.scalars(db.select(FundingRequest)).all()

    again = client.get(url)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    page = normalize_spaces(client.get(again.headers["Location"]).get_data(as_text=True))
    assert f"déjà un brouillon pour cet appel, {draft.reference}" in page

    second = start("second-token")  # a form opened before the draft existed
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(FundingRequest.id))) == 1
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).filter_by(action="request.created")) == 1
