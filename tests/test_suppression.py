"""Small-count suppression: small counts hidden, and no hidden count recoverable from what is shown.

Pure tests: no database, no application of ours. Protection is checked two independent ways:
exactly, by linear algebra over fractions (a hidden count is recoverable exactly when its unit
vector lies in the row space of the table's equations restricted to the hidden figures; with every
hidden count positive, an unrecoverable one can move both ways, so its feasible range has width
> 0), and by brute force on small tables (enumerating the tables that publish the same figures).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from grants.core.suppression import (
    DEFAULT_THRESHOLD,
    Cost,
    CountTable,
    Status,
    SuppressedTable,
    configured_threshold,
    reveal,
    suppress,
)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.pure

# -- what the checks are made of ---------------------------------------------------------------

Position = tuple[int, int]  # (row, column) of the table with its margins; row R / column C are totals


def true_figures(table: CountTable) -> dict[Position, int]:
    n_rows, n_columns = len(table.rows), len(table.columns)
    figures = {(i, j): table.counts[i][j] for i in range(n_rows) for j in range(n_columns)}
    figures.update({(i, n_columns): total for i, total in enumerate(table.row_totals)})
    figures.update({(n_rows, j): total for j, total in enumerate(table.column_totals)})
    figures[(n_rows, n_columns)] = table.grand_total
    return figures


def published(result: SuppressedTable) -> dict[Position, object]:
    n_rows, n_columns = len(result.rows), len(result.columns)
    cells = {(i, j): result.cells[i][j] for i in range(n_rows) for j in range(n_columns)}
    cells.update({(i, n_columns): cell for i, cell in enumerate(result.row_totals)})
    cells.update({(n_rows, j): cell for j, cell in enumerate(result.column_totals)})
    cells[(n_rows, n_columns)] = result.grand_total
    return cells


def equations(n_rows: int, n_columns: int) -> list[dict[Position, int]]:
    """Every line of the table with its margins adds up to its total (for a one-way table the
    other margin's equations say that it repeats the cells, which is what a reader sees)."""
    lines = []
    for i in range(n_rows + 1):
        line = {(i, j): 1 for j in range(n_columns)}
        line[(i, n_columns)] = -1
        lines.append(line)
    for j in range(n_columns + 1):
        line = {(i, j): 1 for i in range(n_rows)}
        line[(n_rows, j)] = -1
        lines.append(line)
    return lines


def recoverable(hidden: list[Position], lines: list[dict[Position, int]]) -> set[Position]:
    """The hidden figures the shown ones determine: those whose unit vector is in the row space of
    the equations restricted to the hidden figures (exact, by row reduction over fractions)."""
    matrix = [[Fraction(line.get(p, 0)) for p in hidden] for line in lines]
    pivots: list[tuple[int, int]] = []  # (row, column)
    row = 0
    for column in range(len(hidden)):
        found = next((r for r in range(row, len(matrix)) if matrix[r][column] != 0), None)
        if found is None:
            continue
        matrix[row], matrix[found] = matrix[found], matrix[row]
        pivot = matrix[row][column]
        matrix[row] = [value / pivot for value in matrix[row]]
        for r in range(len(matrix)):
            if r != row and matrix[r][column] != 0:
                factor = matrix[r][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[row], strict=True)]
        pivots.append((row, column))
        row += 1
    found_out = set()
    for r, column in pivots:
        if all(value == 0 for k, value in enumerate(matrix[r]) if k != column):
            found_out.add(hidden[column])
    return found_out


def hidden_positions(result: SuppressedTable) -> list[Position]:
    return [p for p, cell in published(result).items() if cell.hidden]


def distinct_lines(n_rows: int, n_columns: int) -> list[list[Position]]:
    """The additive lines a reader sees: one for a one-way table, every row and column otherwise."""
    if n_rows == 1:
        return [[(0, j) for j in range(n_columns + 1)]]
    if n_columns == 1:
        return [[(i, 0) for i in range(n_rows + 1)]]
    rows = [[(i, j) for j in range(n_columns + 1)] for i in range(n_rows + 1)]
    columns = [[(i, j) for i in range(n_rows + 1)] for j in range(n_columns + 1)]
    return rows + columns


