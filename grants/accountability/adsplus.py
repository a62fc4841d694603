"""The ADS+ vocabulary: the variables people reached are counted by, and their categories, as data.

ADS+ (analyse différenciée selon les sexes dans une perspective intersectionnelle) asks every
report to say whom it reached. Gender follows the Statistics Canada standard (men+, women+,
non-binary people+), with sex at birth a separate, optional variable; Indigenous identity uses
First Nations, Inuit, Métis and non-Indigenous; regions are the 17 administrative regions by their
official numbers (read from `grants/reference/data/regions.csv`, the file the reference seed
loads, so this module needs no database) plus "outside Quebec". Every variable also has "not
collected" and "prefers not to say", so a breakdown can always add up to the total.

Codes are stable (they are stored in reports); labels are lazy gettext strings, read in the
reader's language. The age groups are our default (no public norm fits every program; the
12 to 17 group matters for sexual exploitation); a program-level choice can come later.

`check_breakdown` validates one report's breakdown; `aggregate` and `by_group` turn many reports
into a `CountTable` for `grants.core.suppression.suppress`.
"""

from __future__ import annotations

import csv
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.suppression import CountTable

NOT_COLLECTED = "not_collected"
PREFERS_NOT_TO_SAY = "prefers_not_to_say"
OUTSIDE_QUEBEC = "outside_quebec"
NON_RESPONSES = (NOT_COLLECTED, PREFERS_NOT_TO_SAY)

REGIONS_FILE = Path(__file__).resolve().parent.parent / "reference" / "data" / "regions.csv"


@dataclass(frozen=True)
class Category:
    """One answer of a variable; equal and hashed by its codes, so it can key a table."""

    variable: str
    code: str
    label: Any = field(compare=False)

    @property
    def answered(self) -> bool:
        """False for "not collected" and "prefers not to say"."""
        return self.code not in NON_RESPONSES

    def __str__(self) -> str:
        return str(self.label)


@dataclass(frozen=True)
class Variable:
    """An ADS+ variable: its categories in display order, and whether every report must give it."""

    code: str
    label: Any = field(compare=False)
    categories: tuple[Category, ...] = field(compare=False)
    mandatory: bool = field(compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(category.code for category in self.categories)

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(f"{self.code}: unknown category {code!r}")

    def __str__(self) -> str:
        return str(self.label)


class _PlaceName:
    """A proper name kept in both languages (from the reference data), read in the current one."""

    def __init__(self, code: str, name_fr: str, name_en: str) -> None:
        self.code, self.name_fr, self.name_en = code, name_fr, name_en

    def __str__(self) -> str:
        from grants.core.formatting import current_locale

        name = self.name_en if current_locale().startswith("en") else self.name_fr
        return f"{self.code} {name}"

    def __repr__(self) -> str:
        return f"_PlaceName({self.code!r})"


def _read_regions() -> list[tuple[str, _PlaceName]]:
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (row["code"], _PlaceName(row["code"], row["name_fr"], row["name_en"] or row["name_fr"]))
        for row in rows
    ]


def _variable(code: str, label: Any, answers: Iterable[tuple[str, Any]], *, mandatory: bool) -> Variable:
    answers = [
        *answers,
        (NOT_COLLECTED, _l("Non recueilli")),
        (PREFERS_NOT_TO_SAY, _l("Préfère ne pas répondre")),
    ]
    return Variable(code, label, tuple(Category(code, c, text) for c, text in answers), mandatory)


