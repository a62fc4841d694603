"""Duplicated funding: two lines paying the same organization for the same purpose at once.

A pair is suspected when the two lines name the same organization (see `entities`), come from
different sources (another ministry or another program), have periods that overlap, and describe
the same purpose: title and description, French or English, brought to shared word stems (a small
bilingual lexicon of the field, then the first letters of each word) and compared with the Dice
coefficient of their stem sets. The lines of one organization are first gathered into projects
(average-linkage clustering on that similarity), so that two lines of one project meet through the
project's other lines even when their own words differ. A renewal by the same funder in the next
fiscal year is not a duplicate. Everything runs on arrays: pairs are only formed inside an
organization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from grants.coordination.entities import (
    Decision,
    Reason,
    Resolution,
    describe,
    reason_of,
    resolve,
)
from grants.coordination.names import fold
from grants.coordination.records import FundingRecord
from grants.coordination.thesaurus import purpose_words, stem

PURPOSE_THRESHOLD = 0.27  # weighted Dice of the purposes (tuned on the benchmark seed 7, reported on seed 1)
MIN_LINES_FOR_SHARE = 500  # below, stems are not weighted by how many lines share them
MAX_WEIGHT = 20
# A stem's weight: WEIGHT_SLOPE × (log(lines / lines with it) − 1), so one that more than a line in e
# (37 %) shares counts for nothing (`victime`, `jeune`), a rare one up to MAX_WEIGHT (tuned on seed 7).
WEIGHT_SLOPE = 3
MAX_PROJECT_LINES = 200  # an organization of more lines is not clustered into projects (cost grows as n³)
TITLE_WEIGHT = 0.8  # the same title alone is good evidence, a little less than the whole text
DAYS_PER_MONTH = 30.4375
SETTLE_MARGIN = 0.1  # a line's project must fit one organization this much better than any other
SETTLE_GAP_DAYS = 400  # a project's lines: at the same time, or the year before or after


class Stems:
    """Stems as characters: a purpose becomes a short string of distinct stems in sorted order,
    so that Indel similarity between two of them is the Dice coefficient of their stem sets."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}

    def char(self, stem: str) -> str:
        n = self.number.get(stem)
        if n is None:
            n = self.number[stem] = len(self.number)
        code = 0x100 + n
        if code >= 0xD800:  # skip the surrogates
            code += 0x800
        return chr(code)

    def encode(self, text: str, keep_all: bool = False) -> str:
        folded = fold(text)
        words = folded.split() if keep_all else purpose_words(folded)
        return "".join(sorted({self.char(stem(word)) for word in words}))


