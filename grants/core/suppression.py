"""Small-count suppression: the one function every aggregate the ministry sees or exports goes through.

A count from 1 to `threshold - 1` (1 to 4 with the default threshold of 5) is *primary*: it is
shown `< 5`. Zero is not sensitive (it says nobody was reached, about nobody) and stays shown. Then
enough other counts are hidden, *secondary* suppression shown `x`, that no hidden count can be
recomputed from the published ones: the row totals, the column totals, the grand total and the
other cells of the same table.

How protection is decided. A table with its margins is an additive structure: each row adds up to
its total, each column to its total, the row totals and the column totals to the grand total.
Flip the sign of the margins except the grand total and every line of the (rows + 1) × (columns + 1)
table adds up to zero, so the table is the incidence structure of a bipartite graph: one vertex per
line (the totals line and the totals column included), one edge per count. A set of hidden counts
leaves a hidden count `c` undetermined exactly when `c` lies on a cycle of hidden counts
alternating between rows and columns: values can be moved +1/−1 around that cycle and every
published total stays the same. Hidden counts are never zero (zeros are never hidden), so such a
move is feasible with non-negative counts and the range of values consistent with the published
figures has a width greater than zero. A hidden count on no such cycle is a *bridge* of the graph
of hidden counts and can be recomputed. A one-way table (a breakdown and its total) is the same
with two vertices, one edge per count and one for the total: any two hidden counts form a cycle.
In particular every line that holds a hidden count holds at least two (or hides its total too).

How secondary counts are chosen (the shortest-path heuristic of the network-flow methods for
two-way tables): while some hidden count is a bridge, find the cheapest path of counts joining its
row to its column without it, where an already hidden count costs nothing, a zero cannot be used
and any other count costs its value (`Cost.VALUE`, the default: hide as few people as possible,
so the smallest other counts of the same row and column go first, and totals, being the largest,
last) or one cell (`Cost.CELLS`: hide as few cells as possible); on a tie, cells go before line
totals and line totals before the grand total, the figure readers need most. Hide that path,
which closes a cycle. Then give back, largest first, every secondary count whose removal leaves
no bridge. The result is protected; it is not always the least suppression possible (that is an
integer programme), the usual price of a heuristic.

The marker `< 5` itself tells a reader that the count is between 1 and 4; protection here is
about recomputing a count exactly from the published figures, as the rule asks.

An organization reading its own report sees its own counts: render it with `reveal`, which
returns the same structure with everything shown, so templates do not branch.

The threshold is the setting `SUPPRESSION_THRESHOLD`; `suppress` takes it as an argument (tests,
exports) and reads the setting when it is not given.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

DEFAULT_THRESHOLD = 5
GRAND_TOTAL_RANK = 4


class Status(StrEnum):
    """Why a count is shown or not."""

    SHOWN = "shown"
    PRIMARY = "primary"  # a small count, 1 to threshold − 1: shown `< 5`
    SECONDARY = "secondary"  # hidden so that a small count cannot be recomputed: shown `x`


class Cost(StrEnum):
    """What the choice of secondary counts minimizes."""

    VALUE = "value"  # the number of people hidden (default): the smallest other counts go first
    CELLS = "cells"  # the number of cells hidden


def configured_threshold() -> int:
    """`SUPPRESSION_THRESHOLD` of the running application, or the default outside one."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("SUPPRESSION_THRESHOLD", DEFAULT_THRESHOLD))
    return DEFAULT_THRESHOLD


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountTable:
    """Non-negative counts by row and column; the totals are the sums, so the table always adds up.

    `rows` and `columns` are any hashable keys (category codes, `Category` objects, organization
    ids). A table with one row or one column is a one-way breakdown: its single line total is the
    grand total and its other margin repeats the cells."""

    rows: tuple[Hashable, ...]
    columns: tuple[Hashable, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows))
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "counts", tuple(tuple(line) for line in self.counts))
        if not self.rows or not self.columns:
            raise ValueError("a table needs at least one row and one column")
        if len(set(self.rows)) != len(self.rows) or len(set(self.columns)) != len(self.columns):
            raise ValueError("row and column keys must be unique")
        if len(self.counts) != len(self.rows) or any(len(line) != len(self.columns) for line in self.counts):
            raise ValueError("counts must have one line per row and one value per column")
        for line in self.counts:
            for value in line:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"a count is a non-negative integer, not {value!r}")

    @classmethod
    def one_way(cls, keys: Iterable[Hashable], counts: Iterable[int], column: Hashable = None) -> CountTable:
        """A breakdown and its total, one row per key (a single column keyed `column`)."""
        return cls(tuple(keys), (column,), tuple((value,) for value in counts))

    @classmethod
    def from_mapping(
        cls, rows: Iterable[Hashable], columns: Iterable[Hashable], counts: Mapping[tuple[Any, Any], int]
    ) -> CountTable:
        """Build from `{(row, column): count}`; a missing pair is zero, a pair outside the keys is refused."""
        rows, columns = tuple(rows), tuple(columns)
        unknown = set(counts) - {(r, c) for r in rows for c in columns}
        if unknown:
            raise ValueError(f"counts for unknown rows or columns: {sorted(map(repr, unknown))}")
        return cls(rows, columns, tuple(tuple(counts.get((r, c), 0) for c in columns) for r in rows))

    @property
    def one_dimensional(self) -> bool:
        return len(self.rows) == 1 or len(self.columns) == 1

    @property
    def row_totals(self) -> tuple[int, ...]:
        return tuple(sum(line) for line in self.counts)

    @property
    def column_totals(self) -> tuple[int, ...]:
        return tuple(sum(line[j] for line in self.counts) for j in range(len(self.columns)))

    @property
    def grand_total(self) -> int:
        return sum(self.row_totals)