def assert_protected(table: CountTable, result: SuppressedTable, threshold: int = DEFAULT_THRESHOLD) -> None:
    truth = true_figures(table)
    cells = published(result)
    for position, cell in cells.items():
        value = truth[position]
        if 0 < value < threshold:
            assert cell.status is Status.PRIMARY, (position, value)
        if cell.hidden:
            assert cell.value is None  # the true value never leaves suppress()
            assert value > 0, f"a zero was hidden at {position}"
        else:
            assert cell.value == value
            assert not 0 < value < threshold
    n_rows, n_columns = len(table.rows), len(table.columns)
    for line in distinct_lines(n_rows, n_columns):
        hidden_in_line = [p for p in line if cells[p].hidden]
        assert len(hidden_in_line) != 1, f"line {line} hides a single figure: {hidden_in_line}"
    hidden = hidden_positions(result)
    if n_rows == 1 and n_columns == 1:
        return  # a lone figure: nothing else gives it away
    exposed = recoverable(hidden, equations(n_rows, n_columns))
    assert not exposed, f"hidden figures recoverable from the shown ones: {sorted(exposed)}"


def statuses(result: SuppressedTable) -> dict[Position, Status]:
    return {p: cell.status for p, cell in published(result).items() if cell.hidden}


def random_table(rng: random.Random, max_rows: int = 5, max_columns: int = 6) -> CountTable:
    n_rows, n_columns = rng.randint(1, max_rows), rng.randint(1, max_columns)

    def count() -> int:
        draw = rng.random()
        if draw < 0.25:
            return 0
        if draw < 0.6:
            return rng.randint(1, 4)
        if draw < 0.8:
            return rng.randint(5, 12)
        return rng.randint(13, 300)

    return CountTable(
        tuple(f"r{i}" for i in range(n_rows)),
        tuple(f"c{j}" for j in range(n_columns)),
        tuple(tuple(count() for _ in range(n_columns)) for _ in range(n_rows)),
    )


def babel_app(locale: str) -> Flask:
    """A bare Flask app with our catalog, to read lazy strings in one language (no database)."""
    app = Flask("suppression-tests")
    app.config["BABEL_DEFAULT_LOCALE"] = locale
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "grants" / "translations")
    Babel(app)
    return app


@pytest.fixture
def french() -> Iterator[None]:
    with babel_app("fr_CA").app_context(), force_locale("fr_CA"):
        yield


@pytest.fixture
def english() -> Iterator[None]:
    with babel_app("en_CA").app_context(), force_locale("en_CA"):
        yield


# -- the cases ---------------------------------------------------------------------------------

PEOPLE = CountTable(
    ("Montréal", "Laval", "Estrie"),
    ("Femmes+", "Hommes+", "Personnes non binaires+"),
    ((3, 10, 20), (8, 12, 30), (15, 9, 40)),
)


def test_a_shown_total_would_give_the_small_count_away_so_a_second_cell_is_hidden():
    # Hiding only the 3 is not enough: the row total 33 minus 10 and 20 gives it back.
    naive = recoverable([(0, 0)], equations(3, 3))
    assert naive == {(0, 0)}

    result = suppress(PEOPLE, 5)

    assert result.cell("Montréal", "Femmes+").status is Status.PRIMARY
    # The cheapest cycle through the 3: the smallest neighbours in its row (10) and column (8),
    # and the cell closing the rectangle (12); every total stays shown.
    assert statuses(result) == {
        (0, 0): Status.PRIMARY,
        (0, 1): Status.SECONDARY,
        (1, 0): Status.SECONDARY,
        (1, 1): Status.SECONDARY,
    }
    assert [c.value for c in result.row_totals] == [33, 50, 64]
    assert [c.value for c in result.column_totals] == [26, 31, 90]
    assert result.grand_total.value == 147
    assert_protected(PEOPLE, result)


@pytest.mark.parametrize("orientation", ["column", "row"])
def test_one_way_breakdown_hides_the_smallest_other_count(orientation):
    keys, counts = ("a", "b", "c", "d"), (3, 10, 20, 7)
    if orientation == "column":
        table = CountTable.one_way(keys, counts)
    else:
        table = CountTable(("all",), keys, (counts,))

    result = suppress(table, 5)

    flat = [line[0] for line in result.cells] if orientation == "column" else list(result.cells[0])
    assert [c.status for c in flat] == [Status.PRIMARY, Status.SHOWN, Status.SHOWN, Status.SECONDARY]
    assert [c.value for c in flat] == [None, 10, 20, None]
    assert result.grand_total.value == 40
    assert result.one_dimensional
    assert_protected(table, result)


