"""Organization names brought to one comparable form.

`Centre des femmes de Laval inc.`, `CENTRE DE FEMMES DE LAVAL`, `Laval Women's Center` and
`Centre d'aide aux femmes (Laval) enr.` should compare on what distinguishes an organization, not
on accents, case, articles, punctuation, legal suffixes, abbreviations or the language the other
ministry typed it in. Known Quebec acronyms (CALACS, CAVAC, CJE, CSS, TRCES…) are expanded; other
acronyms are kept letter by letter in the name's initials so `ROHE` meets `Regroupement des
organismes en hébergement de l'Estrie`. Pure functions, cached: the same spelling is worked out once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Words that carry no identity: articles, prepositions, conjunctions (French and English).
STOPWORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "l",
        "de",
        "du",
        "des",
        "d",
        "un",
        "une",
        "au",
        "aux",
        "en",
        "et",
        "a",
        "the",
        "of",
        "for",
        "and",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "qu",
        "to",
        "at",
        "on",
        "in",
        "by",
        "from",
    ]
)
# Legal forms and registration suffixes: never what tells two organizations apart.
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "incorporee",
        "incorporation",
        "ltee",
        "ltd",
        "limitee",
        "limited",
        "enr",
        "enregistre",
        "enregistree",
        "obnl",
        "osbl",
        "oscbl",
        "sec",
        "senc",
        "llc",
        "cie",
    ]
)
# Known acronyms of the Quebec community, health, school and municipal world → their words.
ACRONYMS = {
    "calacs": "centre aide lutte contre agressions caractere sexuel",
    "cavac": "centre aide victimes actes criminels",
    "cdc": "corporation developpement communautaire",
    "cje": "carrefour jeunesse emploi",
    "mdj": "maison jeunes",
    "css": "centre services scolaire",
    "cpe": "centre petite enfance",
    "clsc": "centre local services communautaires",
    "cisss": "centre integre sante services sociaux",
    "ciusss": "centre integre universitaire sante services sociaux",
    "mrc": "municipalite regionale comte",
    "tnces": "table nationale concertation exploitation sexuelle",
    "trces": "table regionale concertation exploitation sexuelle",
    "tces": "table concertation exploitation sexuelle",
    "tcr": "table concertation regionale",
    "caaf": "centre aide accompagnement femmes",
    "cpn": "conseil premiere nation",
}
# Multi-word English or variant forms → the French words (applied before single words).
PHRASES = (
    (r"\bfirst nations?\b", "premiere nation"),
    (r"\bschool service (centre|center)s?\b", "centre services scolaire"),
    (r"\bschool board\b", "commission scolaire"),
    (r"\b(round ?table|concertation table)\b", "table concertation"),
    (r"\bfriendship (centre|center)\b", "centre amitie"),
    (r"\byouth (house|centre|center)\b", "maison jeunes"),
    (r"\bwomen s (centre|center)\b", "centre femmes"),
    (r"\bwomen s shelter\b", "maison hebergement femmes"),
    (r"\bmutual aid\b", "entraide"),
    (r"\bsexual assault\b", "agressions caractere sexuel"),
    (r"\bsexual exploitation\b", "exploitation sexuelle"),
    (r"\bcrime victims?\b", "victimes actes criminels"),
    (r"\bearly childhood\b", "petite enfance"),
    (r"\bcommunity development\b", "developpement communautaire"),
    (r"\bregional county municipality\b", "municipalite regionale comte"),
    (r"\bhealth and social services\b", "sante services sociaux"),
)
# Single words: abbreviations and English forms → one canonical (French) word.
WORDS = {
    "center": "centre",
    "ctr": "centre",
    "cntr": "centre",
    "assn": "association",
    "assoc": "association",
    "ass": "association",
    "regional": "regional",
    "regionale": "regional",
    "regionales": "regional",
    "regionaux": "regional",
    "reg": "regional",
    "national": "national",
    "nationale": "national",
    "nationales": "national",
    "nationaux": "national",
    "st": "saint",
    "ste": "saint",
    "sainte": "saint",
    "saints": "saint",
    "saintes": "saint",
    "mun": "municipalite",
    "municipality": "municipalite",
    "municipalite": "municipalite",
    "city": "municipalite",
    "town": "municipalite",
    "ville": "municipalite",
    "village": "municipalite",
    # the eleven nations, in French, English and their own names
    "cris": "cri",
    "cree": "cri",
    "eeyou": "cri",
    "innus": "innu",
    "mohawks": "mohawk",
    "kanienkehaka": "mohawk",
    "abenakis": "abenaki",
    "w8banaki": "abenaki",
    "hurons": "huron",
    "algonquins": "anishinabe",
    "algonquin": "anishinabe",
    "anishinabeg": "anishinabe",
    "naskapis": "naskapi",
    "malecites": "wolastoqiyik",
    "malecite": "wolastoqiyik",
    "maliseet": "wolastoqiyik",
    "micmac": "migmaq",
    "mi": "mi",
    "gmaq": "gmaq",
    "women": "femmes",
    "woman": "femmes",
    "femme": "femmes",
    "womens": "femmes",
    "youth": "jeunes",
    "jeunesse": "jeunes",
    "young": "jeunes",
    "jeune": "jeunes",
    "house": "maison",
    "home": "maison",
    "shelter": "hebergement",
    "housing": "logement",
    "community": "communautaire",
    "communautaires": "communautaire",
    "communities": "communautaire",
    "council": "conseil",
    "committee": "comite",
    "network": "reseau",
    "group": "groupe",
    "service": "services",
    "school": "scolaire",
    "schools": "scolaire",
    "table": "table",
    "sexual": "sexuelle",
    "sexuel": "sexuelle",
    "sexuelles": "sexuelle",
    "victims": "victimes",
    "victim": "victimes",
    "victime": "victimes",
    "help": "aide",
    "aid": "aide",
    "assistance": "aide",
    "against": "contre",
    "assault": "agressions",
    "assaults": "agressions",
    "agression": "agressions",
    "support": "soutien",
    "family": "famille",
    "families": "famille",
    "familles": "famille",
    "indigenous": "autochtone",
    "native": "autochtone",
    "aboriginal": "autochtone",
    "autochtones": "autochtone",
    "first": "premiere",
    "premieres": "premiere",
    "premier": "premiere",
    "nations": "nation",
    "band": "bande",
    "friendship": "amitie",
    "health": "sante",
    "social": "social",
    "sociaux": "social",
    "sociale": "social",
    "sociales": "social",
    "north": "nord",
    "south": "sud",
    "east": "est",
    "west": "ouest",
    "organization": "organisme",
    "organisation": "organisme",
    "org": "organisme",
    "organismes": "organisme",
    "organizations": "organisme",
    "corp": "corporation",
    "coop": "cooperative",
    "co-op": "cooperative",
    "foundation": "fondation",
    "institute": "institut",
    "program": "programme",
    "project": "projet",
    "development": "developpement",
    "employment": "emploi",
    "crossroads": "carrefour",
    "coalition": "coalition",
    "federation": "federation",
    "regroupment": "regroupement",
    "association": "association",
    "centres": "centre",
    "centers": "centre",
    "intervention": "intervention",
    "prevention": "prevention",
    "resource": "ressource",
    "resources": "ressource",
    "ressources": "ressource",
    "street": "rue",
    "work": "travail",
    "workers": "travailleurs",
    "worker": "travailleurs",
    "girls": "filles",
    "girl": "filles",
    "men": "hommes",
    "man": "hommes",
    "children": "enfants",
    "child": "enfants",
    "kids": "enfants",
    "integrated": "integre",
    "university": "universitaire",
    "sexual-exploitation": "exploitation",
    "municipal": "municipalite",
    "regional-county": "mrc",
}
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"} | {ch: " " for ch in "'’‘`´“”«»–—‐‑‒·•…"}
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PAREN = re.compile(r"\(([^)]*)\)")
_RAW_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9]+")
_PHRASES = tuple((re.compile(pattern), words) for pattern, words in PHRASES)
_ANY_PHRASE = re.compile("|".join(f"(?:{pattern})" for pattern, _ in PHRASES))
_CAPITALS = re.compile(r"[A-ZÀ-Ý]{2}|\(")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces; `&` reads `et`, apostrophes split words."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        text = text.encode("ascii", "ignore").decode("ascii")
    return _NON_WORD.sub(" ", text.lower().replace("&", " et ")).strip()


class NormalizedName(NamedTuple):
    """The comparable form of a name: its significant words in order, sorted, and its initials.
    A named tuple: immutable, and quick to make for every distinct spelling of a large file."""

    tokens: tuple[str, ...]
    key: str  # words in their order
    sorted_key: str  # words sorted: the English and French word orders meet
    initials: str  # first letter of each word; an unexpanded acronym gives all its letters
    acronyms: tuple[str, ...]  # unknown acronyms seen in the name (`ROHE`)
    compact: str = ""  # letters without spaces or legal suffix: `corporatio nde` = `corporation de`


MAX_LONE_ACRONYM = 5  # letters of a one-word capitalized name taken for an acronym whatever its vowels


def _acronym_tokens(raw: str) -> set[str]:
    """Words typed in capitals (2 to 8 letters) in a name that is not all capitals, and any
    parenthesised short word: `ROHE`, `(ROHE)`."""
    found: set[str] = set()
    if not _CAPITALS.search(raw):
        return found
    all_caps = raw.upper() == raw
    # A name that is one capitalized word of 2 to 5 letters is an acronym even with vowels in
    # it (`AFE`, `OJAL`, `SEC`): a short form keeps its article (`L'ÉLAN`), a one-word name is rare.
    alone = raw.strip()
    one_word = 2 <= len(alone) <= MAX_LONE_ACRONYM and alone.isalpha()
    for inner in _PAREN.findall(raw):
        word = inner.strip()
        if 2 <= len(word) <= 10 and word.isalpha() and " " not in word:
            found.add(fold(word))
    for word in _RAW_TOKEN.findall(raw):
        if 2 <= len(word) <= 8 and word.isupper() and word.isalpha():
            folded = fold(word)
            if not all_caps or (
                folded not in WORDS and folded not in STOPWORDS and (one_word or _looks_like_acronym(folded))
            ):
                found.add(folded)
    return found


def _looks_like_acronym(word: str) -> bool:
    """In a name typed all in capitals, only a short run of consonants passes for an acronym."""
    vowels = sum(ch in "aeiouy" for ch in word)
    return len(word) <= 5 and (vowels == 0 or (len(word) <= 4 and vowels <= 1))


def _word_form(word: str) -> tuple[str, ...]:
    """The canonical words one folded word stands for (none for an article or a legal suffix)."""
    if word in ACRONYMS:
        return tuple(_plural(WORDS.get(part, part)) for part in ACRONYMS[word].split())
    if word in STOPWORDS or word in LEGAL_SUFFIXES:
        return ()
    return (_plural(WORDS.get(word, word)),)


_WORD_FORMS: dict[str, tuple[str, ...]] = {}
_NOT_ACRONYMS = frozenset(WORDS) | frozenset(ACRONYMS) | STOPWORDS | LEGAL_SUFFIXES


def _plural(word: str) -> str:
    if len(word) > 4 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=1 << 20)
def normalize_name(raw: str) -> NormalizedName:
    """The comparable form of an organization name (cached: the same spelling is worked out once)."""
    acronym_words = _acronym_tokens(raw)
    # A parenthesised acronym repeats the name: `Centre … (CALACS)` compares on its words.
    if "(" in raw:
        stripped = _PAREN.sub(lambda m: " " if fold(m.group(1)) in acronym_words else f" {m.group(1)} ", raw)
        text = fold(stripped) or fold(raw)
    else:
        text = fold(raw)
    if _ANY_PHRASE.search(text):
        for pattern, words in _PHRASES:
            text = pattern.sub(words, text)
    tokens: list[str] = []
    kept_acronyms: list[str] = []
    words = text.split()
    for word in words:
        if acronym_words and word in acronym_words and word not in _NOT_ACRONYMS:
            tokens.append(word)
            kept_acronyms.append(word)
            continue
        form = _WORD_FORMS.get(word)
        if form is None:
            form = _WORD_FORMS[word] = _word_form(word)
        tokens.extend(form)
    if not tokens:  # a name made only of small words: keep them rather than nothing
        tokens = words or [fold(raw) or "?"]
    compact = "".join(word for word in words if word not in LEGAL_SUFFIXES)
    if kept_acronyms:
        acronym_set = set(kept_acronyms)
        initials = "".join(word if word in acronym_set else word[0] for word in tokens)
    else:
        initials = "".join(word[0] for word in tokens)
    return NormalizedName(
        tuple(tokens), " ".join(tokens), " ".join(sorted(tokens)), initials, tuple(kept_acronyms), compact
    )


@lru_cache(maxsize=1 << 16)
def normalize_city(raw: str) -> str:
    """`St-Jérôme`, `Saint Jérôme`, `Ville de Saint-Jérôme` → `saint jerome`."""
    text = fold(raw)
    text = re.sub(r"^(ville|city|municipalite|town|village|cite) (de |d |of |du )?", "", text)
    text = re.sub(r"\b(st|ste|sainte)\b", "saint", text)
    return text.strip()


# Words that say what kind of organization it is, not which one: two names that differ only in
# such words are the same organization written two ways only if the rest agrees.
KIND_WORDS = frozenset(
    [
        "centre",
        "femme",
        "jeune",
        "maison",
        "association",
        "regroupement",
        "organisme",
        "communautaire",
        "service",
        "aide",
        "famille",
        "table",
        "concertation",
        "municipalite",
        "conseil",
        "nation",
        "corporation",
        "developpement",
        "carrefour",
        "emploi",
        "hebergement",
        "justice",
        "alternative",
        "travail",
        "rue",
        "prevention",
        "ressource",
        "personne",
        "coalition",
        "lutte",
        "contre",
        "agression",
        "caractere",
        "sexuelle",
        "victime",
        "acte",
        "criminel",
        "entraide",
        "scolaire",
        "autochtone",
        "amitie",
        "regional",
        "national",
        "premiere",
        "integre",
        "sante",
        "social",
        "local",
        "petite",
        "enfance",
        "commission",
        "comite",
        "reseau",
        "groupe",
        "federation",
        "fondation",
        "institut",
        "cooperative",
        "exploitation",
        "intervention",
        "soutien",
        "bande",
        "universitaire",
        "regionale",
        "comte",
    ]
)