# -- the result --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One published figure: its value when shown, `None` when hidden (the true value never leaves
    `suppress`, so a template cannot print it by mistake)."""

    value: int | None
    status: Status
    threshold: int

    @property
    def hidden(self) -> bool:
        return self.status is not Status.SHOWN

    @property
    def marker(self) -> Any:
        """`< 5` for a small count, `x` for a count hidden to protect one, `None` when shown."""
        if self.status is Status.PRIMARY:
            return _l("< %(threshold)d", threshold=self.threshold)
        if self.status is Status.SECONDARY:
            return _l("x")
        return None

    @property
    def display(self) -> int | Any:
        """The number (templates format it the Quebec way) or the marker."""
        return self.value if self.status is Status.SHOWN else self.marker

    @property
    def csv_value(self) -> str:
        """Plain digits or the marker, for exported files."""
        return str(self.value) if self.status is Status.SHOWN else str(self.marker)


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the published table: its key, its cells and its total."""

    key: Hashable
    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class SuppressedTable:
    """What may be published of a `CountTable`: every figure with its status, and the footnotes."""

    rows: tuple[Hashable, ...]
    columns: tuple[Hashable, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    grand_total: Cell
    threshold: int
    _all: tuple[Cell, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        every = [c for line in self.cells for c in line]
        every += [*self.row_totals, *self.column_totals, self.grand_total]
        object.__setattr__(self, "_all", tuple(every))

    @property
    def one_dimensional(self) -> bool:
        return len(self.rows) == 1 or len(self.columns) == 1

    @property
    def body(self) -> tuple[Line, ...]:
        return tuple(
            Line(key, cells, total)
            for key, cells, total in zip(self.rows, self.cells, self.row_totals, strict=True)
        )

    def cell(self, row: Hashable, column: Hashable) -> Cell:
        return self.cells[self.rows.index(row)][self.columns.index(column)]

    @property
    def has_primary(self) -> bool:
        return any(c.status is Status.PRIMARY for c in self._all)

    @property
    def has_secondary(self) -> bool:
        return any(c.status is Status.SECONDARY for c in self._all)

    @property
    def footnotes(self) -> list[Any]:
        """The notes to print under the table: one per marker it uses."""
        notes = []
        if self.has_primary:
            notes.append(
                _l(
                    "< %(threshold)d : petit nombre (moins de %(threshold)d), masqué pour protéger "
                    "la confidentialité des personnes.",
                    threshold=self.threshold,
                )
            )
        if self.has_secondary:
            notes.append(_l("x : masqué pour protéger une petite valeur."))
        return notes

    def csv_rows(
        self, corner: Any = "", *, label: Callable[[Hashable], Any] | None = None, total: Any = None
    ) -> list[list[str]]:
        """The table as CSV lines (header, one line per row, the totals line), markers included.

        A one-way table has no separate totals column (a single column) or totals line (a single
        row), since they would repeat the cells."""
        label = label or _key_text
        total_label = str(total if total is not None else _l("Total"))
        single_row, single_column = len(self.rows) == 1, len(self.columns) == 1
        header = [str(corner), *(str(label(c)) for c in self.columns)]
        if not single_column:
            header.append(total_label)
        lines = [header]
        for line in self.body:
            values = [str(label(line.key)), *(c.csv_value for c in line.cells)]
            if not single_column:
                values.append(line.total.csv_value)
            lines.append(values)
        if not single_row:
            totals = [total_label, *(c.csv_value for c in self.column_totals)]
            if not single_column:
                totals.append(self.grand_total.csv_value)
            lines.append(totals)
        return lines


def _key_text(key: Hashable) -> str:
    """A key's text in a CSV: its `label` when it has one (a `Category`), else itself; `None` is blank."""
    if key is None:
        return ""
    return str(getattr(key, "label", key))


# -- the rule ----------------------------------------------------------------------------------


@dataclass
class _Structure:
    """The table as a graph: one quantity per distinct published figure, each an edge between the
    two lines it adds into (`None` for the lone figure of a 1 × 1 table, which nothing else gives)."""

    values: list[int]
    edges: list[tuple[int, int] | None]
    ranks: list[int]  # 0 a cell, 1 a line total, 4 the grand total: what a tie gives up last
    cell_of: list[list[int]]  # [row][column] -> quantity
    row_total_of: list[int]
    column_total_of: list[int]
    grand_total_of: int
    everything: dict[int, list[tuple[int, int]]] | None = None  # the graph of all figures, made once

    def full_graph(self) -> dict[int, list[tuple[int, int]]]:
        if self.everything is None:
            self.everything = _adjacency(self.edges, range(len(self.values)))
        return self.everything


def _structure(table: CountTable) -> _Structure:
    n_rows, n_columns = len(table.rows), len(table.columns)
    if n_rows == 1 and n_columns == 1:
        return _Structure([table.counts[0][0]], [None], [GRAND_TOTAL_RANK], [[0]], [0], [0], 0)
    if n_columns == 1 or n_rows == 1:
        # One-way: vertex 0 is the line, vertex 1 its other side; every count and the total join them.
        flat = [line[0] for line in table.counts] if n_columns == 1 else list(table.counts[0])
        k = len(flat)
        values = [*flat, sum(flat)]
        edges: list[tuple[int, int] | None] = [(0, 1)] * (k + 1)
        ranks = [0] * k + [GRAND_TOTAL_RANK]
        if n_columns == 1:
            return _Structure(values, edges, ranks, [[i] for i in range(k)], list(range(k)), [k], k)
        return _Structure(values, edges, ranks, [list(range(k))], [k], list(range(k)), k)
    # Two-way: rows 0..R-1 and the totals line R are vertices 0..R; columns and the totals column
    # are vertices R+1..R+1+C. Quantity (a, b) of the augmented table is the edge (a, R + 1 + b).
    values, edges, ranks = [], [], []
    row_totals, column_totals = table.row_totals, table.column_totals
    augmented = [[*line, row_totals[i]] for i, line in enumerate(table.counts)]
    augmented.append([*column_totals, table.grand_total])
    for a, line in enumerate(augmented):
        for b, value in enumerate(line):
            values.append(value)
            edges.append((a, n_rows + 1 + b))
            ranks.append(
                (a == n_rows) + (b == n_columns) if (a, b) != (n_rows, n_columns) else GRAND_TOTAL_RANK
            )
    width = n_columns + 1

    def index(a: int, b: int) -> int:
        return a * width + b

    return _Structure(
        values,
        edges,
        ranks,
        [[index(i, j) for j in range(n_columns)] for i in range(n_rows)],
        [index(i, n_columns) for i in range(n_rows)],
        [index(n_rows, j) for j in range(n_columns)],
        index(n_rows, n_columns),
    )


def _adjacency(
    edges: Sequence[tuple[int, int] | None], members: Iterable[int]
) -> dict[int, list[tuple[int, int]]]:
    graph: dict[int, list[tuple[int, int]]] = {}
    for q in members:
        edge = edges[q]
        if edge is None:
            continue
        u, v = edge
        graph.setdefault(u, []).append((q, v))
        graph.setdefault(v, []).append((q, u))
    return graph


def _is_bridge(
    q: int, edges: Sequence[tuple[int, int] | None], graph: dict[int, list[tuple[int, int]]]
) -> bool:
    """Whether hidden quantity `q` could be recomputed: no other path of hidden counts joins its ends."""
    edge = edges[q]
    if edge is None:
        return False
    start, goal = edge
    seen, stack = {start}, [start]
    while stack:
        vertex = stack.pop()
        for other_q, other in graph.get(vertex, ()):
            if other_q == q or other in seen:
                continue
            if other == goal:
                return False
            seen.add(other)
            stack.append(other)
    return True


def _bridges(edges: Sequence[tuple[int, int] | None], hidden: set[int]) -> set[int]:
    """Every hidden quantity that is a bridge of the graph of hidden counts, in one depth-first
    pass (Tarjan's low-link; parallel edges told apart by their quantity): what `_is_bridge` says
    of each, in linear time instead of one search per count (a 300 × 5 table is 1 800 counts)."""
    graph = _adjacency(edges, hidden)
    discovered: dict[int, int] = {}
    low: dict[int, int] = {}
    found: set[int] = set()
    clock = 0
    for root in graph:
        if root in discovered:
            continue
        discovered[root] = low[root] = clock
        clock += 1
        stack: list[tuple[int, int | None, Iterator[tuple[int, int]]]] = [(root, None, iter(graph[root]))]
        while stack:
            vertex, via, neighbours = stack[-1]
            for q, other in neighbours:
                if q == via:
                    continue
                if other in discovered:
                    low[vertex] = min(low[vertex], discovered[other])
                else:
                    discovered[other] = low[other] = clock
                    clock += 1
                    stack.append((other, q, iter(graph[other])))
                    break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > discovered[parent]:
                        found.add(via)  # type: ignore[arg-type]
    return found


def _first_bridge(hidden: set[int], structure: _Structure, order: Sequence[int]) -> int | None:
    bridges = _bridges(structure.edges, hidden)
    for q in order:
        if q in hidden and q in bridges:
            return q
    return None


def _cheapest_cycle(q: int, hidden: set[int], structure: _Structure, cost: Cost) -> list[int]:
    """The counts to hide so that `q` closes a cycle: the cheapest path between its two lines."""
    start, goal = structure.edges[q]  # type: ignore[misc]
    graph = structure.full_graph()
    best: dict[int, tuple[int, int, int]] = {start: (0, 0, 0)}
    came_from: dict[int, tuple[int, int]] = {}
    heap: list[tuple[tuple[int, int, int], int]] = [((0, 0, 0), start)]
    while heap:
        distance, vertex = heapq.heappop(heap)
        if vertex == goal:
            break
        if distance > best[vertex]:
            continue
        for other_q, other in graph.get(vertex, ()):
            if other_q == q:
                continue
            if other_q in hidden:
                step = (0, 0, 0)
            elif structure.values[other_q] <= 0:
                continue  # a zero is never hidden
            else:
                value, rank = structure.values[other_q], structure.ranks[other_q]
                step = (value, rank, 1) if cost is Cost.VALUE else (1, value, rank)
            candidate = (distance[0] + step[0], distance[1] + step[1], distance[2] + step[2])
            if other not in best or candidate < best[other]:
                best[other] = candidate
                came_from[other] = (vertex, other_q)
                heapq.heappush(heap, (candidate, other))
    if goal not in came_from:  # pragma: no cover - a positive count always has its margins to pair with
        raise RuntimeError("no way to protect a hidden count")
    path, vertex = [], goal
    while vertex != start:
        vertex, used = came_from[vertex]
        path.append(used)
    return [p for p in path if p not in hidden]


def suppress(table: CountTable, threshold: int | None = None, *, cost: Cost = Cost.VALUE) -> SuppressedTable:
    """Hide the small counts of `table` (primary) and enough others (secondary) that none can be
    recomputed from the published figures; see the module docstring for the rule and the heuristic.

    `threshold` defaults to the `SUPPRESSION_THRESHOLD` setting: counts from 1 to `threshold − 1`
    are small; zero never is."""
    if threshold is None:
        threshold = configured_threshold()
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"the suppression threshold is a positive integer, not {threshold!r}")
    cost = Cost(cost)
    structure = _structure(table)
    values = structure.values
    primary = {q for q, value in enumerate(values) if 0 < value < threshold}
    hidden = set(primary)
    # Most sensitive first (smallest counts), then reading order: deterministic.
    order = sorted(range(len(values)), key=lambda q: (values[q], q))
    while (bridge := _first_bridge(hidden, structure, order)) is not None:
        hidden.update(_cheapest_cycle(bridge, hidden, structure, cost))
    # Give back every secondary count that turned out not to be needed, largest first.
    for q in sorted(hidden - primary, key=lambda q: (-values[q], -q)):
        trial = hidden - {q}
        if _first_bridge(trial, structure, order) is None:
            hidden = trial
    return _publish(table, structure, primary, hidden, threshold)


def reveal(table: CountTable, threshold: int | None = None) -> SuppressedTable:
    """Every count shown: an organization reading its own report sees its own counts."""
    structure = _structure(table)
    return _publish(table, structure, set(), set(), threshold or configured_threshold())


def _publish(
    table: CountTable, structure: _Structure, primary: set[int], hidden: set[int], threshold: int
) -> SuppressedTable:
    cells = []
    for q, value in enumerate(structure.values):
        if q in primary:
            cells.append(Cell(None, Status.PRIMARY, threshold))
        elif q in hidden:
            cells.append(Cell(None, Status.SECONDARY, threshold))
        else:
            cells.append(Cell(value, Status.SHOWN, threshold))
    return SuppressedTable(
        rows=table.rows,
        columns=table.columns,
        cells=tuple(tuple(cells[q] for q in line) for line in structure.cell_of),
        row_totals=tuple(cells[q] for q in structure.row_total_of),
        column_totals=tuple(cells[q] for q in structure.column_total_of),
        grand_total=cells[structure.grand_total_of],
        threshold=threshold,
    )