def test_one_way_with_two_small_counts_needs_nothing_more():
    table = CountTable.one_way(("a", "b", "c"), (2, 3, 50))
    result = suppress(table, 5)
    assert [line[0].status for line in result.cells] == [Status.PRIMARY, Status.PRIMARY, Status.SHOWN]
    assert not result.has_secondary
    assert_protected(table, result)


def test_a_small_row_total_is_hidden_too_and_protected():
    table = CountTable(("a", "b", "c"), ("x", "y", "z"), ((1, 2, 0), (10, 20, 30), (15, 25, 35)))
    result = suppress(table, 5)
    assert result.row_totals[0].status is Status.PRIMARY
    assert result.cells[0][2].status is Status.SHOWN  # the zero
    assert_protected(table, result)


def test_a_small_grand_total_is_hidden():
    table = CountTable(("a", "b"), ("x", "y"), ((1, 0), (0, 2)))
    result = suppress(table, 5)
    assert result.grand_total.status is Status.PRIMARY
    assert result.grand_total.value is None
    assert_protected(table, result)

    alone = CountTable.one_way(("a", "b"), (3, 0))
    result = suppress(alone, 5)
    assert result.grand_total.status is Status.PRIMARY
    assert result.cells[1][0].value == 0
    assert_protected(alone, result)


def test_a_single_count_table():
    small = suppress(CountTable(("a",), ("x",), ((3,),)), 5)
    assert small.cells[0][0].status is Status.PRIMARY
    assert small.grand_total is small.cells[0][0]
    assert suppress(CountTable(("a",), ("x",), ((30,),)), 5).grand_total.value == 30


def test_zero_is_not_sensitive_and_is_never_hidden():
    table = CountTable(("a", "b", "c"), ("x", "y", "z"), ((0, 3, 0), (0, 0, 0), (0, 20, 40)))
    result = suppress(table, 5)
    for position, cell in published(result).items():
        if true_figures(table)[position] == 0:
            assert cell.status is Status.SHOWN and cell.value == 0
    assert_protected(table, result)

    nothing = CountTable(("a", "b"), ("x", "y"), ((0, 0), (0, 0)))
    assert not hidden_positions(suppress(nothing, 5))


def test_a_table_without_small_counts_is_unchanged():
    table = CountTable(("a", "b"), ("x", "y", "z"), ((5, 10, 0), (7, 100, 12)))
    result = suppress(table, 5)
    assert not hidden_positions(result)
    assert [[c.value for c in line] for line in result.cells] == [[5, 10, 0], [7, 100, 12]]
    assert [c.value for c in result.row_totals] == [15, 119]
    assert result.grand_total.value == 134
    assert result.footnotes == []


def test_the_threshold_is_an_argument():
    table = CountTable(("a", "b"), ("x", "y"), ((5, 9), (30, 40)))
    assert not hidden_positions(suppress(table, 5))
    stricter = suppress(table, 10)
    assert stricter.cells[0][0].status is Status.PRIMARY
    assert stricter.cells[0][1].status is Status.PRIMARY
    assert_protected(table, stricter, threshold=10)
    assert not hidden_positions(suppress(CountTable.one_way("ab", (1, 2)), 1))
    for bad in (0, -5, 2.5, True, "5"):
        with pytest.raises(ValueError):
            suppress(table, bad)


def test_without_a_threshold_the_setting_is_used():
    table = CountTable.one_way("abc", (6, 7, 40))
    app = Flask("suppression-setting")
    app.config["SUPPRESSION_THRESHOLD"] = 8
    with app.app_context():
        assert configured_threshold() == 8
        result = suppress(table)
    assert result.threshold == 8
    assert [line[0].status for line in result.cells] == [Status.PRIMARY, Status.PRIMARY, Status.SHOWN]