GENDER = _variable(
    "gender",
    _l("Genre"),
    [("man", _l("Hommes+")), ("woman", _l("Femmes+")), ("non_binary", _l("Personnes non binaires+"))],
    mandatory=True,
)
AGE_GROUP = _variable(
    "age_group",
    _l("Groupe d'âge"),
    [
        ("0_11", _l("0 à 11 ans")),
        ("12_17", _l("12 à 17 ans")),
        ("18_24", _l("18 à 24 ans")),
        ("25_34", _l("25 à 34 ans")),
        ("35_49", _l("35 à 49 ans")),
        ("50_64", _l("50 à 64 ans")),
        ("65_plus", _l("65 ans et plus")),
    ],
    mandatory=True,
)
INDIGENOUS_IDENTITY = _variable(
    "indigenous_identity",
    _l("Identité autochtone"),
    [
        ("first_nations", _l("Premières Nations")),
        ("inuit", _l("Inuit")),
        ("metis", _l("Métis")),
        ("non_indigenous", _l("Non autochtone")),
    ],
    mandatory=True,
)
REGION = _variable(
    "region",
    _l("Région administrative"),
    [*_read_regions(), (OUTSIDE_QUEBEC, _l("Hors Québec"))],
    mandatory=True,
)
SEX_AT_BIRTH = _variable(
    "sex_at_birth",
    _l("Sexe à la naissance"),
    [("male", _l("Masculin")), ("female", _l("Féminin"))],
    mandatory=False,
)
IMMIGRATION_STATUS = _variable(
    "immigration_status",
    _l("Statut d'immigrant"),
    [
        ("non_immigrant", _l("Non-immigrants")),
        ("immigrant", _l("Immigrants")),
        ("non_permanent_resident", _l("Résidents non permanents")),
    ],
    mandatory=False,
)
DISABILITY = _variable(
    "disability",
    _l("Incapacité"),
    [
        ("with_disability", _l("Personnes ayant une incapacité")),
        ("without_disability", _l("Personnes sans incapacité")),
    ],
    mandatory=False,
)

VARIABLES: dict[str, Variable] = {
    v.code: v
    for v in (GENDER, AGE_GROUP, INDIGENOUS_IDENTITY, REGION, SEX_AT_BIRTH, IMMIGRATION_STATUS, DISABILITY)
}
MANDATORY: tuple[str, ...] = tuple(code for code, v in VARIABLES.items() if v.mandatory)
OPTIONAL: tuple[str, ...] = tuple(code for code, v in VARIABLES.items() if not v.mandatory)


def variable(code: str | Variable) -> Variable:
    """The variable of that code (a `Variable` is returned as is)."""
    if isinstance(code, Variable):
        return code
    try:
        return VARIABLES[code]
    except KeyError:
        raise KeyError(f"unknown ADS+ variable {code!r}") from None


