"""Issue 13, item 10: every error sits next to its field, the field says it is invalid and names the
message (aria-describedby), and the error summary's links reach it; inputs repeated on one page
(a hold reason per installment) each have a label of their own."""

from __future__ import annotations

import html
import re

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.review import operations as review
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    complete_report,
    funding_request,
    member,
    report_of,
    staff,
)
from tests.helpers import csrf_token
from tests.html_checks import error_ties, labels_of, summary_targets


def _page(response) -> str:
    return response.get_data(as_text=True)


def _edit(client, request, **fields):
    url = f"/demandes/{request.id}/modifier"
    data = {"csrf_token": csrf_token(client, url), "version": str(request.version)} | fields
    return client.post(url, data=data, content_type="multipart/form-data")


def test_budget_cells_and_other_funding_rows_carry_their_own_errors(client, sign_in):
    organization = OrganizationFactory()
    request = funding_request("TNCES", organization, years=2)
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    response = _edit(
        client,
        request,
        **{
            "start_date": "2026-04-01",
            "end_date": "2028-03-31",
            "budget-2026-salaries": "12,000.50",  # comma and period: refused
            "amount-2027": "abc",
            "other-0-funder": "",
            "other-0-amount": "5000",  # a started row without a funder nor a status
            "other-1-funder": "Ville de Laval",
            "other-1-amount": "1000",
            "other-1-status": "obtained",
            "other-1-start": "2026-31-12",
        },
    )
    assert response.status_code == 422
    page = _page(response)
    targets = summary_targets(page)
    assert {
        "budget-2026-salaries",
        "amount-2027",
        "other-0-funder",
        "other-0-status",
        "other-1-start",
    } <= set(targets)
    assert error_ties(page) == []
    # The message sits right after its cell, in the same table cell.
    cell = page[page.index('id="budget-2026-salaries"') :]
    assert cell.index('id="budget-2026-salaries-error"') < cell.index("</td>")
    assert 'aria-describedby="other-1-start-error"' in page


def test_submission_problems_link_to_fields_and_groups(client, sign_in):
    organization = OrganizationFactory()
    request = funding_request("TNCES", organization, years=1, title="", summary="")
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    response = _edit(client, request, action="submit", start_date="2026-04-01", end_date="2027-03-31")
    assert response.status_code == 422
    page = _page(response)
    targets = summary_targets(page)
    # Regions are a group of checkboxes: the summary links to its fieldset.
    assert {"title", "summary", "region_codes", "amount-2026"} <= set(targets)
    assert '<fieldset id="region_codes"' in page
    assert error_ties(page, standalone={"call-error"}) == []


def _officer_on(status: str):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    request = funding_request("TNCES", status=status, years=1)
    request.assignee_id = officer.id
    db.session.commit()
    return officer, request


def test_the_information_request_links_to_its_sections_and_question(client, sign_in):
    officer, request = _officer_on("under_review")
    sign_in(officer)
    url = f"/analyse/{request.id}"
    data = {"csrf_token": csrf_token(client, url), "info-version": str(request.version)}
    response = client.post(f"{url}/information", data=data)
    assert response.status_code == 422
    page = _page(response)
    assert summary_targets(page) == ["info-sections"]
    assert "#sections" not in page
    assert error_ties(page) == []

    data |= {"info-sections": ["budget"], "csrf_token": csrf_token(client, url)}
    page = _page(client.post(f"{url}/information", data=data))
    assert summary_targets(page) == ["info-message"]
    assert 'aria-describedby="info-message-error"' in page
    assert error_ties(page) == []


def test_the_decision_ties_its_choice_and_each_amount(client, sign_in):
    officer, request = _officer_on("recommended")
    sign_in(officer)
    url = f"/analyse/{request.id}"
    base = {"csrf_token": csrf_token(client, url), "decision-version": str(request.version)}
    page = _page(client.post(f"{url}/decision", data=base))
    assert "decision-decision" in summary_targets(page)
    assert error_ties(page) == []

    approve = base | {"decision-decision": "approve", "decision-approved-2026": "1,000.00"}
    approve["csrf_token"] = csrf_token(client, url)
    response = client.post(f"{url}/decision", data=approve)
    assert response.status_code == 422
    page = _page(response)
    assert summary_targets(page) == ["decision-approved-2026"]
    assert error_ties(page) == []

    # An amount the program refuses (operations, not the form) is tied to its cell as well.
    over = base | {"decision-decision": "approve", "decision-approved-2026": "999 999 999"}
    over["csrf_token"] = csrf_token(client, url)
    page = _page(client.post(f"{url}/decision", data=over))
    assert summary_targets(page) == ["decision-approved-2026"]
    assert error_ties(page) == []


