"""The whole path of a TNCES request through the real pages, on PostgreSQL: draft, save, attach,
submit, assignment, information request and answer, recommendation, approval, agreement PDF,
acceptance, countersignature, payment schedule."""

import io
import re
from decimal import Decimal

from pypdf import PdfReader

from grants.agreements.models import Agreement
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.payments.models import Installment
from grants.requests.models import FundingRequest
from tests.factories import OrganizationFactory, member, open_call, pdf_bytes, staff
from tests.helpers import csrf_token, normalize_spaces

YEARS = [2026, 2027, 2028, 2029, 2030]


def request_form(token: str, version: int, **extra: object) -> dict:
    data = {
        "csrf_token": token,
        "version": str(version),
        "title": "Coordination nationale de la TNCES",
        "summary": "Soutenir les neuf tables régionales.",
        "objectives": "Concertation, formation, transfert de connaissances.",
        "target_populations": "Jeunes à risque et personnes victimes.",
        "region_codes": ["06", "13"],
        "nation_codes": ["innus"],
        "start_date": "2026-04-01",
        "end_date": "2031-03-31",
        "funding_rows": "1",
        "other-0-funder": "Ville de Montréal",
        "other-0-program": "Soutien aux organismes",
        "other-0-amount": "10 000",
        "other-0-status": "requested",
        "attachment_kind": "board_resolution",
        "action": "save",
    }
    for year in YEARS:
        data[f"amount-{year}"] = "175 000,00"
        data[f"budget-{year}-salaries"] = "125 000"
        data[f"budget-{year}-operating"] = "50 000"
    data.update(extra)
    return data


def test_tnces_request_from_draft_to_payment_schedule(client, app, sign_in):
    organization = OrganizationFactory(legal_name="Coalition d'essai", neq="1234567890")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    call = open_call("TNCES")

    sign_in(applicant)
    token = csrf_token(client, f"/demandes/nouvelle/{call.id}")
    page = client.get(f"/demandes/nouvelle/{call.id}").get_data(as_text=True)
    creation = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post(
        f"/demandes/nouvelle/{call.id}",
        data={"csrf_token": token, "token": creation, "organization_id": organization.id},
    )
    again = client.post(
        f"/demandes/nouvelle/{call.id}",
        data={"csrf_token": token, "token": creation, "organization_id": organization.id},
    )
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]  # one draft for a double-click
    request_id = int(first.headers["Location"].rstrip("/").split("/")[-2])
    assert db.session.query(FundingRequest).count() == 1

    url = f"/demandes/{request_id}/modifier"
    version = db.session.get(FundingRequest, request_id).version
    saved = client.post(
        url,
        data=request_form(csrf_token(client, url), version)
        | {"attachment": (io.BytesIO(pdf_bytes()), "resolution.pdf")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    db.session.expire_all()
    draft = db.session.get(FundingRequest, request_id)
    assert [str(y.fiscal_year) for y in draft.years] == [
        "2026-2027",
        "2027-2028",
        "2028-2029",
        "2029-2030",
        "2030-2031",
    ]
    assert all(y.requested_amount == Decimal("175000.00") for y in draft.years)
    assert len(draft.attachments) == 1 and draft.other_funding[0].funder == "Ville de Montréal"

    submitted = client.post(
        url,
        data=request_form(csrf_token(client, url), draft.version, action="submit"),
        content_type="multipart/form-data",
    )
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert db.session.get(FundingRequest, request_id).status == "submitted"
    assert (
        client.post(
            url, data=request_form(csrf_token(client, f"/demandes/{request_id}"), 9, action="submit")
        ).status_code
        == 302
    )

    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(officer)
    review = f"/analyse/{request_id}"
    version = db.session.get(FundingRequest, request_id).version
    assert (
        client.post(
            f"{review}/assigner",
            data={
                "csrf_token": csrf_token(client, review),
                "assign-version": version,
                "assign-assignee_id": officer.id,
            },
        ).status_code
        == 302
    )
    db.session.expire_all()
    version = db.session.get(FundingRequest, request_id).version
    asked = client.post(
        f"{review}/information",
        data={
            "csrf_token": csrf_token(client, review),
            "info-version": version,
            "info-sections": ["budget"],
            "info-message": "Précisez les salaires.",
        },
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)[:2000]

    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(applicant)
    db.session.expire_all()
    version = db.session.get(FundingRequest, request_id).version
    answered = client.post(
        url,
        data=request_form(
            csrf_token(client, url),
            version,
            action="provide_info",
            title="Titre changé en douce",
            answer="Deux postes à temps plein.",
        ),
    )
    assert answered.status_code == 302, answered.get_data(as_text=True)[:3000]
    db.session.expire_all()
    after = db.session.get(FundingRequest, request_id)
    assert (
        after.status == "under_review" and after.title == "Coordination nationale de la TNCES"
    )  # only budget reopened

    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(officer)
    recommended = client.post(
        f"{review}/recommandation",
        data={
            "csrf_token": csrf_token(client, review),
            "recommend-version": after.version,
            "recommend-recommendation": "approve",
            "recommend-comment": "Dossier solide.",
        },
    )
    assert recommended.status_code == 302
    db.session.expire_all()
    version = db.session.get(FundingRequest, request_id).version
    decision = {
        "csrf_token": csrf_token(client, review),
        "decision-version": version,
        "decision-decision": "approve",
        "decision-conditions": "Deux rapports par année.",
    } | {f"decision-approved-{y}": "175 000,00" for y in YEARS}
    approved = client.post(f"{review}/decision", data=decision)
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]

    agreement = db.session.execute(db.select(Agreement)).scalar_one()
    pdf = client.get(f"/conventions/{agreement.id}/versions/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = normalize_spaces("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    for year in ("2026-2027", "2027-2028", "2028-2029", "2029-2030", "2030-2031"):
        assert year in text
    assert "175 000,00 $" in text and "875 000,00 $" in text
    assert "Indexation" in text and "31 octobre" in text

    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(applicant)
    show = f"/conventions/{agreement.id}"
    accepted = client.post(
        f"{show}/accepter",
        data={
            "csrf_token": csrf_token(client, show),
            "accept-version": agreement.version,
            "accept-signatory_name": "Marie Tremblay",
            "accept-signatory_title": "Directrice",
            "accept-agree": "y",
        },
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:3000]
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(officer)
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert (
        client.post(
            f"{show}/contresigner",
            data={"csrf_token": csrf_token(client, show), "version": agreement.version},
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).status == "countersigned"
    installments = db.session.scalars(
        db.select(Installment).order_by(Installment.fiscal_year, Installment.sequence)
    ).all()
    assert [i.amount for i in installments] == [Decimal("87500.00")] * 10
    page = normalize_spaces(client.get(show).get_data(as_text=True))
    assert "87 500,00 $" in page and "À la signature" in page
    actions = {e.action for e in db.session.scalars(db.select(AuditEntry))}
    assert {
        "request.submit",
        "request.start_review",
        "request.request_info",
        "request.provide_info",
        "request.recommend",
        "request.approve",
        "agreement.created",
        "agreement.accept",
        "agreement.countersign",
    } <= actions
