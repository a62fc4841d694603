"""Which records are the same organization.

Each record names its recipient (name, NEQ, city, region). Records are first folded into
*mentions*: the distinct (normalized name, NEQ, city, region). Mentions are then linked:

* the same NEQ links them (score 1);
* otherwise names are compared, but only inside one town (or, for a record without a town, inside
  its region): candidates come from sorted neighbourhoods of the normalized name, of its words
  sorted, of its initials, of the name read backwards and, once per distinctive word, of the names
  sharing that word; they are scored with rapidfuzz's Indel similarity (the normalized LCS ratio)
  in parallel, and the same letters bar one slip once spaces are ignored count as a typo.

Links are applied from the strongest down in a union-find that refuses three things: a group with
two different NEQs, a name link between groups that have no town in common, and a pair the cell
split. Pairs the cell confirmed are joined first; weak links (a record without a town, a short
form, an acronym) last, each to the group it fits clearly best. No Python loop runs over pairs of
records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntFlag
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from grants.coordination.names import KIND_WORDS, STOPWORDS, normalize_city, normalize_name

SAME_TOWN_THRESHOLD = 0.88  # name similarity that links two mentions in the same town
NO_TOWN_THRESHOLD = 0.93  # when one side has no town: same region and a closer name
ACRONYM_THRESHOLD = 0.86  # initials against an acronym, same town
SHORT_FORM_WORDS = 3  # a short form (`La Passerelle`, `Le Pignon Bleu`) has at most this many words
SHORT_WORD_SIMILARITY = 0.81  # `jeune` / `jeunese`, but not `ouest` / `est` nor `havre` / `phare`
KIND_TYPO_SLIPS = 2  # a word of the kind typed with two slips is still that word
KIND_TYPO_LETTERS = 5
DIFF_SIMILARITY = 0.7  # a word only one of two names has needs a spelling this close on the other side
# Neighbours looked at in each sorted order: the name, its words sorted, its initials, backwards.
WINDOWS = (3, 3, 2, 2)
# Then once per distinctive word (not a word of the kind, 3 letters or more), names that have that
# word sorted by the whole name: a typo elsewhere in the name no longer sends it far away.
WORD_WINDOW = 3
TOWN_TYPO_SAME_REGION = 0.8  # `Mscouche` is `Mascouche` in Lanaudière
TOWN_TYPO_ANY_REGION = 0.9
MIN_SHORT_TOWN = 4  # letters of a town key below which no typo is looked for (`Mag` stays)
SHORT_TOWN_CUTOFF = 0.7  # Indel similarity of one slip in 4 letters (`almr` / `alma`: 0.75)
SHORT_TOWN_RATIO = 5  # a short town's typo: the spelling it joins is named 5 times as often
TWO_SLIP_TOWN_CUTOFF = 0.6  # Indel similarity of two slips in 6 letters (`grasyb` / `granby`: 0.67)
SLIP_FLOOR = 0.7  # one slip in the letters leaves the names at least this alike
MIN_COMPACT = 12  # letters a name needs before one slip in it is taken for a typo (`Le Nid` / `Le Nod`: no)
WEAK_ROUNDS = 3  # rounds of weak links, each counting the rivals left by the one before
SECOND_LOOK_CUTOFF = 0.85  # a mention alone in its town meets its town's grouped names this alike
SECOND_LOOK_CHUNK = 256  # mentions compared at once with their town's names (memory stays bounded)
WEAK_MARGIN = 0.03  # a weak link joins the best group only if the next group scores this much lower


class Reason(IntFlag):
    """Why two mentions were linked (several can hold)."""

    SAME_NEQ = 1
    SAME_NAME = 2  # identical once normalized
    SIMILAR_NAME = 4
    ACRONYM = 8
    SHORT_FORM = 16
    SAME_CITY = 32
    SAME_REGION = 64
    CONFIRMED = 128  # the cell said so
    SAME_PROJECT = 256  # a name that fits several organizations, placed by its project


# The flags as plain ints for the array code (IntFlag operations cost a Python call each).
(
    _SAME_NEQ,
    _SAME_NAME,
    _SIMILAR_NAME,
    _ACRONYM,
    _SHORT_FORM,
    _SAME_CITY,
    _SAME_REGION,
    _CONFIRMED,
    _SAME_PROJECT,
) = (int(flag) for flag in Reason)
_WEAK = _ACRONYM | _SHORT_FORM
_REASONS: dict[int, Reason] = {}


def reason_of(value: int) -> Reason:
    """The Reason for an int from the arrays (one object per distinct value)."""
    reason = _REASONS.get(value)
    if reason is None:
        reason = _REASONS[value] = Reason(value)
    return reason


REASON_TEXT = {
    Reason.SAME_NEQ: ("même NEQ", "same NEQ"),
    Reason.SAME_NAME: ("même nom", "same name"),
    Reason.SIMILAR_NAME: ("noms semblables à {score}", "names similar at {score}"),
    Reason.ACRONYM: ("sigle correspondant", "matching acronym"),
    Reason.SHORT_FORM: ("nom abrégé", "short form of the name"),
    Reason.SAME_CITY: ("même ville", "same town"),
    Reason.SAME_REGION: ("même région", "same region"),
    Reason.CONFIRMED: ("confirmé par la cellule", "confirmed by the cell"),
    Reason.SAME_PROJECT: ("même projet financé au même moment", "same project funded at the same time"),
}


def describe(reasons: Reason, score: float, language: str = "fr") -> str:
    """`même NEQ ; noms semblables à 0,93 ; même ville`."""
    texts = []
    for flag, (french, english) in REASON_TEXT.items():
        if reasons & flag:
            number = f"{score:.2f}"
            text = (
                english.format(score=number)
                if language == "en"
                else french.format(score=number.replace(".", ","))
            )
            texts.append(text)
    return " ; ".join(texts) if language != "en" else "; ".join(texts)


@dataclass(frozen=True, slots=True)
class PartyKey:
    """What identifies an organization as written in one source, stable from one import to the
    next: the cell's decisions are kept on these keys and reused by later imports."""

    name: str  # normalized name
    neq: str
    city: str  # normalized town

    @classmethod
    def of(cls, name: str, neq: str | None, city: str) -> PartyKey:
        return cls(normalize_name(name).key, neq or "", normalize_city(city or ""))


