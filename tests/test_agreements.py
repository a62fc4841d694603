"""Agreements: the PDF says what was decided (and only indexed programs get the indexation
clause), acceptance in the app or by a signed PDF, countersignature only after acceptance, and
amendments as new versions that keep the earlier ones."""

import io
import re
from decimal import Decimal

from pypdf import PdfReader

from grants.agreements.models import Agreement, AgreementStatus
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.files.storage import read
from grants.fiscal import FiscalYear
from grants.payments.models import Installment, InstallmentStatus
from grants.review import operations as review
from tests.factories import OrganizationFactory, funding_request, member, pdf_bytes, staff
from tests.helpers import csrf_token, normalize_spaces


def approved(program_code="TNCES", organization=None, years=2, amount="175000.00", conditions=""):
    """A recommended request approved through the review operation: agreement, PDF, schedule."""
    officer = staff(StaffRole.PROGRAM_OFFICER, program_code)
    request = funding_request(
        program_code, organization, status="recommended", years=years, annual_amount=amount
    )
    amounts = {y.fiscal_year: y.requested_amount for y in request.years}
    agreement = review.approve(request, amounts, conditions, actor=officer)
    db.session.commit()
    return agreement, officer


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", normalize_spaces(text))


def test_housing_agreement_has_no_indexation_clause_and_a_90_10_schedule():
    agreement, _ = approved("HEBERGEMENT", years=1, amount="50000.01", conditions="Loger 12 personnes.")
    text = pdf_text(read(agreement.current.pdf))
    assert "indexé annuellement" not in text
    assert "Loger 12 personnes." in text and "50 000,01 $" in text
    installments = db.session.scalars(db.select(Installment).order_by(Installment.sequence)).all()
    assert [i.amount for i in installments] == [Decimal("45000.01"), Decimal("5000.00")]
    assert sum(i.amount for i in installments) == Decimal("50000.01")


def test_tnces_agreement_names_the_cpi_clause_and_each_year():
    agreement, _ = approved("TNCES", years=3)
    text = pdf_text(read(agreement.current.pdf))
    assert "indexé annuellement selon l'indice des prix à la consommation" in text
    for year in ("2026-2027", "2027-2028", "2028-2029"):
        assert year in text
    assert "525 000,00 $" in text
    installments = db.session.scalars(db.select(Installment)).all()
    assert len(installments) == 6 and all(i.amount == Decimal("87500.00") for i in installments)


def test_acceptance_in_the_app_records_name_title_and_address(client, sign_in):
    organization = OrganizationFactory()
    agreement, _officer = approved(organization=organization)
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    url = f"/conventions/{agreement.id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/accepter",
        data={
            "csrf_token": token,
            "accept-version": str(agreement.version),
            "accept-signatory_name": "Line Tremblay",
            "accept-signatory_title": "Directrice générale",
        },
    )
    assert response.status_code == 422  # neither the box ticked nor a signed file
    response = client.post(
        f"{url}/accepter",
        data={
            "csrf_token": token,
            "accept-version": str(agreement.version),
            "accept-agree": "y",
            "accept-signatory_name": "Line Tremblay",
            "accept-signatory_title": "Directrice générale",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(Agreement, agreement.id).current
    assert version.status == AgreementStatus.ACCEPTED
    assert (version.signatory_name, version.signatory_title) == ("Line Tremblay", "Directrice générale")
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="agreement.accept")).scalar_one()
    assert entry.changes["ip"] == "127.0.0.1" and entry.changes["signatory"] == "Line Tremblay"


