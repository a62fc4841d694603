"""Issue 12 ("What users hit"): the request form with attachments, amounts typed the Quebec way
everywhere, a shorter period that would drop figures, and a year asking more than its budget."""

import html
import re
from decimal import Decimal

import pytest

from grants.calls.models import Call
from grants.core.db import db
from grants.core.fields import MONEY_MAX, AmountInvalid, parse_amount
from grants.core.roles import MemberRole, StaffRole
from grants.files.sniffing import check_upload
from grants.programs.models import ProgramEnvelope
from grants.requests import operations
from grants.requests.models import AttachmentKind, FundingRequest
from grants.requests.workflow import RequestStatus
from tests.factories import OrganizationFactory, funding_request, member, open_call, pdf_bytes, program, staff
from tests.helpers import csrf_token, normalize_spaces
from tests.html_checks import nested_forms


def _text(response) -> str:
    return normalize_spaces(html.unescape(response.get_data(as_text=True)))


def _edit(client, request, **fields):
    url = f"/demandes/{request.id}/modifier"
    data = {"csrf_token": csrf_token(client, url), "version": str(request.version)} | fields
    return client.post(url, data=data, content_type="multipart/form-data")


def _attach(request, user, *names):
    for name in names:
        accepted = check_upload(pdf_bytes(name), name, max_bytes=1024 * 1024)
        operations.add_attachment(request, AttachmentKind.OTHER, accepted, actor=user)
    db.session.commit()


# -- item 1: a request with an attachment can be saved and submitted --------------------------------
def test_request_form_with_attachments_nests_no_form_and_still_saves(client, sign_in):
    organization = OrganizationFactory()
    user = member(MemberRole.CONTRIBUTOR, organization=organization)
    request = funding_request("TNCES", organization, years=1, title="Ancien titre")
    _attach(request, user, "un.pdf", "deux.pdf")
    sign_in(user)
    page = client.get(f"/demandes/{request.id}/modifier").get_data(as_text=True)
    assert nested_forms(page) == []
    # Each "Retirer" button points, by its form attribute, to a form of its own after the request form.
    targets = re.findall(r'<button type="submit" form="(remove-attachment-\d+)"', page)
    assert len(targets) == 2
    request_form_end = page.index("</form>", page.index('id="request-form"'))
    assert all(page.index(f'id="{target}"') > request_form_end for target in targets)

    response = _edit(client, request, title="Nouveau titre", start_date="2026-04-01", end_date="2027-03-31")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert saved.title == "Nouveau titre" and len(saved.attachments) == 2


# -- item 2: amounts typed the Quebec way ------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("175 000,00", "175000.00"),
        ("175000", "175000.00"),
        ("175 000 $", "175000.00"),
        ("175\u00a0000,00\u00a0$", "175000.00"),
        ("50 000,5", "50000.50"),
        ("175000.00", "175000.00"),
        ("999 999 999 999,99", "999999999999.99"),
        ("0", "0.00"),
    ],
)
def test_amounts_typed_the_quebec_way_are_read(typed, value):
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("175,000.00", "mêle virgule et point"),
        ("175.000,00", "mêle virgule et point"),
        ("175,000", "Entrez un montant en dollars"),  # 175 $ in French, 175 000 $ in English: refused
        ("17 50 00", "Entrez un montant en dollars"),
        ("12,345", "Entrez un montant en dollars"),
        ("abc", "Entrez un montant en dollars"),
        ("-5", "ne peut pas être négatif"),
        ("1" * 30, "dépasse le maximum permis"),
        ("1 000 000 000 000", "dépasse le maximum permis"),
    ],
)
def test_ambiguous_or_out_of_bounds_amounts_are_refused_with_the_reason(app, typed, reason):
    with app.test_request_context():
        with pytest.raises(AmountInvalid) as refused:
            parse_amount(typed)
        assert reason in normalize_spaces(str(refused.value.message))


def test_a_negative_amount_only_where_the_field_allows_it():
    assert parse_amount("-1 250,50", allow_negative=True) == Decimal("-1250.50")
    assert Decimal("999999999999.99") == MONEY_MAX


def _call_form(client, url, **fields):
    return {
        "csrf_token": csrf_token(client, url),
        "title_fr": "Appel d'essai",
        "opens_on": "2026-12-01",
        "continuous": "y",
        "years_max": "3",
    } | fields


