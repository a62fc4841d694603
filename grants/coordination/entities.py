"""Which records are the same organization.

Each record names its recipient (name, NEQ, city, region). Records are first folded into
*mentions*: the distinct (normalized name, NEQ, city, region). Mentions are then linked:

* the same NEQ links them (score 1);
* otherwise names are compared, but only inside one town (or, for a record without a town, inside
  its region): candidates come from sorted neighbourhoods of the normalized name, of its words
  sorted, of its initials and of the name read backwards, and are scored with rapidfuzz's Indel
  similarity (the normalized LCS ratio) in parallel.

Links are applied from the strongest down in a union-find that refuses three things: a group with
two different NEQs, a name link between groups that have no town in common, and a pair the cell
split. Pairs the cell confirmed are joined first. No Python loop runs over pairs of records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntFlag
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein

from grants.coordination.names import KIND_WORDS, STOPWORDS, normalize_city, normalize_name

SAME_TOWN_THRESHOLD = 0.88  # name similarity that links two mentions in the same town
NO_TOWN_THRESHOLD = 0.93  # when one side has no town: same region and a closer name
ACRONYM_THRESHOLD = 0.86  # initials against an acronym, same town
SHORT_FORM_WORDS = 3  # a short form (`La Passerelle`, `Le Pignon Bleu`) has at most this many words
SHORT_WORD_SIMILARITY = 0.8  # `jeune` / `jeunese`, but not `ouest` / `est`
DIFF_SIMILARITY = 0.7  # a word only one of two names has needs a spelling this close on the other side
# Neighbours looked at in each sorted order: the name, its words sorted, its initials, backwards.
WINDOWS = (3, 3, 2, 2)
TOWN_TYPO_SAME_REGION = 0.8  # `Mscouche` is `Mascouche` in Lanaudière
TOWN_TYPO_ANY_REGION = 0.9


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


REASON_TEXT = {
    Reason.SAME_NEQ: ("même NEQ", "same NEQ"),
    Reason.SAME_NAME: ("même nom", "same name"),
    Reason.SIMILAR_NAME: ("noms semblables à {score}", "names similar at {score}"),
    Reason.ACRONYM: ("sigle correspondant", "matching acronym"),
    Reason.SHORT_FORM: ("nom abrégé", "short form of the name"),
    Reason.SAME_CITY: ("même ville", "same town"),
    Reason.SAME_REGION: ("même région", "same region"),
    Reason.CONFIRMED: ("confirmé par la cellule", "confirmed by the cell"),
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

    def links(self) -> Iterator[Link]:
        """Every link applied (NEQ, names, confirmations), strongest first."""
        for a, b, score, reasons in zip(
            self._link_a.tolist(),
            self._link_b.tolist(),
            self._link_score.tolist(),
            self._link_reasons.tolist(),
            strict=True,
        ):
            yield Link(a, b, score, Reason(reasons))

    def record_link(self, i: int, j: int) -> tuple[float, Reason]:
        """Why records i and j are the same organization, worked out for this one pair."""
        mi, mj = int(self.mention_of_record[i]), int(self.mention_of_record[j])
        return mention_evidence(
            (self.mention_names[mi], self.mention_neqs[mi], self.mention_cities[mi]),
            (self.mention_names[mj], self.mention_neqs[mj], self.mention_cities[mj]),
        )


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
    """Union-find over mentions that keeps, per group, its NEQ, its towns and the cell's splits."""

    def __init__(self, neqs: list[str], cities: list[int], regions: list[int]) -> None:
        count = len(neqs)
        self.parent = list(range(count))
        self.size = [1] * count
        self.neq = list(neqs)
        self.towns: list[frozenset[int]] = [frozenset((c,)) if c >= 0 else frozenset() for c in cities]
        self.split_tags: dict[int, set[tuple[int, int]]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def can_join(self, ra: int, rb: int, by_name: bool) -> bool:
        if self.neq[ra] and self.neq[rb] and self.neq[ra] != self.neq[rb]:
            return False
        if by_name and self.towns[ra] and self.towns[rb] and not (self.towns[ra] & self.towns[rb]):
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
        if self.towns[rb] and not self.towns[rb] <= self.towns[ra]:
            self.towns[ra] = self.towns[ra] | self.towns[rb]
        tags = self.split_tags.pop(rb, None)
        if tags:
            self.split_tags.setdefault(ra, set()).update(tags)


def _canonical_towns(town_keys: list[str], town_regions: list[int], counts: list[int]) -> list[int]:
    """Number the towns, a misspelt town (`sherbrook`, `mscouche`) taking the number of the more
    frequent one it resembles: 80 % alike in the same region, 90 % when a region is unknown; at
    least 6 letters."""
    order = sorted(range(len(town_keys)), key=lambda i: -counts[i])
    canonical_keys: list[str] = []
    canonical: list[tuple[int, int]] = []  # (number, region)
    number = [0] * len(town_keys)
    for i in order:
        key, region = town_keys[i], town_regions[i]
        found = None
        if len(key) >= 6 and canonical_keys:
            for _, score, position in process.extract(
                key,
                canonical_keys,
                scorer=Indel.normalized_similarity,
                score_cutoff=TOWN_TYPO_SAME_REGION,
                limit=3,
            ):
                other_number, other_region = canonical[position]
                same_region = region >= 0 and region == other_region
                if same_region or score >= TOWN_TYPO_ANY_REGION:
                    found = other_number
                    break
        if found is None:
            found = i
            canonical_keys.append(key)
            canonical.append((i, region))
        number[i] = found
    return number


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
    # 1. Distinct spellings, then distinct mentions (normalized name, NEQ, town, region).
    raw_index: dict[tuple, int] = {}
    record_raw = np.fromiter(
        (
            raw_index.setdefault(key, len(raw_index))
            for key in zip(names, (n or "" for n in neqs), cities, (r or "" for r in regions), strict=True)
        ),
        dtype=np.int64,
        count=len(names),
    )
    mention_index: dict[tuple[str, str, str, str], int] = {}
    raw_mention = np.empty(len(raw_index), dtype=np.int64)
    normalized: list = []
    for position, (name, neq, city, region) in enumerate(raw_index):
        form = normalize_name(name)
        key = (form.key, neq, normalize_city(city), region)
        mention = mention_index.get(key)
        if mention is None:
            mention = mention_index[key] = len(mention_index)
            normalized.append(form)
        raw_mention[position] = mention
    del raw_index
    record_mention = raw_mention[record_raw]
    del record_raw, raw_mention
    count = len(mention_index)
    mention_keys = list(mention_index)
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
    groups = _Groups(mention_neq, town.tolist(), region.tolist())
    applied_a: list[np.ndarray] = []
    applied_b: list[np.ndarray] = []
    applied_score: list[np.ndarray] = []
    applied_reasons: list[np.ndarray] = []

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
    # to each other at once, compared to others through the first of them.
    unit_of: dict[tuple[str, int], int] = {}
    representative = np.fromiter(
        (
            unit_of.setdefault((key, t), m) if t >= 0 else m
            for m, (key, t) in enumerate(zip(keys, town.tolist(), strict=True))
        ),
        dtype=np.int64,
        count=count,
    )
    members = np.flatnonzero(representative != np.arange(count))
    if len(members):
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
        applied_reasons.append(np.full(int(taken.sum()), int(Reason.SAME_NAME | Reason.SAME_CITY)))
    units = np.flatnonzero(representative == np.arange(count))
    unit_list = units.tolist()
    a, b = _name_candidates(
        [keys[u] for u in unit_list],
        [sorted_keys[u] for u in unit_list],
        [initials[u] for u in unit_list],
        town[units],
        region[units],
    )
    a, b = units[a], units[b]
    if len(a):
        score, reasons, probe = _score_names(
            a, b, keys, sorted_keys, initials, has_acronym, token_sets, town, region
        )
        keep = score > 0
        a, b, score, reasons, probe = a[keep], b[keep], score[keep], reasons[keep], probe[keep]
        order = np.argsort(-score, kind="stable")
        a, b, score, reasons, probe = a[order], b[order], score[order], reasons[order], probe[order]
        taken = np.zeros(len(a), dtype=bool)
        find, can_join, join = groups.find, groups.can_join, groups.join
        # Strong links first, then weak ones whose probe fits a single group by then.
        for position in np.flatnonzero(probe < 0).tolist():
            rx, ry = find(int(a[position])), find(int(b[position]))
            if rx != ry and can_join(rx, ry, True):
                join(rx, ry)
                taken[position] = True
        weak = np.flatnonzero(probe >= 0)
        fits: dict[int, set[int]] = {}
        for position in weak.tolist():
            p = int(probe[position])
            other = int(b[position]) if int(a[position]) == p else int(a[position])
            fits.setdefault(p, set()).add(find(other))
        for position in weak.tolist():
            p = int(probe[position])
            if len(fits[p]) > 1:
                continue
            rx, ry = find(int(a[position])), find(int(b[position]))
            if rx != ry and can_join(rx, ry, True):
                join(rx, ry)
                taken[position] = True
        applied_a.append(a[taken])
        applied_b.append(b[taken])
        applied_score.append(score[taken])
        applied_reasons.append(reasons[taken])

    # 6. Numbers in the order records first name them.
    roots = np.fromiter((groups.find(m) for m in range(count)), dtype=np.int64, count=count)
    record_root = roots[record_mention]
    _, first_seen, inverse = np.unique(record_root, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    entity = rank[inverse].astype(np.int32)

    def stacked(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

    return Resolution(
        entity_of_record=entity,
        entity_count=len(first_seen),
        mention_of_record=record_mention,
        mention_names=keys,
        mention_neqs=mention_neq,
        mention_cities=town_key,
        _link_a=stacked(applied_a, np.int64),
        _link_b=stacked(applied_b, np.int64),
        _link_score=stacked(applied_score, np.float64),
        _link_reasons=stacked(applied_reasons, np.int64),
    )


def _name_candidates(
    keys: list[str], sorted_keys: list[str], initials: list[str], town: np.ndarray, region: np.ndarray
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
    for values, window in zip((keys, sorted_keys, initials, reversed_keys), WINDOWS, strict=True):
        rank = _rank(values)[entries]
        x, y = _neighbour_pairs(block, rank, window)
        firsts.append(entries[x])
        seconds.append(entries[y])
    a = np.concatenate(firsts)
    b = np.concatenate(seconds)
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    code = np.sort(low[keep] * count + high[keep])
    if len(code):
        code = code[np.concatenate(([True], code[1:] != code[:-1]))]
    return code // count, code % count


def _score_names(
    a: np.ndarray,
    b: np.ndarray,
    keys: list[str],
    sorted_keys: list[str],
    initials: list[str],
    has_acronym: np.ndarray,
    token_sets: list[tuple[str, ...]],
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
    name[same_key] = 1.0
    reasons = np.where(same_key, int(Reason.SAME_NAME), int(Reason.SIMILAR_NAME)).astype(np.int64)
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
        reasons[idx] = int(Reason.ACRONYM)
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
    for position in short.tolist():
        x, y = token_sets[a[position]], token_sets[b[position]]
        small = x if len(x) <= len(y) else y
        if any(w not in KIND_WORDS and len(w) > 2 for w in small):
            name[position] = SAME_TOWN_THRESHOLD
            reasons[position] = int(Reason.SHORT_FORM)
    linked = (same_town & (name >= SAME_TOWN_THRESHOLD)) | (
        one_townless & same_region & (name >= NO_TOWN_THRESHOLD)
    )
    # Close spellings must also agree on what tells organizations apart (`La Ronde` is not `du Sud`).
    same_words = sorted_array[a] == sorted_array[b]
    for position in np.flatnonzero(linked & ~same_key & ~same_words).tolist():
        if not _distinctive_agree(token_sets[a[position]], token_sets[b[position]], reasons[position]):
            linked[position] = False
    probe = _probes(linked, a, b, reasons, town, token_sets)
    reasons |= np.where(same_town, int(Reason.SAME_CITY), 0)
    reasons |= np.where(same_region, int(Reason.SAME_REGION), 0)
    score = np.where(linked, name, 0.0)
    return score, reasons, probe


def _distinctive_agree(x: tuple[str, ...], y: tuple[str, ...], reasons: int) -> bool:
    """Words only one name has are typos of each other, or words of the kind (`inc`, `centre`)."""
    if reasons & (Reason.ACRONYM | Reason.SHORT_FORM):
        return True
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
        if len(word) <= 5:
            if not any(
                Levenshtein.distance(word, other, score_cutoff=1) <= 1
                or Indel.normalized_similarity(word, other) >= SHORT_WORD_SIMILARITY
                for other in others
            ):
                return False
        elif not process.extractOne(
            word, others, scorer=Indel.normalized_similarity, score_cutoff=DIFF_SIMILARITY
        ):
            return False
    return True


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
    weak = int(Reason.ACRONYM | Reason.SHORT_FORM)
    for position in np.flatnonzero(linked & (probe < 0) & ((reasons & weak) > 0)).tolist():
        x, y = int(a[position]), int(b[position])
        probe[position] = x if len(token_sets[x]) <= len(token_sets[y]) else y
    return probe
