"""Reference data: counts, exact measure ↔ recommendation links, idempotent loading."""

import pytest

from grants.cli import load_reference
from grants.core.db import db
from grants.programs.models import Program
from grants.reference.models import ActionPlan, Measure, Nation, Recommendation, Region


def _measure(number: str) -> Measure:
    return db.session.execute(
        db.select(Measure).join(ActionPlan).where(ActionPlan.code == "2026-2029", Measure.number == number)
    ).scalar_one()


def test_counts():
    plan = db.session.execute(db.select(ActionPlan).filter_by(code="2026-2029")).scalar_one()
    numbers = [m.number for m in plan.measures]
    assert len(numbers) == 36
    assert numbers[:31] == [str(n) for n in range(1, 32)]
    assert numbers[31:] == ["A1", "A2", "A3", "A4", "A5"]
    assert db.session.query(Recommendation).count() == 58
    assert db.session.query(Region).count() == 17
    assert db.session.query(Nation).count() == 11


@pytest.mark.parametrize(
    ("measure", "recommendations"),
    [
        ("13", [14]),
        ("19", [48, 49, 53, 54]),
        ("22", [14, 48, 49, 53, 54]),
        ("A5", [4]),
        ("1", [6, 12, 16, 25]),
    ],
)
def test_measure_links(measure, recommendations):
    assert [r.number for r in _measure(measure).recommendations] == recommendations


def test_reverse_link_recommendation_to_measures():
    rec14 = db.session.get(Recommendation, 14)
    assert {m.number for m in rec14.measures} == {"13", "14", "22"}


def test_regions_use_official_numbers_and_en_dashes():
    assert db.session.get(Region, "02").name_fr == "Saguenay–Lac-Saint-Jean"
    assert db.session.get(Region, "11").name_fr == "Gaspésie–Îles-de-la-Madeleine"
    assert db.session.get(Region, "17").name_fr == "Centre-du-Québec"


def test_victims_axis_marked_in_each_plan():
    plans = {p.code: p for p in db.session.scalars(db.select(ActionPlan))}
    assert plans["2026-2029"].victims_axis.code == "axe-4"
    assert plans["2021-2026"].victims_axis.code == "axe-5"
    assert str(plans["2021-2026"].victims_axis.budget_share_percent) == "1.62"


def test_programs_seeded_with_their_measures():
    programs = {p.code: p for p in db.session.scalars(db.select(Program))}
    assert set(programs) == {"PQLC", "TNCES", "TRCES", "HEBERGEMENT", "GUERISON-AUTOCHTONE"}
    assert programs["TNCES"].annual_max == 175000
    assert programs["TNCES"].years_max == 5
    assert programs["TNCES"].indexed is True
    assert programs["PQLC"].measure.number == "12"
    assert programs["HEBERGEMENT"].measure.number == "19"
    assert programs["GUERISON-AUTOCHTONE"].measure.number == "A2"
    # The way back, declared by the programs (reference data never imports them), on the measure's page.
    assert [p.code for p in _measure("12").programs] == ["PQLC"]


def test_a_measure_page_lists_its_programs(client, sign_in):
    from grants.core.roles import StaffRole
    from tests.factories import staff

    sign_in(staff(StaffRole.COORDINATION_CELL))
    page = client.get("/reference/plans/2026-2029/mesures/19").get_data(as_text=True)
    assert "/programmes/HEBERGEMENT" in page


def test_loading_twice_changes_nothing(app):
    report = load_reference()
    db.session.commit()
    assert not report.changed
    result = app.test_cli_runner().invoke(args=["seed", "reference"])
    assert result.exit_code == 0
    assert "nothing to change" in result.output
    assert db.session.query(Measure).count() == 36
