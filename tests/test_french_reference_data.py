"""Issue 13, item 5: French reference data with no English version (plan measures, CSESM
recommendations) shown in the English interface sits inside an element with lang="fr" on every page
that shows it, the request form's checkbox labels included; translated data (axes, programs) does
not."""

from __future__ import annotations

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.programs.models import Program
from grants.reference.models import Measure, PlanAxis, Recommendation
from tests.factories import OrganizationFactory, funding_request, member, staff
from tests.html_checks import texts_not_in_language


def _measures() -> list[Measure]:
    return db.session.scalars(db.select(Measure).order_by(Measure.plan_id, Measure.sort_order)).all()


def _titles(measures) -> list[str]:
    return [" ".join(m.title_fr.split()) for m in measures]


def _check(page: str, texts: list[str], *, at_least: int = 1) -> None:
    found, wrong = texts_not_in_language(page, texts)
    assert len(found) >= at_least, f"expected {at_least} of the texts on the page, found {len(found)}"
    assert wrong == set(), f"outside lang=fr: {sorted(wrong)[:3]}"


def test_request_form_measure_checkboxes_are_marked_french_in_english(client, sign_in):
    organization = OrganizationFactory()
    request = funding_request("TNCES", organization, years=1)
    measures = [m for m in _measures() if m.plan_id == _measures()[-1].plan_id]
    request.measures = measures[:3]
    db.session.commit()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization, preferred_language="en"))
    page = client.get(f"/demandes/{request.id}/modifier").get_data(as_text=True)
    assert '<html lang="en' in page
    # Every checkbox label of the plan's measures.
    _check(page, _titles(measures), at_least=len(measures))
    assert 'lang="fr"><span' not in page  # one mark each, on the label's text

    show = client.get(f"/demandes/{request.id}").get_data(as_text=True)
    _check(show, _titles(measures[:3]), at_least=3)


def test_review_program_and_reference_pages_mark_measures_and_recommendations(client, sign_in):
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="en")
    request = funding_request("TNCES", status="submitted", years=1)
    measures = _measures()
    request.measures = measures[:2]
    db.session.commit()
    sign_in(officer)
    _check(client.get(f"/analyse/{request.id}").get_data(as_text=True), _titles(measures[:2]), at_least=2)

    program = db.session.scalar(db.select(Program).filter(Program.measure_id.is_not(None)))
    page = client.get(f"/programmes/{program.code}").get_data(as_text=True)
    _check(page, _titles([program.measure]))

    measure = program.measure
    plan_code = measure.plan.code
    plan_page = client.get(f"/reference/plans/{plan_code}").get_data(as_text=True)
    plan_measures = [m for m in measures if m.plan_id == measure.plan_id]
    _check(plan_page, _titles(plan_measures), at_least=len(plan_measures))
    # Axes have an English title: it is not marked French.
    axis = db.session.get(PlanAxis, measure.axis_id)
    assert axis.title_en
    found, wrong = texts_not_in_language(plan_page, [axis.title_en], language="en")
    assert found and not wrong

    measure_page = client.get(f"/reference/plans/{plan_code}/mesures/{measure.number}").get_data(as_text=True)
    _check(measure_page, _titles([measure]))
    summaries = [" ".join(r.summary.split()) for r in measure.recommendations]
    if summaries:
        _check(measure_page, summaries, at_least=len(summaries))

    recommendations = db.session.scalars(db.select(Recommendation).order_by(Recommendation.number)).all()
    listing = client.get("/reference/recommandations").get_data(as_text=True)
    _check(listing, [" ".join(r.summary.split()) for r in recommendations], at_least=len(recommendations))
    first = recommendations[0]
    page = client.get(f"/reference/recommandations/{first.number}").get_data(as_text=True)
    _check(page, [" ".join(line.split()) for line in first.text_fr.split("\n") if line.strip()])
    _check(page, _titles(first.measures), at_least=len(first.measures))


def test_in_french_nothing_changes_for_a_french_reader(client, sign_in):
    organization = OrganizationFactory()
    request = funding_request("TNCES", organization, years=1)
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    page = client.get(f"/demandes/{request.id}/modifier").get_data(as_text=True)
    assert '<html lang="fr' in page
    measures = [m for m in _measures() if m.plan_id == _measures()[-1].plan_id]
    found, wrong = texts_not_in_language(page, _titles(measures))
    assert len(found) == len(measures) and not wrong  # the page itself is French