def test_the_setting_defaults_to_five():
    from config import Config

    assert Config.SUPPRESSION_THRESHOLD == 5 == DEFAULT_THRESHOLD


def test_cost_cells_hides_fewer_cells_and_stays_protected():
    # A small count whose cheapest protection in people is a long cycle of tiny counts.
    table = CountTable(
        ("a", "b", "c"),
        ("x", "y", "z"),
        ((2, 5, 500), (5, 6, 7), (500, 6, 600)),
    )
    by_value = suppress(table, 5, cost=Cost.VALUE)
    by_cells = suppress(table, 5, cost=Cost.CELLS)
    assert_protected(table, by_value)
    assert_protected(table, by_cells)
    assert len(hidden_positions(by_cells)) <= len(hidden_positions(by_value))


def test_the_same_table_gives_the_same_result():
    assert suppress(PEOPLE, 5) == suppress(PEOPLE, 5)


def test_reveal_shows_an_organization_its_own_counts():
    result = reveal(PEOPLE, 5)
    assert not hidden_positions(result)
    assert result.cells[0][0].value == 3
    assert result.footnotes == []


@pytest.mark.parametrize("cost", list(Cost))
def test_random_tables_are_protected_exactly(cost):
    rng = random.Random(20260401)
    secondary_seen = 0
    for _ in range(400):
        table = random_table(rng)
        result = suppress(table, 5, cost=cost)
        assert_protected(table, result)
        secondary_seen += result.has_secondary
    assert secondary_seen > 100  # the sample does exercise secondary suppression


def test_large_tables_are_protected_exactly():
    # The size of a real aggregate: 17 regions and the two non-responses by the five gender columns.
    rng = random.Random(17)
    for _ in range(20):
        table = CountTable(
            tuple(range(19)),
            tuple(range(5)),
            tuple(tuple(rng.choice((0, 0, 1, 2, 3, 4, 6, 11, 25, 140)) for _ in range(5)) for _ in range(19)),
        )
        assert_protected(table, suppress(table, 5))


def _alternatives(table: CountTable, result: SuppressedTable) -> dict[Position, set[int]]:
    """Brute force: every value each hidden figure takes over the non-negative tables whose cells
    lie within 1 of the true ones and that publish exactly the same shown figures."""
    truth = true_figures(table)
    cells = published(result)
    n_rows, n_columns = len(table.rows), len(table.columns)
    hidden_inner = [(i, j) for i in range(n_rows) for j in range(n_columns) if cells[(i, j)].hidden]
    ranges = [range(max(0, truth[p] - 1), truth[p] + 2) for p in hidden_inner]
    seen: dict[Position, set[int]] = {p: set() for p, cell in cells.items() if cell.hidden}
    for values in itertools.product(*ranges):
        counts = [list(line) for line in table.counts]
        for (i, j), value in zip(hidden_inner, values, strict=True):
            counts[i][j] = value
        candidate = true_figures(CountTable(table.rows, table.columns, counts))
        if all(candidate[p] == truth[p] for p, cell in cells.items() if not cell.hidden):
            for p in seen:
                seen[p].add(candidate[p])
    return seen


@pytest.mark.parametrize("shape", [(2, 2), (1, 3), (3, 1), (2, 3)])
def test_small_tables_by_brute_force(shape):
    n_rows, n_columns = shape
    values = (0, 1, 3, 4, 6, 9)
    tables = list(itertools.product(values, repeat=n_rows * n_columns))
    if len(tables) > 1296:  # every 2 × 2, 1 × 3 and 3 × 1 table of these values; a sample of 2 × 3
        tables = random.Random(7).sample(tables, 400)
    for flat in tables:
        counts = tuple(tuple(flat[i * n_columns : (i + 1) * n_columns]) for i in range(n_rows))
        table = CountTable(tuple(range(n_rows)), tuple(range(n_columns)), counts)
        result = suppress(table, 5)
        for position, taken in _alternatives(table, result).items():
            assert len(taken) >= 2, f"{counts}: hidden {position} can only be {taken}"


# -- rendering ---------------------------------------------------------------------------------