def test_call_annual_maximum_typed_the_quebec_way_is_not_multiplied(client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    url = "/appels/programmes/TNCES/nouveau"
    page = client.get(url).get_data(as_text=True)
    assert re.search(
        r'<input[^>]*type="text"[^>]*name="annual_max"|<input[^>]*name="annual_max"[^>]*type="text"', page
    )
    assert 'inputmode="decimal"' in page
    response = client.post(url, data=_call_form(client, url, annual_max="50 000,00"))
    assert response.status_code == 302
    call = db.session.execute(db.select(Call).filter_by(title_fr="Appel d'essai")).scalar_one()
    assert call.annual_max == Decimal("50000.00")
    shown = _text(client.get(f"/appels/{call.id}"))
    assert "50 000 $" in shown and "5 000 000" not in shown


@pytest.mark.parametrize(
    ("typed", "reason"), [("175,000.00", "mêle virgule et point"), ("1" * 30, "dépasse le maximum permis")]
)
def test_call_annual_maximum_refused_keeps_what_was_typed_and_saves_nothing(client, sign_in, typed, reason):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    url = "/appels/programmes/TNCES/nouveau"
    response = client.post(url, data=_call_form(client, url, annual_max=typed))
    assert response.status_code == 422
    page = _text(response)
    assert reason in page and f'value="{typed}"' in page
    assert (
        db.session.execute(db.select(Call).filter_by(title_fr="Appel d'essai")).scalar_one_or_none() is None
    )


def test_amount_refusals_are_in_english_in_the_english_interface(client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="en"))
    url = "/appels/programmes/TNCES/nouveau"
    page = _text(client.post(url, data=_call_form(client, url, annual_max="175,000.00")))
    assert "mixes a comma and a period" in page


