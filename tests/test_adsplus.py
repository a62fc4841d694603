"""The ADS+ vocabulary, the check of one report's breakdown, and tables built from many reports.

Pure tests: no database, no application of ours (a bare Flask app reads the catalog)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_babel import force_locale

from grants.accountability import adsplus
from grants.accountability.adsplus import (
    AGE_GROUP,
    GENDER,
    NOT_COLLECTED,
    PREFERS_NOT_TO_SAY,
    REGION,
    VARIABLES,
    aggregate,
    by_group,
    check_breakdown,
)
from grants.core.suppression import Status, suppress
from tests.test_suppression import assert_protected, babel_app

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.pure


@pytest.fixture
def french() -> Iterator[None]:
    with babel_app("fr_CA").app_context(), force_locale("fr_CA"):
        yield


@pytest.fixture
def english() -> Iterator[None]:
    with babel_app("en_CA").app_context(), force_locale("en_CA"):
        yield


# -- the vocabulary ----------------------------------------------------------------------------


def test_codes_are_stable():
    # Stored in reports: changing one of these breaks every report already filed.
    assert list(VARIABLES) == [
        "gender",
        "age_group",
        "indigenous_identity",
        "region",
        "sex_at_birth",
        "immigration_status",
        "disability",
    ]
    assert GENDER.codes == ("man", "woman", "non_binary", NOT_COLLECTED, PREFERS_NOT_TO_SAY)
    assert VARIABLES["indigenous_identity"].codes[:4] == ("first_nations", "inuit", "metis", "non_indigenous")
    assert VARIABLES["sex_at_birth"].codes[:2] == ("male", "female")
    assert VARIABLES["immigration_status"].codes[:3] == (
        "non_immigrant",
        "immigrant",
        "non_permanent_resident",
    )
    assert VARIABLES["disability"].codes[:2] == ("with_disability", "without_disability")
    assert AGE_GROUP.codes[:7] == ("0_11", "12_17", "18_24", "25_34", "35_49", "50_64", "65_plus")


def test_mandatory_and_optional_variables():
    assert adsplus.MANDATORY == ("gender", "age_group", "indigenous_identity", "region")
    assert adsplus.OPTIONAL == ("sex_at_birth", "immigration_status", "disability")
    assert all(VARIABLES[code].mandatory for code in adsplus.MANDATORY)
    assert not any(VARIABLES[code].mandatory for code in adsplus.OPTIONAL)


def test_every_variable_ends_with_not_collected_and_prefers_not_to_say():
    for variable in VARIABLES.values():
        assert variable.codes[-2:] == (NOT_COLLECTED, PREFERS_NOT_TO_SAY), variable.code
        assert len(set(variable.codes)) == len(variable.codes)
        assert [c.answered for c in variable.categories][-2:] == [False, False]
        assert all(c.variable == variable.code for c in variable.categories)


def test_regions_are_the_17_administrative_regions_plus_outside_quebec():
    with open(ROOT / "grants/reference/data/regions.csv", encoding="utf-8") as handle:
        reference = [row["code"] for row in csv.DictReader(handle)]
    assert reference == [f"{n:02d}" for n in range(1, 18)]
    assert REGION.codes == (*reference, "outside_quebec", NOT_COLLECTED, PREFERS_NOT_TO_SAY)


def test_labels_in_french(french):
    assert [str(c) for c in GENDER.categories] == [
        "Hommes+",
        "Femmes+",
        "Personnes non binaires+",
        "Non recueilli",
        "Préfère ne pas répondre",
    ]
    assert str(REGION.category("02")) == "02 Saguenay–Lac-Saint-Jean"
    assert str(REGION.category("outside_quebec")) == "Hors Québec"
    assert str(AGE_GROUP.category("12_17")) == "12 à 17 ans"
    assert str(VARIABLES["indigenous_identity"]) == "Identité autochtone"


def test_labels_in_english(english):
    assert [str(c) for c in GENDER.categories] == [
        "Men+",
        "Women+",
        "Non-binary people+",
        "Not collected",
        "Prefers not to say",
    ]
    assert [str(c) for c in VARIABLES["indigenous_identity"].categories][:4] == [
        "First Nations",
        "Inuit",
        "Métis",
        "Non-Indigenous",
    ]
    assert str(REGION.category("11")) == "11 Gaspésie–Îles-de-la-Madeleine"
    assert str(REGION.category("outside_quebec")) == "Outside Quebec"
    assert str(AGE_GROUP.category("65_plus")) == "65 years and over"
    assert str(VARIABLES["sex_at_birth"]) == "Sex at birth"


def test_unknown_codes_are_refused():
    with pytest.raises(KeyError):
        adsplus.variable("shoe_size")
    with pytest.raises(KeyError):
        GENDER.category("other")


# -- one report's breakdown --------------------------------------------------------------------


def test_a_breakdown_that_adds_up_has_no_problem():
    assert check_breakdown(12, {"man": 3, "woman": 8, "non_binary": 1}, "", variables="gender") == []
    assert check_breakdown(0, {}, "") == []


def test_a_breakdown_that_does_not_add_up_needs_an_explanation():
    counts = {"man": 3, "woman": 8}
    problems = check_breakdown(12, counts, "")
    assert [p.code for p in problems] == ["sum_differs"]
    assert [p.code for p in check_breakdown(12, counts, "   ")] == ["sum_differs"]
    assert [p.code for p in check_breakdown(12, counts, None)] == ["sum_differs"]
    assert check_breakdown(12, counts, "Une personne a quitté en cours d'activité.") == []


def test_negative_and_non_integer_counts_are_named(french):
    problems = check_breakdown(
        10, {"man": -1, "woman": 2.5, "non_binary": "3", NOT_COLLECTED: True}, "", variables="gender"
    )
    assert [(p.code, p.category) for p in problems] == [
        ("negative", "man"),
        ("not_integer", "woman"),
        ("not_integer", "non_binary"),
        ("not_integer", NOT_COLLECTED),
    ]
    assert problems[0].message == "Le nombre pour « Hommes+ » ne peut pas être négatif (reçu : -1)."
    # No sum is checked while a count is wrong: the count is the problem.
    assert "sum_differs" not in {p.code for p in problems}


def test_a_bad_total_is_named():
    assert [p.code for p in check_breakdown(-3, {"man": 1}, "")] == ["total"]
    assert [p.code for p in check_breakdown("12", {"man": 1}, "")] == ["total"]


def test_unknown_categories_are_refused_when_the_variable_is_known():
    problems = check_breakdown(5, {"man": 3, "femme": 2}, "", variables=GENDER)
    assert [(p.code, p.category) for p in problems] == [("unknown_category", "femme")]
    crossed = check_breakdown(
        5, {("woman", "12_17"): 3, ("woman", "99"): 2}, "", variables=("gender", "age_group")
    )
    assert [(p.code, p.category) for p in crossed] == [("unknown_category", ("woman", "99"))]


def test_problem_messages_in_english(english):
    problems = check_breakdown(1234, {"woman": 1000, "man": -2}, "", variables="gender")
    assert [p.message for p in problems] == ["The count for “Men+” cannot be negative (received: -2)."]
    sums = check_breakdown(1234, {"woman": 1000}, "")
    assert sums[0].message == (
        "The breakdown adds up to 1,000 but the total is 1,234: correct the counts or explain the difference."
    )


def test_sum_message_in_french(french):
    sums = check_breakdown(1234, {"woman": 1000}, "")
    text = sums[0].message.replace("\u00a0", " ").replace("\u202f", " ")
    assert text == (
        "La ventilation totalise 1 000 alors que le total est 1 234 : "
        "corrigez les nombres ou expliquez l'écart."
    )
    assert str(sums[0]) == sums[0].message


# -- from reports to a table -------------------------------------------------------------------


REPORTS_BY_GENDER = [
    {"woman": 30, "man": 3, NOT_COLLECTED: 2},
    {"woman": 12, "non_binary": 1},
    {"woman": 8, "man": 20},
]


def test_aggregate_one_variable_sums_over_organizations():
    table = aggregate(REPORTS_BY_GENDER, "gender")
    assert table.rows == GENDER.categories
    assert [line[0] for line in table.counts] == [23, 50, 1, 2, 0]
    assert table.grand_total == 76
    assert table.one_dimensional


def test_aggregate_two_variables_crossed():
    reports = [
        {("woman", "12_17"): 3, ("woman", "18_24"): 20, ("man", "18_24"): 7},
        {("woman", "12_17"): 9, ("non_binary", "25_34"): 2},
    ]
    table = aggregate(reports, "gender", AGE_GROUP)
    assert table.rows == GENDER.categories and table.columns == AGE_GROUP.categories
    woman, twelve = GENDER.codes.index("woman"), AGE_GROUP.codes.index("12_17")
    assert table.counts[woman][twelve] == 12
    assert table.grand_total == 41
    result = suppress(table, 5)
    assert result.cell(GENDER.category("non_binary"), AGE_GROUP.category("25_34")).status is Status.PRIMARY
    assert result.grand_total.value == 41  # on a tie the grand total is the last figure given up
    assert_protected(table, result)


def test_aggregate_refuses_what_check_breakdown_would_refuse():
    with pytest.raises(ValueError):
        aggregate([{"woman": 3, "femme": 2}], "gender")
    with pytest.raises(ValueError):
        aggregate([{"woman": -3}], "gender")
    with pytest.raises(ValueError):
        aggregate([{"woman": 3}], "gender", "age_group")  # a crossed table needs pairs


def test_by_group_gives_one_row_per_group():
    table = by_group({"TRCES": REPORTS_BY_GENDER[:2], "PQLC": REPORTS_BY_GENDER[2:]}, "gender")
    assert table.rows == ("TRCES", "PQLC")
    assert table.counts == ((3, 42, 1, 2, 0), (20, 8, 0, 0, 0))
    result = suppress(table, 5)
    assert_protected(table, result)


def test_the_table_is_published_with_category_labels(french):
    result = suppress(aggregate(REPORTS_BY_GENDER, "gender"), 5)
    assert result.csv_rows("") == [
        ["", "Genre"],
        ["Hommes+", "23"],
        ["Femmes+", "50"],
        ["Personnes non binaires+", "< 5"],
        ["Non recueilli", "< 5"],
        ["Préfère ne pas répondre", "0"],
        ["Total", "76"],
    ]