def purpose_similarity(a: str, b: str) -> float:
    """Dice similarity of two texts' stems (French or English), between 0 and 1."""
    stems = Stems()
    return Indel.normalized_similarity(stems.encode(a), stems.encode(b))


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two funding lines (positions in the input) suspected of paying for the same thing twice."""

    a: int
    b: int
    score: float
    purpose: float  # similarity of the purposes (the lines' own, or their projects' average if higher)
    overlap_days: int
    organization_score: float
    organization_reasons: Reason

    def explanation(self, language: str = "fr") -> str:
        """`même NEQ ; périodes qui se chevauchent sur 9 mois ; descriptions semblables à 0,82`."""
        english = language == "en"
        parts = [describe(self.organization_reasons, self.organization_score, language)]
        months = round(self.overlap_days / DAYS_PER_MONTH)
        if months >= 1:
            period = (
                f"overlapping periods for {months} month{'s' if months > 1 else ''}"
                if english
                else (f"périodes qui se chevauchent sur {months} mois")
            )
        else:
            days = self.overlap_days
            period = (
                f"overlapping periods for {days} day{'s' if days > 1 else ''}"
                if english
                else (f"périodes qui se chevauchent sur {days} jour{'s' if days > 1 else ''}")
            )
        parts.append(period)
        number = f"{self.purpose:.2f}"
        parts.append(
            f"descriptions similar at {number}"
            if english
            else f"descriptions semblables à {number.replace('.', ',')}"
        )
        return ("; " if english else " ; ").join(parts)


@dataclass
class FundingTable:
    """The columns of funding lines the matching needs (the records themselves are not kept)."""

    record_ids: list[str]
    names: list[str]
    neqs: list[str | None]
    cities: list[str]
    regions: list[str | None]
    source: np.ndarray  # number of (ministry, program)
    funder: np.ndarray  # number of the ministry
    start: np.ndarray  # date ordinals
    end: np.ndarray
    fiscal: np.ndarray  # start year of the fiscal year
    purpose: np.ndarray  # number of the distinct purpose text
    purposes: list[str]  # encoded stems of each distinct purpose
    title: np.ndarray  # number of the distinct title
    titles: list[str]  # encoded stems of each distinct title
    place_stems: set[int]  # the stems of the towns named in the lines

    @classmethod
    def build(cls, records: Iterable[FundingRecord]) -> FundingTable:
        """Columns at C speed: the records are transposed once, then each column is mapped."""
        rows = records if isinstance(records, list) else list(records)
        columns = [list(map(itemgetter(k), rows)) for k in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12)]
        del rows
        (record_ids, ministries, programs, names, neqs, cities, regions, titles, descriptions) = columns[:9]
        starts, ends, fiscal_years = columns[9:]
        del columns
        # few distinct ministries and programs: each is folded once
        folded = {text: text.casefold() for text in {*ministries, *programs}}
        folded_ministries = list(map(folded.__getitem__, ministries))
        sources: dict[tuple[str, str], int] = {}
        source = [
            sources.setdefault(key, len(sources))
            for key in zip(folded_ministries, map(folded.__getitem__, programs), strict=True)
        ]
        funders: dict[str, int] = {}
        funder = [funders.setdefault(m, len(funders)) for m in folded_ministries]
        stems = Stems()
        purpose_index: dict[str, int] = {}
        encoded: list[str] = []
        purpose = []
        for text in map("{} {}".format, titles, descriptions):
            number = purpose_index.get(text)
            if number is None:
                number = purpose_index[text] = len(encoded)
                encoded.append(stems.encode(text))
            purpose.append(number)
        title_index: dict[str, int] = {}
        encoded_titles: list[str] = []
        title = []
        for text in titles:
            number = title_index.get(text)
            if number is None:
                number = title_index[text] = len(encoded_titles)
                encoded_titles.append(stems.encode(text))
            title.append(number)
        towns = set(cities)
        return cls(
            record_ids=list(record_ids),
            names=list(names),
            neqs=list(neqs),
            cities=list(cities),
            regions=list(regions),
            source=np.asarray(source, dtype=np.int32),
            funder=np.asarray(funder, dtype=np.int32),
            start=np.fromiter(map(date.toordinal, starts), dtype=np.int64, count=len(starts)),
            end=np.fromiter(map(date.toordinal, ends), dtype=np.int64, count=len(ends)),
            fiscal=np.fromiter((f.start_year for f in fiscal_years), dtype=np.int32, count=len(fiscal_years)),
            purpose=np.asarray(purpose, dtype=np.int64),
            purposes=encoded,
            title=np.asarray(title, dtype=np.int64),
            titles=encoded_titles,
            place_stems={ord(c) for c in stems.encode(" ".join(towns), keep_all=True)},
        )

    def __len__(self) -> int:
        return len(self.record_ids)


def _pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i before j, of positions sharing a group number, without a Python loop."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    boundaries = np.flatnonzero(np.diff(sorted_groups)) + 1
    starts = np.concatenate([[0], boundaries])
    sizes = np.diff(np.concatenate([starts, [len(groups)]]))
    group_start = np.repeat(starts, sizes)  # start of each position's group
    position = np.arange(len(groups))
    partners = (group_start + np.repeat(sizes, sizes)) - position - 1  # later members of its group
    total = int(partners.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.repeat(position, partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + (np.arange(total) - run_start)
    return order[first], order[second]


def duplicate_arrays(
    table: FundingTable, entity_of_record: np.ndarray, threshold: float = PURPOSE_THRESHOLD
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Suspected pairs as arrays (first, second, score, purpose similarity, days of overlap),
    first < second, strongest first; any grouping of the records into organizations will do.

    The lines of each organization are first gathered into projects: average-linkage clustering
    on the purpose similarity, stopped when the closest two groups of lines are less alike than
    `threshold` on average. A pair is two lines of one project from different sources whose periods
    overlap, not a renewal by the same funder the next fiscal year. Its purpose similarity is the
    higher of the two lines' own and the average similarity of the groups of lines that joined
    them (so a ministry's own summary of a project meets the project through its other lines)."""
    entity = np.asarray(entity_of_record, dtype=np.int64)
    a, b = _pairs_within(entity)
    overlap = np.minimum(table.end[a], table.end[b]) - np.maximum(table.start[a], table.start[b]) + 1
    renewal = (table.funder[a] == table.funder[b]) & (np.abs(table.fiscal[a] - table.fiscal[b]) == 1)
    possible = (table.source[a] != table.source[b]) & (overlap > 0) & ~renewal
    # Only the organizations with a possible pair matter: their pairs, and no others, are compared.
    group = entity[a]
    if len(a):
        starts = np.concatenate(([0], np.flatnonzero(np.diff(group)) + 1))
        counts = np.diff(np.concatenate((starts, [len(a)])))
        wanted = np.repeat(np.add.reduceat(possible.astype(np.int64), starts) > 0, counts)
        a, b, overlap, possible, group = (
            a[wanted],
            b[wanted],
            overlap[wanted],
            possible[wanted],
            group[wanted],
        )
    similarity = _purpose_similarity(table, a, b)
    joined = _projects(group, a, b, similarity, possible, threshold)
    keep = possible & (joined >= threshold)
    a, b, overlap = a[keep], b[keep], overlap[keep]
    similarity = np.maximum(similarity[keep], joined[keep])
    a, b = np.minimum(a, b), np.maximum(a, b)
    shorter = np.minimum(table.end[a] - table.start[a], table.end[b] - table.start[b]) + 1
    score = np.round(0.7 * similarity + 0.3 * np.minimum(overlap / shorter, 1.0), 3)
    order = np.lexsort((b, a, -score))
    return a[order], b[order], score[order], similarity[order], overlap[order]