def test_envelope_typed_the_quebec_way_and_bounded(client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    url = "/programmes/TNCES/enveloppes"
    token = csrf_token(client, url)
    refused = client.post(url, data={"csrf_token": token, "fiscal_year": "2027-2028", "amount": "1" * 30})
    assert refused.status_code == 422 and "dépasse le maximum permis" in _text(refused)
    saved = client.post(url, data={"csrf_token": token, "fiscal_year": "2027-2028", "amount": "50 000,00"})
    assert saved.status_code == 302
    envelope = db.session.execute(
        db.select(ProgramEnvelope).filter_by(program_id=program("TNCES").id)
    ).scalar_one()
    assert envelope.amount == Decimal("50000.00")


def test_request_grid_refuses_the_english_way_on_the_cell(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    response = _edit(
        client,
        request,
        start_date="2026-04-01",
        end_date="2027-03-31",
        **{"amount-2026": "175,000.00", "budget-2026-salaries": "1" * 30},
    )
    assert response.status_code == 422
    page = _text(response)
    assert "mêle virgule et point" in page and "dépasse le maximum permis" in page
    assert 'value="175,000.00"' in page


# -- item 9: a shorter period does not silently delete figures --------------------------------------
def test_shrinking_the_period_keeps_the_figures_until_the_person_confirms(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=3)  # 2026-2027 to 2028-2029, 175 000 $ a year
    grid = {}
    for year in (2026, 2027, 2028):
        grid |= {
            f"amount-{year}": "175 000",
            f"budget-{year}-salaries": "122 500",
            f"budget-{year}-operating": "52 500",
        }
    response = _edit(client, request, start_date="2026-04-01", end_date="2027-03-31", **grid)
    assert response.status_code == 422
    page = _text(response)
    assert "ne couvre plus" in page and "2027-2028" in page and "2028-2029" in page
    assert "175 000,00 $" in page  # the figures that would go, the Quebec way
    assert 'name="confirm_drop"' in page
    assert 'name="budget-2028-salaries"' in page and 'value="122 500"' in page  # still in the form
    db.session.expire_all()
    kept = db.session.get(FundingRequest, request.id)
    assert len(kept.years) == 3 and len(kept.budget_lines) == 6 and kept.end_date.year == 2029

    confirmed = _edit(
        client, request, start_date="2026-04-01", end_date="2027-03-31", confirm_drop="2027 2028", **grid
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert [str(y.fiscal_year) for y in saved.years] == ["2026-2027"] and len(saved.budget_lines) == 2


def test_a_longer_period_needs_no_confirmation(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    response = _edit(
        client, request, start_date="2026-04-01", end_date="2028-03-31", **{"amount-2026": "175 000"}
    )
    assert response.status_code == 302


# -- item 10: a year asking more than its budget ----------------------------------------------------
def test_a_year_asking_more_than_its_budget_is_refused_with_the_figures(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    response = _edit(
        client,
        request,
        title="Coordination",
        summary="Résumé",
        objectives="Objectifs",
        target_populations="Jeunes",
        region_codes="03",
        start_date="2026-04-01",
        end_date="2027-03-31",
        action="submit",
        **{"amount-2026": "175 000", "budget-2026-salaries": "100 000", "budget-2026-operating": "50 000,50"},
    )
    assert response.status_code == 422
    page = _text(response)
    assert "Le montant demandé pour 2026-2027 (175 000,00 $) dépasse le total du budget" in page
    assert "(150 000,50 $)" in page
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.DRAFT


def test_a_year_within_its_budget_is_submitted(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=1, call_id=call.id)
    response = _edit(
        client,
        request,
        title="Coordination",
        summary="Résumé",
        objectives="Objectifs",
        target_populations="Jeunes",
        region_codes="03",
        start_date="2026-04-01",
        end_date="2027-03-31",
        action="submit",
        **{"amount-2026": "150 000", "budget-2026-salaries": "100 000", "budget-2026-operating": "50 000"},
    )
    assert response.status_code == 302, re.findall(r"error-summary.*?</ul>", _text(response), re.S)
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.SUBMITTED


def test_clearing_the_period_asks_before_deleting_the_figures(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    response = _edit(client, request, title="Juste un titre", start_date="", end_date="")
    assert response.status_code == 422 and "ne couvre plus" in _text(response)
    db.session.expire_all()
    assert len(db.session.get(FundingRequest, request.id).budget_lines) == 2


# -- other sources of funding: their dates are picked like the period's --------------------------------
def _input_type(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    found = tag and re.search(r'\btype="([^"]+)"', tag.group(0))
    return found.group(1) if found else None


def test_other_funding_dates_are_date_pickers_like_the_period(client, sign_in):
    """The rows' start and end were text boxes asking for AAAA-MM-JJ, the period's dates pickers."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    page = client.get(f"/demandes/{request.id}/modifier").get_data(as_text=True)
    assert _input_type(page, "start_date") == "date"
    assert _input_type(page, "other-0-start") == "date" and _input_type(page, "other-0-end") == "date"

    row = {"other-0-funder": "Ville de Laval", "other-0-amount": "1000", "other-0-status": "obtained"}
    response = _edit(
        client,
        request,
        start_date="2026-04-01",
        end_date="2027-03-31",
        **row,
        **{"other-0-start": "2026-04-01", "other-0-end": "2027-03-31"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    (saved,) = db.session.get(FundingRequest, request.id).other_funding
    assert (str(saved.start_date), str(saved.end_date)) == ("2026-04-01", "2027-03-31")


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("", "Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31."),
        ("?lang=en", "Enter a date in the YYYY-MM-DD format, for example 2027-03-31."),
    ],
)
def test_an_other_funding_date_typed_wrong_says_why_and_keeps_the_text(client, sign_in, lang, message):
    """A browser without a date picker lets one type anything: the cell says why, in the reader's
    language, and keeps what was typed."""
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    if lang:
        client.get(f"/demandes/{request.id}/modifier{lang}")
    response = _edit(
        client,
        request,
        **{
            "other-0-funder": "Ville de Laval",
            "other-0-amount": "1000",
            "other-0-status": "obtained",
            "other-0-start": "31/12/2026",
        },
    )
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert re.search(r'<input[^>]*name="other-0-start"[^>]*value="31/12/2026"', page)


# -- an answer to an information request without its text ------------------------------------------
def test_an_empty_answer_says_the_sections_are_saved_and_the_answer_is_missing(client, sign_in):
    """The summary read « Le formulaire contient des erreurs » though the reopened sections were
    saved: it says what was saved and what is missing, the message on the answer field."""
    from grants.requests.models import RequestSection
    from grants.review import operations as review

    organization = OrganizationFactory()
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", organization, status="under_review", years=1, title="Ancien titre")
    review.request_info(request, [RequestSection.PROJECT], "Précisez le titre.", actor=officer)
    db.session.commit()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    response = _edit(client, request, title="Titre précisé", action="provide_info", answer="  ")
    assert response.status_code == 422
    page = _text(response)
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    assert "Le formulaire contient des erreurs" not in summary
    assert "Vos modifications sont enregistrées (Projet ou mission)" in summary
    assert "rien n'est encore transmis à l'agent·e : votre réponse est vide" in summary
    assert 'href="#answer"' in summary
    answer = page[page.index('<label for="answer"') :]
    assert answer.index('id="answer-error"') < answer.index('id="answer"')
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert saved.title == "Titre précisé" and saved.status == RequestStatus.INFO_REQUESTED

    # The page carries the saved version: the answer typed now goes through.
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    assert int(next(v for v in version.groups() if v)) == saved.version
    url = f"/demandes/{request.id}/modifier"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "version": str(saved.version),
            "title": "Titre précisé",
            "action": "provide_info",
            "answer": "Voici le titre.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).status == RequestStatus.UNDER_REVIEW