@dataclass(frozen=True, slots=True)
class Decision:
    """The cell's word on two parties: the same organization (`same=True`) or not."""

    a: PartyKey
    b: PartyKey
    same: bool


@dataclass(frozen=True, slots=True)
class Link:
    """Two mentions linked, with the score and the reasons."""

    a: int  # mention numbers
    b: int
    score: float
    reasons: Reason

    def explanation(self, language: str = "fr") -> str:
        return describe(self.reasons, self.score, language)


@dataclass
class Resolution:
    """The answer: an organization number per record, and the links that made the groups."""

    entity_of_record: np.ndarray  # int32, one per input record
    entity_count: int
    mention_of_record: np.ndarray
    mention_names: list[str]
    mention_neqs: list[str]
    mention_cities: list[str]
    _link_a: np.ndarray
    _link_b: np.ndarray
    _link_score: np.ndarray
    _link_reasons: np.ndarray
    # Mentions that fit several organizations alike (no town, a short form), each with the
    # organizations it fits: `duplicates.settle_by_project` places their lines one by one.
    ambiguous: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    # Records placed by their project, not by their name alone (`Reason.SAME_PROJECT`).
    by_project: np.ndarray | None = None

    def links(self) -> Iterator[Link]:
        """Every link applied (NEQ, names, confirmations), strongest first."""
        for a, b, score, reasons in zip(
            self._link_a.tolist(),
            self._link_b.tolist(),
            self._link_score.tolist(),
            self._link_reasons.tolist(),
            strict=True,
        ):
            yield Link(a, b, score, reason_of(reasons))

    def record_link(self, i: int, j: int) -> tuple[float, Reason]:
        """Why records i and j are the same organization, worked out for this one pair."""
        mi, mj = int(self.mention_of_record[i]), int(self.mention_of_record[j])
        score, reasons = mention_evidence(
            (self.mention_names[mi], self.mention_neqs[mi], self.mention_cities[mi]),
            (self.mention_names[mj], self.mention_neqs[mj], self.mention_cities[mj]),
        )
        if self.by_project is not None and (self.by_project[i] or self.by_project[j]):
            reasons |= Reason.SAME_PROJECT
        return score, reasons


def mention_evidence(a: tuple[str, str, str], b: tuple[str, str, str]) -> tuple[float, Reason]:
    """Score and reasons between two (normalized name, NEQ, town) triples."""
    reasons = Reason(0)
    if a[1] and a[1] == b[1]:
        reasons |= Reason.SAME_NEQ
    score = (
        1.0 if a[0] == b[0] else max(Indel.normalized_similarity(a[0], b[0]), _sorted_similarity(a[0], b[0]))
    )
    reasons |= Reason.SAME_NAME if score == 1.0 else Reason.SIMILAR_NAME
    if a[2] and a[2] == b[2]:
        reasons |= Reason.SAME_CITY
    if reasons & Reason.SAME_NEQ:
        score = 1.0
    return score, reasons


def _sorted_similarity(a: str, b: str) -> float:
    return Indel.normalized_similarity(" ".join(sorted(a.split())), " ".join(sorted(b.split())))