def test_markers_footnotes_and_csv_in_french(french):
    result = suppress(PEOPLE, 5)
    small, protecting, shown = result.cells[0][0], result.cells[0][1], result.cells[0][2]
    assert str(small.marker) == "< 5" and str(small.display) == "< 5"
    assert str(protecting.marker) == "x" and str(protecting.display) == "x"
    assert shown.marker is None and shown.display == 20
    assert [str(note) for note in result.footnotes] == [
        "< 5 : petit nombre (moins de 5), masqué pour protéger la confidentialité des personnes.",
        "x : masqué pour protéger une petite valeur.",
    ]
    assert result.csv_rows("Région") == [
        ["Région", "Femmes+", "Hommes+", "Personnes non binaires+", "Total"],
        ["Montréal", "< 5", "x", "20", "33"],
        ["Laval", "x", "x", "30", "50"],
        ["Estrie", "15", "9", "40", "64"],
        ["Total", "26", "31", "90", "147"],
    ]


def test_markers_and_footnotes_in_english(english):
    result = suppress(PEOPLE, 5)
    assert result.cells[0][0].csv_value == "< 5"
    assert result.cells[0][1].csv_value == "x"
    assert [str(note) for note in result.footnotes] == [
        "< 5: small count (under 5), hidden to protect people's privacy.",
        "x: hidden to protect a small count.",
    ]
    assert result.csv_rows()[-1][0] == "Total"


def test_the_marker_follows_the_threshold(french):
    result = suppress(CountTable.one_way("abc", (7, 2, 40)), 10)
    assert [line[0].csv_value for line in result.cells] == ["< 10", "< 10", "40"]
    assert str(result.footnotes[0]).startswith("< 10 : petit nombre (moins de 10)")


def test_one_way_csv_has_no_repeated_margin(french):
    result = suppress(CountTable.one_way(("a", "b", "c"), (3, 10, 20), column="Personnes"), 5)
    assert result.csv_rows("Catégorie") == [
        ["Catégorie", "Personnes"],
        ["a", "< 5"],
        ["b", "x"],
        ["c", "20"],
        ["Total", "33"],
    ]
    assert [(line.key, line.total.csv_value) for line in result.body] == [
        ("a", "< 5"),
        ("b", "x"),
        ("c", "20"),
    ]


# -- the value type ----------------------------------------------------------------------------


def test_count_table_refuses_what_is_not_a_table_of_counts():
    with pytest.raises(ValueError):
        CountTable(("a",), ("x",), ((-1,),))
    with pytest.raises(ValueError):
        CountTable(("a",), ("x",), ((True,),))
    with pytest.raises(ValueError):
        CountTable(("a",), ("x",), ((1.0,),))
    with pytest.raises(ValueError):
        CountTable(("a", "b"), ("x",), ((1,),))
    with pytest.raises(ValueError):
        CountTable(("a", "a"), ("x",), ((1,), (2,)))
    with pytest.raises(ValueError):
        CountTable((), ("x",), ())


def test_count_table_from_mapping_and_totals():
    table = CountTable.from_mapping(("a", "b"), ("x", "y"), {("a", "x"): 2, ("b", "y"): 7})
    assert table.counts == ((2, 0), (0, 7))
    assert table.row_totals == (2, 7) and table.column_totals == (2, 7) and table.grand_total == 9
    with pytest.raises(ValueError):
        CountTable.from_mapping(("a",), ("x",), {("z", "x"): 1})


def test_the_one_pass_bridge_search_agrees_with_the_search_per_count():
    """`_bridges` (Tarjan, one pass) finds exactly the hidden counts `_is_bridge` finds one by one."""
    from grants.core.suppression import _adjacency, _bridges, _is_bridge, _structure

    generator = random.Random(11)
    for _ in range(300):
        rows, columns = generator.randint(1, 6), generator.randint(1, 6)
        table = CountTable(
            tuple(range(rows)),
            tuple(range(columns)),
            tuple(
                tuple(generator.choice([0, 1, 2, 3, 7, 12, 40]) for _ in range(columns)) for _ in range(rows)
            ),
        )
        structure = _structure(table)
        hidden = {q for q in range(len(structure.values)) if generator.random() < 0.4}
        graph = _adjacency(structure.edges, hidden)
        expected = {q for q in hidden if _is_bridge(q, structure.edges, graph)}
        assert _bridges(structure.edges, hidden) == expected