def test_acceptance_by_signed_pdf_and_refusal_of_a_non_pdf(client, sign_in):
    organization = OrganizationFactory()
    agreement, _ = approved(organization=organization)
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    url = f"/conventions/{agreement.id}"
    fields = {
        "accept-version": str(agreement.version),
        "accept-signatory_name": "Line Tremblay",
        "accept-signatory_title": "Directrice",
    }
    response = client.post(
        f"{url}/accepter",
        data={
            "csrf_token": csrf_token(client, url),
            **fields,
            "accept-signed_file": (io.BytesIO(b"MZ\x90\x00" + b"\0" * 500), "convention.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "est un programme" in response.get_data(as_text=True)
    response = client.post(
        f"{url}/accepter",
        data={
            "csrf_token": csrf_token(client, url),
            **fields,
            "accept-signed_file": (io.BytesIO(pdf_bytes("Convention signée")), "signee.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    download = client.get(f"{url}/versions/1/signee.pdf")
    assert download.status_code == 200 and "Convention signée" in pdf_text(download.data)


def test_a_read_only_member_cannot_accept_and_another_organization_gets_404(app, client, sign_in):
    organization = OrganizationFactory()
    agreement, _ = approved(organization=organization)
    sign_in(member(MemberRole.READ_ONLY, organization=organization))
    url = f"/conventions/{agreement.id}"
    assert client.get(url).status_code == 200
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/accepter",
        data={
            "csrf_token": token,
            "accept-agree": "y",
            "accept-signatory_name": "X",
            "accept-signatory_title": "Y",
        },
    )
    assert response.status_code == 404  # refusals answer 404, like an object one may not reach
    other = sign_in(member(MemberRole.ACCOUNT_ADMIN), target=app.test_client())
    for path in ("", "/versions/1.pdf"):
        assert other.get(url + path).status_code == 404


def test_countersigning_before_acceptance_is_refused(client, sign_in):
    agreement, officer = approved()
    sign_in(officer)
    url = f"/conventions/{agreement.id}"
    response = client.post(
        f"{url}/contresigner", data={"csrf_token": csrf_token(client, url), "version": str(agreement.version)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).current.status == AgreementStatus.SENT
    page = client.get(url).get_data(as_text=True).replace("&#39;", "'")
    assert "Impossible de" in page


def test_an_amendment_is_a_new_version_and_keeps_the_first(client, sign_in):
    from grants.agreements import operations as agreements

    organization = OrganizationFactory()
    agreement, officer = approved(organization=organization)
    signer = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    agreements.accept(
        agreement,
        agreement.current,
        actor=signer,
        signatory_name="A",
        signatory_title="B",
        ip_address="127.0.0.1",
    )
    agreements.countersign(agreement, agreement.current, actor=officer)
    db.session.commit()
    first_pdf = read(agreement.current.pdf)

    sign_in(officer)
    url = f"/conventions/{agreement.id}/avenant"
    token = csrf_token(client, url)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "version": str(agreement.version),
            "end_date": "2028-03-31",
            "conditions": "Nouvelle condition",
            "reason": "Ajout d'un volet formation",
            **amount_rows({"amount-2026": "175 000", "amount-2027": "160 000,50"}),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert [v.number for v in agreement.versions] == [1, 2]
    first, second = agreement.versions
    assert read(first.pdf) == first_pdf and first.status == AgreementStatus.COUNTERSIGNED
    assert second.status == AgreementStatus.SENT
    assert "160 000,50 $" in pdf_text(read(second.pdf)) and "Avenant" in pdf_text(read(second.pdf))
    year = {y.fiscal_year: y.amount for y in agreement.years}
    assert year[FiscalYear(2027)] == Decimal("160000.50")
    open_2027 = db.session.scalars(
        db.select(Installment).where(
            Installment.fiscal_year == FiscalYear(2027), Installment.status != InstallmentStatus.CANCELLED
        )
    ).all()
    assert sum(i.amount for i in open_2027) == Decimal("160000.50")
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="agreement.amended")).scalar_one()
    assert entry.changes["reason"] == "Ajout d'un volet formation"


def amount_rows(amounts: dict[str, str]) -> dict[str, str]:
    """The amendment grid's fields for {"amount-<year>": typed}, one row per fiscal year."""
    rows = {}
    for index, (name, typed) in enumerate(amounts.items()):
        rows[f"amounts-{index}-fiscal_year"] = name.removeprefix("amount-")
        rows[f"amounts-{index}-amount"] = typed
    return rows


def _amend(client, agreement, **amounts):
    url = f"/conventions/{agreement.id}/avenant"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "version": str(agreement.version),
            "end_date": agreement.end_date.isoformat(),
            "reason": "Révision des montants",
            **amount_rows(amounts),
        },
    )


def test_an_amendment_refuses_a_negative_annual_amount(client, sign_in):
    """Issue 12, item 4: −5 $ for an indexed year cancelled its installments. An amendment follows
    the decision's amount rules: not negative, within NUMERIC(14, 2) and the annual maximum (a year
    indexed above it may keep its amount), and never below what is already paid or authorized."""
    from grants.payments import operations as payments
    from grants.payments.workflow import InstallmentEvent
    from tests.factories import agreement_in_force

    agreement, officer = agreement_in_force(years=2)
    agreement.year(FiscalYear(2027)).amount = Decimal("180425.00")  # as the 2027-2028 indexation left it
    payments.rebalance_year(agreement, FiscalYear(2027), actor=officer, reason="indexation 2027-2028")
    first = db.session.scalars(db.select(Installment).order_by(Installment.sequence)).first()
    payments.apply_event(first, InstallmentEvent.AUTHORIZE, actor=officer)
    db.session.commit()
    sign_in(officer)

    refused = {
        "-5": "ne peut pas être négatif",
        "200 000": "dépasse le maximum annuel de 175 000,00 $",
        "1" + "0" * 39: "dépasse le maximum permis",
    }
    for typed, message in refused.items():
        response = _amend(client, agreement, **{"amount-2026": "175 000", "amount-2027": typed})
        page = normalize_spaces(response.get_data(as_text=True))
        assert response.status_code == 422 and message in page, typed
        assert f'value="{typed}"' in page  # what was typed is kept
    response = _amend(client, agreement, **{"amount-2026": "80 000", "amount-2027": "180 425"})
    assert response.status_code == 422
    assert "87 500,00 $ sont déjà versés ou autorisés" in normalize_spaces(response.get_data(as_text=True))
    db.session.expire_all()
    assert [v.number for v in db.session.get(Agreement, agreement.id).versions] == [1]
    open_2027 = db.session.scalars(
        db.select(Installment.amount).where(
            Installment.fiscal_year == FiscalYear(2027), Installment.status != InstallmentStatus.CANCELLED
        )
    ).all()
    assert sum(open_2027) == Decimal("180425.00")

    # The indexed year keeps its amount above the maximum; 0 for a year is allowed, as in a decision.
    response = _amend(client, agreement, **{"amount-2026": "175 000", "amount-2027": "180 425"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).year(FiscalYear(2027)).amount == Decimal("180425.00")


def test_submission_approval_and_amendment_share_one_amount_rule():
    from grants.agreements.operations import amendment_problems
    from grants.requests.rules import submission_problems
    from tests.factories import agreement_in_force

    request = funding_request("TNCES", status="recommended", years=1, annual_amount="175000.01")
    over = "2026-2027 : le montant (175 000,01 $) dépasse le maximum annuel de 175 000,00 $."
    assert normalize_spaces(dict(submission_problems(request))["amount-2026"]) == over
    approval = review.approval_problems(request, {FiscalYear(2026): Decimal("175000.01")})
    assert normalize_spaces(approval["approved-2026"]) == over
    agreement, _ = agreement_in_force(years=1)
    amendment = amendment_problems(agreement, {FiscalYear(2026): Decimal("175000.01")}, agreement.end_date)
    assert normalize_spaces(amendment["amount-2026"]) == over
    # A program with no maximum still stops at what NUMERIC(14, 2) holds, instead of a 500.
    pqlc = funding_request("PQLC", status="recommended", years=1)
    huge = {FiscalYear(2026): Decimal("1" + "0" * 39)}
    assert "plus grand montant permis" in review.approval_problems(pqlc, huge)["approved-2026"]
    assert "négatif" in review.approval_problems(pqlc, {FiscalYear(2026): Decimal("-5")})["approved-2026"]


def test_set_indexed_amounts_changes_agreement_years_one_or_many_and_audits_them():
    """The agreements operation indexation calls to change `agreement_years` (it writes no other
    package's table itself): tuples or a SELECT, rounded to the cent, one audit entry per change."""
    from sqlalchemy import literal, select

    from grants.agreements.models import AgreementYear
    from grants.agreements.operations import set_indexed_amounts
    from tests.factories import agreement_in_force

    first, officer = agreement_in_force(years=2)
    second, _ = agreement_in_force(years=2)
    year = FiscalYear(2027)
    assert set_indexed_amounts([(first.id, year, Decimal("179200.004"))], actor=officer) == 1
    db.session.commit()
    assert first.year(year).amount == Decimal("179200.00")  # the loaded object reads the new amount

    rows = select(
        AgreementYear.agreement_id.label("agreement_id"),
        AgreementYear.fiscal_year.label("fiscal_year"),
        (AgreementYear.amount + literal(Decimal("1000.00"))).label("amount"),
    ).where(AgreementYear.fiscal_year == year)
    assert set_indexed_amounts(rows, actor=officer) == 2
    db.session.commit()
    db.session.expire_all()
    amounts = {a.id: db.session.get(Agreement, a.id).year(year).amount for a in (first, second)}
    assert amounts == {first.id: Decimal("180200.00"), second.id: Decimal("176000.00")}
    assert db.session.get(Agreement, first.id).year(FiscalYear(2026)).amount == Decimal("175000.00")
    entries = db.session.scalars(
        db.select(AuditEntry).filter_by(action="agreement.indexed").order_by(AuditEntry.id)
    ).all()
    assert [(e.object_id, e.changes["amount"]) for e in entries] == [
        (str(first.id), ["175000.00", "179200.00"]),
        (str(first.id), ["179200.00", "180200.00"]),
        (str(second.id), ["175000.00", "176000.00"]),
    ]
    assert set_indexed_amounts([(second.id, year, Decimal("1.00"))], actor=officer, audit=False) == 1
    assert db.session.query(AuditEntry).filter_by(action="agreement.indexed").count() == 3


def test_agreements_announce_their_moments_and_payments_answer():
    """Agreements import nothing from payments: the schedule, the installments dated at signature
    and the terms' schedule come from payments' receivers of the agreements' signals."""
    from grants.agreements import operations as agreements
    from grants.agreements import signals
    from grants.payments import receivers
    from tests.factories import agreement_in_force

    # Connected by importing grants.payments, as the web app, the CLI and the worker all do.
    assert receivers.schedule_new_agreement in signals.agreement_created.receivers_for(object())
    heard = []

    def listen(agreement, **kwargs):
        heard.append((agreement.number, kwargs["version"].number, kwargs["signed_on"]))

    signals.agreement_in_force.connect(listen)
    try:
        agreement, officer = agreement_in_force(years=2)
        agreements.amend(
            agreement,
            amounts={FiscalYear(2026): Decimal("175000.00"), FiscalYear(2027): Decimal("170000.00")},
            end_date=agreement.end_date,
            conditions="",
            reason="Ajustement",
            actor=officer,
        )
        agreements.accept(
            agreement,
            agreement.current,
            actor=officer,
            signatory_name="A",
            signatory_title="B",
            ip_address=None,
        )
        agreements.countersign(agreement, agreement.current, actor=officer)
        db.session.commit()
    finally:
        signals.agreement_in_force.disconnect(listen)
    assert [(number, version) for number, version, _ in heard] == [(agreement.number, 1)]  # once
    schedule = agreement.current.terms["schedule"]
    assert sum(Decimal(step["amount"]) for step in schedule) == Decimal("345000.00")


def test_render_and_store_keeps_one_pdf_on_the_organizations_files():
    from grants.files.documents import render_and_store

    agreement, _ = approved()
    stored = render_and_store(
        "pdf/agreement.html",
        name="essai.pdf",
        organization_id=agreement.organization_id,
        agreement=agreement,
        version=agreement.current,
        terms=agreement.current.terms,
    )
    assert (stored.original_name, stored.media_type) == ("essai.pdf", "application/pdf")
    assert stored.organization_id == agreement.organization_id
    assert agreement.number in pdf_text(read(stored))


def test_an_amendment_that_extends_the_period_offers_the_new_year_and_keeps_what_was_typed(client, sign_in):
    from tests.factories import agreement_in_force

    agreement, officer = agreement_in_force(years=1)
    sign_in(officer)
    url = f"/conventions/{agreement.id}/avenant"
    page = client.get(url).get_data(as_text=True)
    assert 'name="amounts-0-amount"' in page and "2027-2028" not in page
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "version": str(agreement.version),
            "end_date": "2028-03-31",
            "reason": "Prolongation",
            **amount_rows({"amount-2026": "abc"}),
        },
    )
    page = normalize_spaces(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'value="abc"' in page and "Entrez un montant en dollars" in page
    assert "2027-2028" in page  # the new year of the new period has its row


def test_who_may_do_what_to_an_agreement_combines_role_ownership_and_state():
    from grants.core import permissions as p

    organization = OrganizationFactory()
    agreement, officer = approved(organization=organization)
    signatory = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    reader = member(MemberRole.READ_ONLY, organization=organization)
    cell = staff(StaffRole.COORDINATION_CELL)
    other_officer = staff(StaffRole.PROGRAM_OFFICER, "HEBERGEMENT")
    assert [
        p.can_read_agreement(u, agreement) for u in (signatory, reader, cell, officer, other_officer)
    ] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert p.can_sign_agreement_now(signatory, agreement) and not p.can_sign_agreement(reader, agreement)
    assert p.can_countersign(officer, agreement) and not p.can_countersign_now(officer, agreement)
    assert not any(p.can_amend_agreement(u, agreement) for u in (signatory, cell, other_officer))
    installment = db.session.scalars(db.select(Installment)).first()
    assert p.can_pay(officer, installment) and not p.can_pay(cell, installment)

    from grants.agreements import operations as agreements

    agreements.accept(
        agreement,
        agreement.current,
        actor=signatory,
        signatory_name="A",
        signatory_title="B",
        ip_address=None,
    )
    db.session.commit()
    assert p.can_countersign_now(officer, agreement) and not p.can_sign_agreement_now(signatory, agreement)


def test_dates_in_the_agreement_tables_stay_on_one_line():
    """In the narrow report columns « 31 octobre 2026 » broke into « 31 octobre / 2026 »."""
    agreement, _ = approved("TNCES", years=3)
    data = read(agreement.current.pdf)
    lines = [
        normalize_spaces(line).strip()
        for page in PdfReader(io.BytesIO(data)).pages
        for line in page.extract_text().splitlines()
    ]
    for date in ("31 octobre 2027", "30 septembre 2027", "31 mars 2028", "30 juin 2028", "1er avril 2027"):
        assert any(date in line for line in lines), (date, lines)
    for year in ("2026", "2027", "2028", "2029"):
        assert year not in lines, lines  # no year alone on its line, cut from its day and month