class _Groups:
    """Union-find over mentions that keeps, per group, its NEQ, its towns and the cell's splits.
    A group's towns are its root's town number (−1: none) until it gathers several: then a set."""

    def __init__(self, neqs: list[str], cities: list[int], regions: list[int]) -> None:
        count = len(neqs)
        self.parent = list(range(count))
        self.size = [1] * count
        self.neq = list(neqs)
        self.town = list(cities)
        self.more_towns: dict[int, set[int]] = {}
        self.split_tags: dict[int, set[tuple[int, int]]] = {}

    def towns(self, root: int) -> set[int]:
        more = self.more_towns.get(root)
        if more is not None:
            return more
        return {self.town[root]} if self.town[root] >= 0 else set()

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def can_join(self, ra: int, rb: int, by_name: bool) -> bool:
        if self.neq[ra] and self.neq[rb] and self.neq[ra] != self.neq[rb]:
            return False  # two different NEQs are two bodies, whatever the names say
        if by_name:
            ta, tb = self.town[ra], self.town[rb]
            if ta >= 0 and tb >= 0 and ta != tb:
                more_a, more_b = self.more_towns.get(ra), self.more_towns.get(rb)
                if more_a is None and more_b is None:
                    return False
                if not (self.towns(ra) & self.towns(rb)):
                    return False
        tags_a, tags_b = self.split_tags.get(ra), self.split_tags.get(rb)
        if tags_a and tags_b:
            for decision, side in tags_a:
                if (decision, 1 - side) in tags_b:
                    return False
        return True

    def join(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.neq[ra] = self.neq[ra] or self.neq[rb]
        ta, tb = self.town[ra], self.town[rb]
        if tb >= 0:
            if ta < 0:
                self.town[ra] = tb
                if rb in self.more_towns:
                    self.more_towns[ra] = self.more_towns.pop(rb)
            elif ta != tb or rb in self.more_towns or ra in self.more_towns:
                merged = self.towns(ra) | self.towns(rb)
                self.more_towns.pop(rb, None)
                if len(merged) > 1:
                    self.more_towns[ra] = merged
        tags = self.split_tags.pop(rb, None)
        if tags:
            self.split_tags.setdefault(ra, set()).update(tags)


def _canonical_towns(town_keys: list[str], town_regions: list[int], counts: list[int]) -> list[int]:
    """Number the towns, a misspelt town (`sherbrook`, `mscouche`) taking the number of the more
    frequent one it resembles: 80 % alike in the same region, 90 % when a region is unknown; at
    least 6 letters. A shorter one (`Lavl`, `Laeal`, `Almr`, `Maogg`) needs one slip at most (a
    letter missing, added, changed, or two swapped), the same region, and a town named by at least
    SHORT_TOWN_RATIO times as many mentions (two real small towns of a region are both named often).
    A town of 6 letters or more less alike than 80 % may still have two slips (`Québos`, `Grasyb`)
    on the same terms."""
    order = sorted(range(len(town_keys)), key=lambda i: -counts[i])
    canonical_keys: list[str] = []
    canonical: list[tuple[int, int]] = []  # (number, region)
    number = [0] * len(town_keys)
    for i in order:
        key, region = town_keys[i], town_regions[i]
        found = None
        if len(key) >= MIN_SHORT_TOWN and canonical_keys:
            for _, score, position in process.extract(
                key,
                canonical_keys,
                scorer=Indel.normalized_similarity,
                score_cutoff=TWO_SLIP_TOWN_CUTOFF if len(key) >= 6 else SHORT_TOWN_CUTOFF,
                limit=3,
            ):
                other_number, other_region = canonical[position]
                same_region = region >= 0 and region == other_region
                slips = 1 if len(key) < 6 else 2
                if (len(key) < 6 or score < TOWN_TYPO_SAME_REGION) and not (
                    same_region
                    and OSA.distance(key, canonical_keys[position]) <= slips
                    and counts[other_number] >= SHORT_TOWN_RATIO * counts[i]
                ):
                    continue
                if same_region or score >= TOWN_TYPO_ANY_REGION:
                    found = other_number
                    break
        if found is None:
            found = i
            canonical_keys.append(key)
            canonical.append((i, region))
        number[i] = found
    return number


def _numbered(values: Iterable[str]) -> tuple[np.ndarray, list[str]]:
    """Each value's number (in order of first appearance) and the distinct values."""
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64)
    return codes, list(index)