def test_the_grid_ties_each_refused_score(client, sign_in):
    officer, request = _officer_on("under_review")
    criteria = review.criteria_of(request.program_id)
    sign_in(officer)
    url = f"/analyse/{request.id}"
    data = {"csrf_token": csrf_token(client, url), f"grid-{criteria[1].id}-score": "9"}
    page = _page(client.post(f"{url}/grille", data=data))
    name = f"grid-{criteria[1].id}-score"
    assert summary_targets(page) == [name]
    assert f'aria-describedby="score-hint {name}-error"' in page
    assert error_ties(page) == []


def test_each_hold_reason_of_an_agreement_has_its_own_label(client, sign_in):
    agreement, officer = agreement_in_force("TNCES", years=5)
    sign_in(officer)
    page = html.unescape(_page(client.get(f"/conventions/{agreement.id}")))
    reasons = [label for label in labels_of(page) if label.startswith("Motif de la retenue")]
    assert len(reasons) >= 2
    assert len(set(reasons)) == len(reasons)
    assert all(
        re.fullmatch(r"Motif de la retenue — versement \d+ \(\d{1,2}(er)? \w+ \d{4}\)", r) for r in reasons
    )
    every = labels_of(page)
    assert len(set(every)) == len(every), "two labels of the page read the same"


def test_the_accountability_grids_tie_their_errors_too(client, sign_in):
    organization = OrganizationFactory()
    author = member(MemberRole.CONTRIBUTOR, organization=organization)
    agreement, _officer = agreement_in_force("TNCES", organization, years=1)
    report = report_of(agreement, "midyear", 2026)
    sign_in(author)
    for slug, data in (
        (
            "personnes-rejointes",
            {"people_total": "40", "reach-gender-man": "10", "reach-age_group-12_17": "douze"},
        ),
        ("etat-financier", {"spent-salaries": "1 000", "spent-operating": "abc", "total-spent": "2 000"}),
    ):
        url = f"/redditions/{report.id}/{slug}"
        db.session.expire_all()
        version = str(db.session.get(type(report), report.id).version)
        response = client.post(url, data={"csrf_token": csrf_token(client, url), "version": version, **data})
        assert response.status_code == 422, slug
        page = _page(response)
        assert summary_targets(page), slug
        assert error_ties(page) == [], slug


def test_a_hold_without_a_reason_comes_back_tied_to_that_installments_reason(client, sign_in):
    agreement, officer = agreement_in_force("TNCES", years=1)
    sign_in(officer)
    page_url = f"/conventions/{agreement.id}"
    page = _page(client.get(page_url))
    installment_id = int(re.findall(r'id="reason-(\d+)"', page)[-1])
    data = {"csrf_token": csrf_token(client, page_url), "event": "hold", "reason": "  "}
    data["version"] = re.search(
        rf'action="/versements/{installment_id}/action".*?name="version" value="(\d+)"', page, re.S
    ).group(1)
    response = client.post(f"/versements/{installment_id}/action", data=data)
    assert response.status_code == 302
    page = _page(client.get(page_url))
    assert summary_targets(page) == [f"reason-{installment_id}"]
    assert f'aria-describedby="reason-{installment_id}-error"' in page
    assert error_ties(page) == []
    assert "Donnez le motif de la retenue" in html.unescape(page)
    # Shown once: the next visit is clean.
    assert summary_targets(_page(client.get(page_url))) == []


def test_a_report_review_ties_its_change_request_and_names_each_reopen_box(client, sign_in):
    from grants.accountability import operations as reports

    organization = OrganizationFactory()
    author = member(MemberRole.CONTRIBUTOR, organization=organization)
    agreement, officer = agreement_in_force("TNCES", organization, years=1)
    report = complete_report(report_of(agreement, "midyear", 2026), author)
    reports.submit(report.id, actor=author)
    db.session.commit()
    sign_in(officer)
    page_url = f"/redditions/analyse/{report.id}"
    page = html.unescape(_page(client.get(page_url)))
    boxes = [label for label in labels_of(page) if label.startswith("Rouvrir la section")]
    assert len(boxes) >= 4 and len(set(boxes)) == len(boxes)
    db.session.expire_all()
    version = str(db.session.get(type(report), report.id).version)
    data = {"changes-csrf_token": csrf_token(client, page_url), "changes-version": version}
    response = client.post(f"{page_url}/corrections", data=data | {"changes-reopen_finances": "y"})
    assert response.status_code == 422
    page = _page(response)
    assert summary_targets(page) == ["changes-comment_finances"]
    assert error_ties(page) == []