# -- checking one report's breakdown -----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a breakdown; `message` is written in the reader's language."""

    code: str  # "total", "not_integer", "negative", "unknown_category", "sum_differs"
    template: Any = field(compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    category: Any = None  # the category code (or pair of codes) concerned, if any

    @property
    def message(self) -> str:
        from grants.core.formatting import number

        values = {
            key: number(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)
            for key, value in self.params.items()
        }
        return str(self.template) % values

    def __str__(self) -> str:
        return self.message


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _category_text(variables: tuple[Variable, ...], key: Any) -> Any:
    """The label(s) of a key for a message, or the key itself when it is unknown."""
    codes = key if isinstance(key, tuple) else (key,)
    if len(variables) != len(codes):
        return str(key)
    try:
        labels = [str(v.category(c)) for v, c in zip(variables, codes, strict=True)]
    except KeyError:
        return " × ".join(map(str, codes))
    return " × ".join(labels)


def check_breakdown(
    total: Any,
    counts_by_category: Mapping[Any, Any],
    explanation: str | None = "",
    *,
    variables: str | Variable | tuple[str | Variable, ...] | None = None,
) -> list[Problem]:
    """What is wrong with one breakdown of `total` people (an empty list when nothing is).

    Counts are whole numbers, zero or more; they add up to the total unless `explanation` says why
    not. With `variables` (one variable, or two crossed, the keys then being pairs of codes) every
    key must be a category of it."""
    if variables is None:
        chosen: tuple[Variable, ...] = ()
    elif isinstance(variables, tuple):
        chosen = tuple(variable(v) for v in variables)
    else:
        chosen = (variable(variables),)
    problems: list[Problem] = []
    if not _is_count(total) or total < 0:
        problems.append(
            Problem(
                "total",
                _l("Le total doit être un nombre entier, zéro ou plus (reçu : %(value)s)."),
                {"value": total},
            )
        )
    for key, value in counts_by_category.items():
        if chosen and not _known(chosen, key):
            problems.append(
                Problem(
                    "unknown_category",
                    _l("« %(category)s » n'est pas une catégorie de « %(variable)s »."),
                    {
                        "category": key if not isinstance(key, tuple) else " × ".join(map(str, key)),
                        "variable": " × ".join(str(v) for v in chosen),
                    },
                    key,
                )
            )
            continue
        label = _category_text(chosen, key) if chosen else key
        if not _is_count(value):
            problems.append(
                Problem(
                    "not_integer",
                    _l("Le nombre pour « %(category)s » doit être un nombre entier (reçu : %(value)s)."),
                    {"category": label, "value": value},
                    key,
                )
            )
        elif value < 0:
            problems.append(
                Problem(
                    "negative",
                    _l("Le nombre pour « %(category)s » ne peut pas être négatif (reçu : %(value)s)."),
                    {"category": label, "value": value},
                    key,
                )
            )
    counts_valid = all(_is_count(v) and v >= 0 for v in counts_by_category.values())
    if not problems and counts_valid:
        added = sum(counts_by_category.values())
        if added != total and not (explanation or "").strip():
            problems.append(
                Problem(
                    "sum_differs",
                    _l(
                        "La ventilation totalise %(sum)s alors que le total est %(total)s : corrigez "
                        "les nombres ou expliquez l'écart."
                    ),
                    {"sum": added, "total": total},
                )
            )
    return problems


def _known(chosen: tuple[Variable, ...], key: Any) -> bool:
    codes = key if isinstance(key, tuple) else (key,)
    return len(codes) == len(chosen) and all(c in v.codes for v, c in zip(chosen, codes, strict=True))


# -- from reports to a table -------------------------------------------------------------------


def _counts_of(breakdown: Mapping[Any, Any], chosen: tuple[Variable, ...]) -> Mapping[Any, int]:
    for key, value in breakdown.items():
        if not _known(chosen, key):
            raise ValueError(f"{key!r} is not a category of {' × '.join(v.code for v in chosen)}")
        if not _is_count(value) or value < 0:
            raise ValueError(f"{key!r}: a count is a non-negative integer, not {value!r}")
    return breakdown


def aggregate(
    breakdowns: Iterable[Mapping[Any, int]], rows: str | Variable, columns: str | Variable | None = None
) -> CountTable:
    """Sum many reports' breakdowns into one table for `suppress`.

    With one variable each breakdown maps category codes to counts and the table is one-way (a
    row per category); with two, keys are `(row code, column code)` pairs (e.g. gender × age
    group). Every category is a row or column, in the vocabulary's order, zeros included. Totals are
    the sums of the categories: check each report with `check_breakdown` first."""
    row_variable = variable(rows)
    if columns is None:
        sums = dict.fromkeys(row_variable.codes, 0)
        for breakdown in breakdowns:
            for code, value in _counts_of(breakdown, (row_variable,)).items():
                sums[code] += value
        return CountTable.one_way(row_variable.categories, sums.values(), column=row_variable)
    column_variable = variable(columns)
    pairs: dict[tuple[str, str], int] = {}
    for breakdown in breakdowns:
        for key, value in _counts_of(breakdown, (row_variable, column_variable)).items():
            pairs[key] = pairs.get(key, 0) + value
    return CountTable(
        row_variable.categories,
        column_variable.categories,
        tuple(
            tuple(pairs.get((r.code, c.code), 0) for c in column_variable.categories)
            for r in row_variable.categories
        ),
    )


def by_group(groups: Mapping[Hashable, Iterable[Mapping[str, int]]], columns: str | Variable) -> CountTable:
    """One row per group (a program, an organization kind, a fiscal year…), one column per category:
    each row sums the breakdowns of that group's reports."""
    column_variable = variable(columns)
    lines = []
    for breakdowns in groups.values():
        sums = dict.fromkeys(column_variable.codes, 0)
        for breakdown in breakdowns:
            for code, value in _counts_of(breakdown, (column_variable,)).items():
                sums[code] += value
        lines.append(tuple(sums.values()))
    return CountTable(tuple(groups), column_variable.categories, tuple(lines))