def _rank(values: Sequence[str]) -> np.ndarray:
    """The rank of each string in sorted order (ties share nothing: stable)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(values), dtype=np.int64)
    return rank


def _neighbour_pairs(block: np.ndarray, rank: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of entries within `window` places of each other in (block, rank) order, same block."""
    order = np.lexsort((rank, block))
    firsts, seconds = [], []
    for offset in range(1, window + 1):
        if offset >= len(order):
            break
        a, b = order[:-offset], order[offset:]
        same = block[a] == block[b]
        firsts.append(a[same])
        seconds.append(b[same])
    if not firsts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def resolve(
    names: Sequence[str],
    neqs: Sequence[str | None],
    cities: Sequence[str],
    regions: Sequence[str | None],
    decisions: Iterable[Decision] = (),
) -> Resolution:
    """Group records into organizations; one number per record (0 … entity_count − 1)."""
    # 1. Distinct spellings, then distinct mentions (normalized name, NEQ, town, region), in
    # arrays: each column is numbered once, each distinct name normalized once.
    name_code, distinct_names = _numbered(names)
    forms_by_key: dict[str, int] = {}
    normalized_by_key: list = []
    name_key = np.empty(len(distinct_names), dtype=np.int64)
    for position, name in enumerate(distinct_names):
        form = normalize_name(name)
        number = forms_by_key.get(form.key)
        if number is None:
            number = forms_by_key[form.key] = len(normalized_by_key)
            normalized_by_key.append(form)
        name_key[position] = number
    neq_code, distinct_neqs = _numbered(n or "" for n in neqs)
    city_code, distinct_cities = _numbered(cities)
    town_code, distinct_towns = _numbered(normalize_city(c) for c in distinct_cities)
    region_code, distinct_regions = _numbered(r or "" for r in regions)
    combined = name_key[name_code]
    for column, size in (
        (neq_code, len(distinct_neqs)),
        (town_code[city_code], len(distinct_towns)),
        (region_code, len(distinct_regions)),
    ):
        combined = np.unique(combined * size + column, return_inverse=True)[1].astype(np.int64)
    _, first_record, inverse = np.unique(combined, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first_record, kind="stable")
    mention_number = np.empty(len(first_record), dtype=np.int64)
    mention_number[by_appearance] = np.arange(len(first_record))
    record_mention = mention_number[inverse.reshape(-1)]
    first = first_record[by_appearance]
    del combined, inverse, first_record
    mention_form = name_key[name_code[first]].tolist()
    normalized = [normalized_by_key[k] for k in mention_form]
    mention_keys = list(
        zip(
            (form.key for form in normalized),
            (distinct_neqs[c] for c in neq_code[first].tolist()),
            (distinct_towns[c] for c in town_code[city_code[first]].tolist()),
            (distinct_regions[c] for c in region_code[first].tolist()),
            strict=True,
        )
    )
    count = len(mention_keys)
    keys = [form.key for form in normalized]
    sorted_keys = [form.sorted_key for form in normalized]
    initials = [form.initials for form in normalized]
    has_acronym = np.fromiter((bool(form.acronyms) for form in normalized), dtype=bool, count=count)
    token_sets = [form.tokens for form in normalized]
    mention_neq = [k[1] for k in mention_keys]
    town_key = [k[2] for k in mention_keys]
    region_codes = {code: i for i, code in enumerate(sorted({k[3] for k in mention_keys}))}
    region = np.fromiter(
        (region_codes[k[3]] if k[3] else -1 for k in mention_keys), dtype=np.int64, count=count
    )

    # 2. Towns, typos folded into the frequent spelling.
    town_counts: dict[str, int] = {}
    for t in town_key:
        if t:
            town_counts[t] = town_counts.get(t, 0) + 1
    town_region: dict[str, dict[int, int]] = {}
    for t, r in zip(town_key, region.tolist(), strict=True):
        if t and r >= 0:
            votes = town_region.setdefault(t, {})
            votes[r] = votes.get(r, 0) + 1
    distinct = list(town_counts)
    regions_of = [max(town_region[t], key=town_region[t].get) if t in town_region else -1 for t in distinct]
    numbers = _canonical_towns(distinct, regions_of, [town_counts[t] for t in distinct])
    town_numbers = dict(zip(distinct, numbers, strict=True))
    town = np.fromiter((town_numbers[t] if t else -1 for t in town_key), dtype=np.int64, count=count)
    # A line with its town but not its region is in the region its town's other lines give.
    town_vote = dict(zip(distinct, regions_of, strict=True))
    unknown = np.flatnonzero((region < 0) & (town >= 0))
    region[unknown] = [town_vote[town_key[m]] for m in unknown.tolist()]
    groups = _Groups(mention_neq, town.tolist(), region.tolist())
    applied_a: list[np.ndarray] = []
    applied_b: list[np.ndarray] = []
    applied_score: list[np.ndarray] = []
    applied_reasons: list[np.ndarray] = []
    ambiguous_roots: list[tuple[int, list[int]]] = []  # (probe mention, the groups it fits alike)

    # 3. The cell's decisions: splits become tags, confirmations are joined first.
    lookup: dict[tuple[str, str, str], list[int]] = {}
    decisions = list(decisions)
    if decisions:
        for m, k in enumerate(mention_keys):
            lookup.setdefault((k[0], k[1], k[2]), []).append(m)
    confirmed: list[tuple[int, int]] = []
    for number, decision in enumerate(decisions):
        side_a = lookup.get((decision.a.name, decision.a.neq, decision.a.city), [])
        side_b = lookup.get((decision.b.name, decision.b.neq, decision.b.city), [])
        if decision.same:
            confirmed.extend((a, b) for a in side_a for b in side_b)
        else:
            for side, members in ((0, side_a), (1, side_b)):
                for m in members:
                    groups.split_tags.setdefault(m, set()).add((number, side))
    for a, b in confirmed:
        ra, rb = groups.find(a), groups.find(b)
        if ra != rb:
            groups.join(ra, rb)
    if confirmed:
        pairs = np.asarray(confirmed, dtype=np.int64)
        applied_a.append(pairs[:, 0])
        applied_b.append(pairs[:, 1])
        applied_score.append(np.ones(len(pairs)))
        applied_reasons.append(np.full(len(pairs), int(Reason.CONFIRMED)))

    # 4. The same NEQ.
    by_neq: dict[str, int] = {}
    neq_a, neq_b = [], []
    for m, neq in enumerate(mention_neq):
        if not neq:
            continue
        first = by_neq.setdefault(neq, m)
        if first != m:
            ra, rb = groups.find(first), groups.find(m)
            if ra != rb and groups.can_join(ra, rb, by_name=False):
                groups.join(ra, rb)
                neq_a.append(first)
                neq_b.append(m)
    if neq_a:
        applied_a.append(np.asarray(neq_a, dtype=np.int64))
        applied_b.append(np.asarray(neq_b, dtype=np.int64))
        applied_score.append(np.ones(len(neq_a)))
        applied_reasons.append(np.full(len(neq_a), int(Reason.SAME_NEQ)))

    # 5. Names, within a town; a mention without a town meets its region's mentions. Mentions
    # with the same name in the same town (they differ by NEQ or region only) are one unit: linked
    # to each other at once, compared to others through the one whose NEQ most lines give (a NEQ
    # mistyped on one line then keeps that line alone instead of taking the unit's other lines).
    neq_lines: dict[str, int] = {}
    mention_lines = np.bincount(record_mention, minlength=count).tolist()
    for neq, lines in zip(mention_neq, mention_lines, strict=True):
        if neq:
            neq_lines[neq] = neq_lines.get(neq, 0) + lines
    weight = np.fromiter((neq_lines.get(neq, 0) for neq in mention_neq), dtype=np.int64, count=count)
    unit_of: dict[tuple[str, int], int] = {}
    representative = np.arange(count, dtype=np.int64)
    town_list = town.tolist()
    for m in np.lexsort((np.arange(count), -weight)).tolist():
        t = town_list[m]
        if t >= 0:
            representative[m] = unit_of.setdefault((keys[m], t), m)
    members = np.flatnonzero(representative != np.arange(count))
    if len(members):
        members = members[np.argsort(-weight[members], kind="stable")]
        a, b = representative[members], members
        taken = np.zeros(len(a), dtype=bool)
        for position, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            rx, ry = groups.find(x), groups.find(y)
            if rx != ry and groups.can_join(rx, ry, True):
                groups.join(rx, ry)
                taken[position] = True
        applied_a.append(a[taken])
        applied_b.append(b[taken])
        applied_score.append(np.ones(int(taken.sum())))
        applied_reasons.append(np.full(int(taken.sum()), _SAME_NAME | _SAME_CITY))
    units = np.flatnonzero(representative == np.arange(count))
    unit_list = units.tolist()
    a, b = _name_candidates(
        [keys[u] for u in unit_list],
        [sorted_keys[u] for u in unit_list],
        [initials[u] for u in unit_list],
        [token_sets[u] for u in unit_list],
        town[units],
        region[units],
    )
    a, b = units[a], units[b]
    if len(a):
        compacts = [form.compact for form in normalized]
        score, reasons, probe, deferred = _score_names(
            a, b, keys, sorted_keys, initials, has_acronym, token_sets, compacts, town, region
        )
        keep = score > 0
        a, b, score, reasons, probe, deferred = (
            a[keep],
            b[keep],
            score[keep],
            reasons[keep],
            probe[keep],
            deferred[keep],
        )
        order = np.argsort(-score, kind="stable")
        a, b, score, reasons, probe, deferred = (
            a[order],
            b[order],
            score[order],
            reasons[order],
            probe[order],
            deferred[order],
        )
        taken = np.zeros(len(a), dtype=bool)
        find, can_join, join = groups.find, groups.can_join, groups.join
        a_list, b_list, probe_list, score_list = a.tolist(), b.tolist(), probe.tolist(), score.tolist()
        deferred_list = deferred.tolist()
        # Strong links first, then each weak one's probe joins the group it fits best by then, if
        # that group is clearly the best: any other group it fits scores at least WEAK_MARGIN less.
        for position in np.flatnonzero(probe < 0).tolist():
            x, y = a_list[position], b_list[position]
            rx, ry = find(x), find(y)
            if (
                rx != ry
                and can_join(rx, ry, True)
                and (
                    not deferred_list[position]
                    or _words_agree(compacts[x], compacts[y], token_sets[x], token_sets[y])
                )
            ):
                join(rx, ry)
                taken[position] = True
        # The groups a probe could join are counted again once other weak links are made: two
        # spellings of one organization without a town (`Regoupement … de Pont-Viau`, `… de
        # Pont-Visu`) are rivals only until the second joins the group the first fits.
        pending = np.flatnonzero(probe >= 0).tolist()  # strongest first

        def fits_of(pending: list[int]) -> dict[int, dict[int, tuple[float, int]]]:
            """For each probe, the groups it could join: score and position of its best link."""
            best: dict[int, dict[int, tuple[float, int]]] = {}
            for position in pending:
                p = probe_list[position]
                other = b_list[position] if a_list[position] == p else a_list[position]
                fits = best.setdefault(p, {})
                group = find(other)
                if group not in fits and (group == find(p) or can_join(find(p), group, True)):
                    fits[group] = (score_list[position], position)
            return best

        for _ in range(WEAK_ROUNDS):
            best = fits_of(pending)
            settled: set[int] = set()
            for p, fits in best.items():
                ranked = sorted(fits.values(), reverse=True)
                if not ranked or (len(ranked) > 1 and ranked[0][0] - ranked[1][0] < WEAK_MARGIN):
                    continue
                settled.add(p)
                position = ranked[0][1]
                rx, ry = find(a_list[position]), find(b_list[position])
                if rx != ry and can_join(rx, ry, True):
                    join(rx, ry)
                    taken[position] = True
            if not settled:
                break
            pending = [position for position in pending if probe_list[position] not in settled]
        # A probe still alone that fits several groups equally well is left for its projects to
        # settle, line by line (`duplicates.settle_by_project`): the rivals are kept.
        for p, fits in fits_of(pending).items():
            own = find(p)
            if groups.size[own] != 1:
                continue
            top = max((value for value, _ in fits.values()), default=0.0)
            rivals = sorted(g for g, (value, _) in fits.items() if g != own and value > top - WEAK_MARGIN)
            if len(rivals) > 1:
                ambiguous_roots.append((p, rivals))
        applied_a.append(a[taken])
        applied_b.append(b[taken])
        applied_score.append(score[taken])
        applied_reasons.append(reasons[taken])

    # 5b. A second look for the mentions still alone in their town: in a big town the neighbours
    # of a name mistyped early (`Centre d'aid eaux victimes…`) are other organizations, so the
    # sorted orders never brought it to its own. It is now compared with every spelling of its
    # town that already belongs to a group, and linked by the same rules as above.
    a, b = _second_look(keys, town, [groups.size[groups.find(m)] for m in range(count)])
    if len(a):
        compacts = [form.compact for form in normalized]
        score, reasons, probe, deferred = _score_names(
            a, b, keys, sorted_keys, initials, has_acronym, token_sets, compacts, town, region
        )
        keep = np.flatnonzero((score > 0) & (probe < 0))
        keep = keep[np.argsort(-score[keep], kind="stable")]
        taken = np.zeros(len(keep), dtype=bool)
        for n, (x, y, check) in enumerate(
            zip(a[keep].tolist(), b[keep].tolist(), deferred[keep].tolist(), strict=True)
        ):
            rx, ry = groups.find(x), groups.find(y)
            if (
                rx != ry
                and min(groups.size[rx], groups.size[ry]) == 1  # one still alone joins a group
                and groups.can_join(rx, ry, True)
                and (not check or _words_agree(compacts[x], compacts[y], token_sets[x], token_sets[y]))
            ):
                groups.join(rx, ry)
                taken[n] = True
        applied_a.append(a[keep][taken])
        applied_b.append(b[keep][taken])
        applied_score.append(score[keep][taken])
        applied_reasons.append(reasons[keep][taken])

    # 6. Numbers in the order records first name them.
    roots = np.fromiter((groups.find(m) for m in range(count)), dtype=np.int64, count=count)
    record_root = roots[record_mention]
    _, first_seen, inverse = np.unique(record_root, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    entity = rank[inverse].astype(np.int32)

    def stacked(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

    link_a, link_b = stacked(applied_a, np.int64), stacked(applied_b, np.int64)
    link_reasons = stacked(applied_reasons, np.int64)
    mention_entity = np.empty(count, dtype=np.int64)
    mention_entity[record_mention] = entity
    ambiguous = [(p, tuple(int(mention_entity[g]) for g in rivals)) for p, rivals in ambiguous_roots]

    return Resolution(
        entity_of_record=entity,
        entity_count=len(first_seen),
        mention_of_record=record_mention,
        mention_names=keys,
        mention_neqs=mention_neq,
        mention_cities=town_key,
        _link_a=link_a,
        _link_b=link_b,
        _link_score=stacked(applied_score, np.float64),
        _link_reasons=link_reasons,
        ambiguous=ambiguous,
    )


def _second_look(keys: list[str], town: np.ndarray, group_size: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a mention alone in its town, a mention of its town already in a group) whose names
    are at least SECOND_LOOK_CUTOFF alike: every such pair, town by town, in bounded chunks."""
    size = np.asarray(group_size, dtype=np.int64)
    alone = np.flatnonzero((size == 1) & (town >= 0))
    grouped = np.flatnonzero((size > 1) & (town >= 0))
    if not len(alone) or not len(grouped):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    grouped = grouped[np.argsort(town[grouped], kind="stable")]
    towns_grouped = town[grouped]
    key_array = np.asarray(keys, dtype=object)
    firsts, seconds = [], []
    alone = alone[np.argsort(town[alone], kind="stable")]
    bounds = np.flatnonzero(np.diff(town[alone])) + 1
    for chunk in np.split(alone, bounds):
        t = town[chunk[0]]
        low, high = np.searchsorted(towns_grouped, [t, t + 1])
        if low == high:
            continue
        others = grouped[low:high]
        for start in range(0, len(chunk), SECOND_LOOK_CHUNK):
            part = chunk[start : start + SECOND_LOOK_CHUNK]
            scores = process.cdist(
                key_array[part],
                key_array[others],
                scorer=Indel.normalized_similarity,
                score_cutoff=SECOND_LOOK_CUTOFF,
                workers=-1,
            )
            rows, columns = np.nonzero(scores)
            firsts.append(part[rows])
            seconds.append(others[columns])
    if not firsts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    return np.minimum(a, b), np.maximum(a, b)


def _name_candidates(
    keys: list[str],
    sorted_keys: list[str],
    initials: list[str],
    tokens: list[tuple[str, ...]],
    town: np.ndarray,
    region: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs of mentions (a < b), each once: sorted neighbourhoods inside each town, and
    for mentions without a town inside their region (with the region's towned mentions)."""
    count = len(keys)
    entries = np.arange(count, dtype=np.int64)
    block = town.copy()
    townless = town < 0
    if townless.any():
        regions_with_townless = np.unique(region[townless & (region >= 0)])
        offset = int(town.max(initial=0)) + 1
        extra = np.flatnonzero(np.isin(region, regions_with_townless) & ~townless)
        block = np.where(townless & (region >= 0), offset + region, -1)
        block[~townless] = town[~townless]
        entries = np.concatenate([entries, extra])
        block = np.concatenate([block, offset + region[extra]])
    valid = block >= 0
    entries, block = entries[valid], block[valid]
    reversed_keys = [k[::-1] for k in keys]
    firsts, seconds = [], []
    key_rank = _rank(keys)
    for values, window in zip((keys, sorted_keys, initials, reversed_keys), WINDOWS, strict=True):
        rank = (key_rank if values is keys else _rank(values))[entries]
        x, y = _neighbour_pairs(block, rank, window)
        firsts.append(entries[x])
        seconds.append(entries[y])
    # One entry per (mention, distinctive word), in (word, name) order: `rosemont`, then
    # `corporation developpement … rosemont`.
    word_owner: list[int] = []
    word_of: list[str] = []
    for m, words in enumerate(tokens):
        for word in set(words):
            if len(word) > 2 and word not in KIND_WORDS:
                word_owner.append(m)
                word_of.append(word)
    if word_owner:
        # each word entry goes in every block its mention is in (its town; its region's block too)
        owner = np.asarray(word_owner, dtype=np.int64)
        by_mention = np.argsort(entries, kind="stable")
        blocks_of = np.bincount(entries, minlength=count)
        first_entry = np.concatenate(([0], np.cumsum(blocks_of)[:-1]))
        copies = blocks_of[owner]
        word = np.repeat(np.arange(len(owner)), copies)
        nth = np.arange(len(word)) - np.repeat(np.cumsum(copies) - copies, copies)
        entry = by_mention[first_entry[owner[word]] + nth]
        word_number, distinct_words = _numbered(word_of)
        word_rank = _rank(distinct_words)[word_number] * count + key_rank[owner]
        x, y = _neighbour_pairs(block[entry], word_rank[word], WORD_WINDOW)
        firsts.append(entries[entry[x]])
        seconds.append(entries[entry[y]])
    # A mention without a town meets every mention of its region with the same words, however many
    # sort between them: all the organizations of that name in the region are then its rivals.
    if townless.any():
        same_words: dict[tuple[int, str], list[int]] = {}
        for m in np.flatnonzero(~townless & (region >= 0)).tolist():
            same_words.setdefault((int(region[m]), sorted_keys[m]), []).append(m)
        pairs = [
            (m, other)
            for m in np.flatnonzero(townless & (region >= 0)).tolist()
            for other in same_words.get((int(region[m]), sorted_keys[m]), ())
        ]
        if pairs:
            found = np.asarray(pairs, dtype=np.int64)
            firsts.append(found[:, 0])
            seconds.append(found[:, 1])
    # Likewise a short form (`Le Fanal`, three words at most) meets every name of its town with its
    # distinctive words, and an acronym (`SEE`) every name of its town with those initials.
    found = _short_form_pairs(keys, initials, tokens, town)
    if len(found):
        firsts.append(found[:, 0])
        seconds.append(found[:, 1])
    a = np.concatenate(firsts)
    b = np.concatenate(seconds)
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    code = np.sort(low[keep] * count + high[keep])
    if len(code):
        code = code[np.concatenate(([True], code[1:] != code[:-1]))]
    return code // count, code % count


def _short_form_pairs(
    keys: list[str], initials: list[str], tokens: list[tuple[str, ...]], town: np.ndarray
) -> np.ndarray:
    """(short form or acronym, a name of its town sharing a distinctive word or those initials)."""
    wanted: dict[tuple[int, str], list[int]] = {}
    towned = np.flatnonzero(town >= 0).tolist()
    town_of = town.tolist()
    for m in towned:
        words = tokens[m]
        if len(words) > SHORT_FORM_WORDS:
            continue
        t = town_of[m]
        if len(words) == 1 and initials[m] == keys[m]:
            wanted.setdefault((t, "#" + keys[m]), []).append(m)
        for word in words:
            if len(word) > 2 and word not in KIND_WORDS:
                wanted.setdefault((t, word), []).append(m)
    pairs: list[tuple[int, int]] = []
    if wanted:
        for m in towned:
            t = town_of[m]
            probes = wanted.get((t, "#" + initials[m]))
            if probes:
                pairs.extend((p, m) for p in probes)
            for word in set(tokens[m]):
                probes = wanted.get((t, word))
                if probes:
                    pairs.extend((p, m) for p in probes)
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _score_names(
    a: np.ndarray,
    b: np.ndarray,
    keys: list[str],
    sorted_keys: list[str],
    initials: list[str],
    has_acronym: np.ndarray,
    token_sets: list[tuple[str, ...]],
    compacts: list[str],
    town: np.ndarray,
    region: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A score per candidate pair (0 when not linked), its reasons, and for a weak link (a name
    without a town, a short form, an acronym) the mention that must fit one organization only."""
    key_array = np.asarray(keys, dtype=object)
    sorted_array = np.asarray(sorted_keys, dtype=object)
    initials_array = np.asarray(initials, dtype=object)
    same_key = key_array[a] == key_array[b]
    name = process.cpdist(key_array[a], key_array[b], scorer=Indel.normalized_similarity, workers=-1)
    low = np.flatnonzero(name < SAME_TOWN_THRESHOLD)  # the other word order may still be close
    if len(low):
        by_words = process.cpdist(
            sorted_array[a[low]], sorted_array[b[low]], scorer=Indel.normalized_similarity, workers=-1
        )
        name[low] = np.maximum(name[low], by_words)
        # the same letters bar one slip once spaces are ignored (`Centre e femmes L eJardin`)
        low = low[(name[low] < SAME_TOWN_THRESHOLD) & (name[low] >= SLIP_FLOOR)]
        compact_array = np.asarray(compacts, dtype=object)
        slips = process.cpdist(
            compact_array[a[low]], compact_array[b[low]], scorer=OSA.distance, score_cutoff=1, workers=-1
        )
        lengths = np.fromiter(map(len, compact_array[a[low]]), dtype=np.int64, count=len(low))
        close = low[(slips <= 1) & (lengths >= MIN_COMPACT)]
        name[close] = SAME_TOWN_THRESHOLD
    name[same_key] = 1.0
    reasons = np.where(same_key, _SAME_NAME, _SIMILAR_NAME).astype(np.int64)
    acronym = has_acronym[a] | has_acronym[b]
    if acronym.any():
        ia, ib = a[acronym], b[acronym]
        by_initials = process.cpdist(
            initials_array[ia], initials_array[ib], scorer=Indel.normalized_similarity, workers=-1
        )
        by_initials = np.where(by_initials >= ACRONYM_THRESHOLD, by_initials, 0.0)
        better = by_initials > name[acronym]
        idx = np.flatnonzero(acronym)[better]
        name[idx] = np.maximum(by_initials[better], SAME_TOWN_THRESHOLD)
        reasons[idx] = _ACRONYM
    same_town = (town[a] >= 0) & (town[a] == town[b])
    one_townless = (town[a] < 0) | (town[b] < 0)
    same_region = (region[a] >= 0) & (region[a] == region[b])
    # A short form that keeps a distinctive word: `La Passerelle` for `Centre de femmes La Passerelle`.
    word_count = np.fromiter(map(len, token_sets), dtype=np.int64, count=len(token_sets))
    fewer = np.minimum(word_count[a], word_count[b])
    short = np.flatnonzero(
        same_town
        & (name < SAME_TOWN_THRESHOLD)
        & (fewer <= SHORT_FORM_WORDS)
        & (word_count[a] != word_count[b])
    )
    if len(short):
        subset = process.cpdist(
            key_array[a[short]], key_array[b[short]], scorer=fuzz.token_set_ratio, workers=-1
        )
        short = short[subset >= 100]
    for position, x_at, y_at in zip(short.tolist(), a[short].tolist(), b[short].tolist(), strict=True):
        x, y = token_sets[x_at], token_sets[y_at]
        small = x if len(x) <= len(y) else y
        if any(w not in KIND_WORDS and len(w) > 2 for w in small):
            name[position] = SAME_TOWN_THRESHOLD
            reasons[position] = _SHORT_FORM
    linked = (same_town & (name >= SAME_TOWN_THRESHOLD)) | (
        one_townless & same_region & (name >= NO_TOWN_THRESHOLD)
    )
    # Close spellings must also agree on what tells organizations apart (`La Ronde` is not `du Sud`).
    same_words = sorted_array[a] == sorted_array[b]
    # A link inside one town is checked only when it would join two groups (`deferred`, see
    # `resolve`): the close spellings of one organization mostly meet through one another first.
    check = linked & ~same_key & ~same_words & ((reasons & _WEAK) == 0)
    deferred = check & ~one_townless
    now = np.flatnonzero(check & one_townless)
    for position, x_at, y_at in zip(now.tolist(), a[now].tolist(), b[now].tolist(), strict=True):
        if not _words_agree(compacts[x_at], compacts[y_at], token_sets[x_at], token_sets[y_at]):
            linked[position] = False
    probe = _probes(linked, a, b, reasons, town, token_sets)
    reasons |= np.where(same_town, _SAME_CITY, 0)
    reasons |= np.where(same_region, _SAME_REGION, 0)
    score = np.where(linked, name, 0.0)
    return score, reasons, probe, deferred


def _words_agree(compact_x: str, compact_y: str, words_x: tuple[str, ...], words_y: tuple[str, ...]) -> bool:
    """Two close spellings agree on what tells organizations apart: the same letters bar one slip,
    or the words only one has are typos of the other's or words of the kind."""
    return _same_letters(compact_x, compact_y) or _distinctive_agree(words_x, words_y)


def _same_letters(x: str, y: str) -> bool:
    """The same letters bar one slip once spaces are ignored: a space typed one letter off
    (`Corporatio nde développement`, `Travai lde ru eL'Oasis`) splits words, not organizations."""
    return len(x) >= MIN_COMPACT and abs(len(x) - len(y)) <= 1 and OSA.distance(x, y, score_cutoff=1) <= 1


def _distinctive_agree(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    """Words only one name has are typos of each other, or words of the kind (`inc`, `centre`)."""
    only_x, only_y = set(x) - set(y), set(y) - set(x)
    if not only_x and not only_y:
        return True
    only_x = {word for word in only_x if not _noise_word(word)}
    only_y = {word for word in only_y if not _noise_word(word)}
    if only_x and only_y:
        return _counterparts(only_x, only_y) and _counterparts(only_y, only_x)
    if not only_x and not only_y:
        return True
    extra, shorter = (only_x, y) if only_x else (only_y, x)
    if all(word in KIND_WORDS for word in extra):
        return True
    return any(word not in KIND_WORDS for word in shorter)


def _counterparts(words: set[str], others: set[str]) -> bool:
    """Every word has a close spelling on the other side (`deveooppement` / `developpement`); a
    short word one edit away or nearly all of its letters (`nor` / `nord`, not `ouest` / `est`)."""
    for word in words:
        if _kind_typo(word, others):
            continue
        if len(word) <= 5:
            if not any(
                OSA.distance(word, other, score_cutoff=1) <= 1
                or Indel.normalized_similarity(word, other) >= SHORT_WORD_SIMILARITY
                for other in others
            ):
                return False
        elif not process.extractOne(
            word, others, scorer=Indel.normalized_similarity, score_cutoff=DIFF_SIMILARITY
        ):
            return False
    return True


def _kind_typo(word: str, others: set[str]) -> bool:
    """A word of the kind and a word that is not, two slips apart (`femme` / `nemne`, `jeune` /
    `jenue`): the same word mistyped twice, as two words of the kind (`femme` / `jeune`) never are."""
    if len(word) < KIND_TYPO_LETTERS:
        return False
    kind = word in KIND_WORDS
    return any(
        (other in KIND_WORDS) != kind
        and len(other) >= KIND_TYPO_LETTERS
        and OSA.distance(word, other, score_cutoff=KIND_TYPO_SLIPS) <= KIND_TYPO_SLIPS
        for other in others
    )


@lru_cache(maxsize=1 << 14)
def _noise_word(word: str) -> bool:
    """A small word with its letters swapped (`poru` for `pour`, `ed` for `de`): no identity in it."""
    if len(word) > 4:
        return False
    return len(word) <= 2 or any(sorted(word) == sorted(stop) for stop in STOPWORDS)


def _probes(
    linked: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    reasons: np.ndarray,
    town: np.ndarray,
    token_sets: list[tuple[str, ...]],
) -> np.ndarray:
    """For each weak link, the side that could fit several organizations (−1 for a strong link):
    the side without a town, or the shorter name of a short form or an acronym."""
    probe = np.full(len(a), -1, dtype=np.int64)
    townless_a = linked & (town[a] < 0)
    townless_b = linked & (town[b] < 0) & ~townless_a
    probe[townless_a] = a[townless_a]
    probe[townless_b] = b[townless_b]
    chosen = np.flatnonzero(linked & (probe < 0) & ((reasons & _WEAK) > 0))
    for position, x, y in zip(chosen.tolist(), a[chosen].tolist(), b[chosen].tolist(), strict=True):
        probe[position] = x if len(token_sets[x]) <= len(token_sets[y]) else y
    return probe