def _purpose_similarity(table: FundingTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weighted Dice of the purposes of lines a and b (or of their titles alone, a little less)."""
    if not len(a):
        return np.empty(0)
    weights = _weights(table)
    purposes = np.asarray([text.translate(weights) for text in table.purposes], dtype=object)
    similarity = process.cpdist(
        purposes[table.purpose[a]], purposes[table.purpose[b]], scorer=Indel.normalized_similarity, workers=-1
    ).astype(np.float64)
    titles = np.asarray([text.translate(weights) for text in table.titles], dtype=object)
    by_title = process.cpdist(
        titles[table.title[a]], titles[table.title[b]], scorer=Indel.normalized_similarity, workers=-1
    )
    similarity = np.maximum(similarity, by_title * TITLE_WEIGHT)
    return np.where(table.purpose[a] == table.purpose[b], 1.0, similarity)


def _projects(
    group: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    similarity: np.ndarray,
    possible: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """For each pair (a, b) of lines of one organization (pairs of one organization contiguous),
    the average similarity at which average-linkage clustering put them in one project, or −1.
    Only organizations with a possible pair (different sources, overlapping periods) are
    clustered; one of two lines has one pair, whose own similarity decides; one of more than
    MAX_PROJECT_LINES lines (a merge gone wrong, most likely) keeps the pairs' own similarities."""
    joined = np.where(similarity >= threshold, similarity, -1.0)
    if not len(a):
        return joined
    bounds = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(group)]))
    pairs = ends - starts
    worth = (pairs > 1) & (pairs <= MAX_PROJECT_LINES * (MAX_PROJECT_LINES - 1) // 2)
    worth &= np.add.reduceat(possible, starts) > 0
    for start, end in zip(starts[worth].tolist(), ends[worth].tolist(), strict=True):
        _cluster(
            a[start:end].tolist(),
            b[start:end].tolist(),
            similarity[start:end].tolist(),
            threshold,
            joined,
            start,
        )
    return joined


def _cluster(
    a: list[int], b: list[int], similarity: list[float], threshold: float, joined: np.ndarray, offset: int
) -> None:
    """Average-linkage clustering of one organization's lines (every pair of them given once);
    writes in `joined` the average similarity at which each pair's two lines came together."""
    members = sorted(set(a) | set(b))
    local = {m: k for k, m in enumerate(members)}
    count = len(members)
    total = [[0.0] * count for _ in range(count)]  # summed similarities between two groups
    position_of = [[0] * count for _ in range(count)]
    for position, (x, y, value) in enumerate(zip(a, b, similarity, strict=True)):
        i, j = local[x], local[y]
        total[i][j] = total[j][i] = value
        position_of[i][j] = position_of[j][i] = position
    size = [1] * count
    lines: list[list[int]] = [[k] for k in range(count)]
    active = list(range(count))
    level = [-1.0] * len(a)
    while len(active) > 1:
        best, keep, gone = threshold, -1, -1
        for n, i in enumerate(active):
            row, size_i = total[i], size[i]
            for j in active[n + 1 :]:
                average = row[j] / (size_i * size[j])
                if average >= best:
                    best, keep, gone = average, i, j
        if keep < 0:
            break
        for x in lines[keep]:
            for y in lines[gone]:
                level[position_of[x][y]] = best
        row_keep, row_gone = total[keep], total[gone]
        for k in active:
            if k != keep and k != gone:
                row_keep[k] = total[k][keep] = row_keep[k] + row_gone[k]
        size[keep] += size[gone]
        lines[keep].extend(lines[gone])
        active.remove(gone)
    joined[offset : offset + len(a)] = level


def settle_by_project(
    table: FundingTable, resolution: Resolution, threshold: float = PURPOSE_THRESHOLD
) -> Resolution:
    """Place, line by line, the lines whose recipient fits several organizations alike (a name
    without a town met in several towns of its region, a short form of several names): a line goes
    to the organization already funded for the same project (its purpose at least `threshold`
    alike, at the same time or the year before or after), when that organization is clearly the
    one (SETTLE_MARGIN better than any other it fits). A line no project places stays where its
    name put it. Only the first `len(table)` records are funding lines; the others never move."""
    count = len(table)
    moved = np.zeros(len(resolution.entity_of_record), dtype=bool)
    if not resolution.ambiguous or not count:
        return dataclasses.replace(resolution, by_project=moved)
    entity = resolution.entity_of_record.astype(np.int64)
    mention = resolution.mention_of_record[:count]
    rivals_of = dict(resolution.ambiguous)
    lines = np.flatnonzero(np.isin(mention, np.fromiter(rivals_of, dtype=np.int64)))
    order = np.argsort(entity[:count], kind="stable")
    bounds = np.searchsorted(entity[:count][order], np.arange(resolution.entity_count + 1))
    line_at, other_line, rival = [], [], []
    for line in lines.tolist():
        for organization in rivals_of[int(mention[line])]:
            members = order[bounds[organization] : bounds[organization + 1]]
            line_at.append(np.full(len(members), line))
            other_line.append(members)
            rival.append(np.full(len(members), organization))
    if not line_at:
        return dataclasses.replace(resolution, by_project=moved)
    x, y, candidate = np.concatenate(line_at), np.concatenate(other_line), np.concatenate(rival)
    gap = np.maximum(table.start[x], table.start[y]) - np.minimum(table.end[x], table.end[y])
    near = gap <= SETTLE_GAP_DAYS
    x, y, candidate = x[near], y[near], candidate[near]
    if not len(x):
        return dataclasses.replace(resolution, by_project=moved)
    similarity = _purpose_similarity(table, x, y)
    # the best similarity of each (line, organization), then each line's best and runner-up
    key = np.unique(np.stack([x, candidate]), axis=1, return_inverse=True)
    pairs, which = key[0], key[1].reshape(-1)
    best = np.full(pairs.shape[1], -1.0)
    np.maximum.at(best, which, similarity)
    by_line = np.lexsort((-best, pairs[0]))
    pairs, best = pairs[:, by_line], best[by_line]
    first = np.concatenate(([True], pairs[0, 1:] != pairs[0, :-1]))
    starts = np.flatnonzero(first)
    runner_up = np.full(len(starts), -1.0)
    has_second = np.append(starts[1:], pairs.shape[1]) - starts > 1
    runner_up[has_second] = best[starts[has_second] + 1]
    placed = (best[starts] >= threshold) & (best[starts] - runner_up >= SETTLE_MARGIN)
    placed_lines, placed_to = pairs[0, starts[placed]], pairs[1, starts[placed]]
    entity[placed_lines] = placed_to
    moved[placed_lines] = True
    # numbers again in the order records first name them (a group its lines all left is gone)
    _, first_seen, inverse = np.unique(entity, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    return dataclasses.replace(
        resolution,
        entity_of_record=rank[inverse.reshape(-1)].astype(np.int32),
        entity_count=len(first_seen),
        by_project=moved,
    )


def find_duplicates(
    table: FundingTable, resolution: Resolution, threshold: float = PURPOSE_THRESHOLD
) -> list[DuplicatePair]:
    """The suspected pairs, each once, strongest first, with what explains them."""
    a, b, score, similarity, overlap = duplicate_arrays(table, resolution.entity_of_record, threshold)
    org_score, org_reasons = record_links(resolution, a, b)
    return [
        DuplicatePair(x, y, s, p, o, os, reason_of(r))
        for x, y, s, p, o, os, r in zip(
            a.tolist(),
            b.tolist(),
            score.tolist(),
            similarity.tolist(),
            overlap.tolist(),
            org_score.tolist(),
            org_reasons.tolist(),
            strict=True,
        )
    ]


def record_links(resolution: Resolution, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`Resolution.record_link` for many pairs of records at once: score and reason flags."""
    ma, mb = resolution.mention_of_record[a], resolution.mention_of_record[b]
    involved = np.unique(np.concatenate([ma, mb]))
    names = np.empty(len(resolution.mention_names), dtype=object)
    names[involved] = [resolution.mention_names[m] for m in involved.tolist()]
    words = np.empty(len(names), dtype=object)
    words[involved] = [" ".join(sorted(names[m].split())) for m in involved.tolist()]
    neqs = np.empty(len(names), dtype=object)
    neqs[involved] = [resolution.mention_neqs[m] for m in involved.tolist()]
    cities = np.empty(len(names), dtype=object)
    cities[involved] = [resolution.mention_cities[m] for m in involved.tolist()]
    if len(a):
        score = np.maximum(
            process.cpdist(names[ma], names[mb], scorer=Indel.normalized_similarity, workers=-1),
            process.cpdist(words[ma], words[mb], scorer=Indel.normalized_similarity, workers=-1),
        )
    else:
        score = np.empty(0)
    score = np.where(names[ma] == names[mb], 1.0, score)
    same_name = score == 1.0
    same_neq = (neqs[ma] == neqs[mb]) & (neqs[ma] != "")
    score = np.where(same_neq, 1.0, score)
    reasons = np.where(same_name, int(Reason.SAME_NAME), int(Reason.SIMILAR_NAME))
    reasons |= np.where(same_neq, int(Reason.SAME_NEQ), 0)
    reasons |= np.where((cities[ma] == cities[mb]) & (cities[ma] != ""), int(Reason.SAME_CITY), 0)
    if resolution.by_project is not None:
        placed = resolution.by_project[a] | resolution.by_project[b]
        reasons |= np.where(placed, int(Reason.SAME_PROJECT), 0)
    return score.astype(np.float64), reasons.astype(np.int64)


def _weights(table: FundingTable) -> dict[int, str | None]:
    """Each stem repeated by its weight, so that Indel similarity becomes a weighted Dice: a stem
    few lines share (`theatre`, `dependance`) counts more than one most lines share (`jeune`),
    and the words of the towns, which say where and not what, count for nothing."""
    count = len(table)
    uses = np.bincount(table.purpose, minlength=len(table.purposes))
    lengths = np.fromiter(map(len, table.purposes), dtype=np.int64, count=len(table.purposes))
    codes = np.frombuffer("".join(table.purposes).encode("utf-32-le"), dtype=np.uint32)
    lines_with = np.bincount(codes, weights=np.repeat(uses, lengths)) if len(codes) else np.zeros(0)
    present = np.flatnonzero(lines_with)
    if count >= MIN_LINES_FOR_SHARE:
        rarity = np.log(count / lines_with[present])
        weights = np.clip(np.rint(WEIGHT_SLOPE * (rarity - 1)), 0, MAX_WEIGHT).astype(int)
    else:  # too few lines to tell common from rare: every stem counts the same
        weights = np.full(len(present), 2, dtype=int)
    table_map: dict[int, str | None] = {
        int(code): chr(int(code)) * int(weight) if weight else None
        for code, weight in zip(present.tolist(), weights.tolist(), strict=True)
    }
    for code in table.place_stems:
        table_map[code] = None
    return table_map


@dataclass
class Analysis:
    """Organizations and duplicated-funding pairs of one set of funding lines."""

    table: FundingTable
    resolution: Resolution
    pairs: list[DuplicatePair]

    def entity_rows(self) -> Iterator[tuple[str, int]]:
        for record_id, entity in zip(
            self.table.record_ids, self.resolution.entity_of_record.tolist(), strict=True
        ):
            yield record_id, entity + 1

    def pair_rows(self) -> Iterator[tuple[str, str, float]]:
        ids = self.table.record_ids
        for pair in self.pairs:
            yield ids[pair.a], ids[pair.b], pair.score


def analyse(
    records: Iterable[FundingRecord],
    decisions: Sequence[Decision] = (),
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """The whole matching: organizations, then duplicated-funding pairs (what the command and the
    pages both call)."""
    say = progress or (lambda message: None)
    table = FundingTable.build(records)
    say(f"organismes / organizations: {len(table):,} lignes / lines")
    resolution = settle_by_project(
        table, resolve(table.names, table.neqs, table.cities, table.regions, decisions)
    )
    say(f"paires / pairs: {resolution.entity_count:,} organismes / organizations")
    return Analysis(table, resolution, find_duplicates(table, resolution))
