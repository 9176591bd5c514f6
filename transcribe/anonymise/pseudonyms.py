"""Pseudonyms: a made-up name for each person, chosen once and kept in the study key.

Candidates are the first names and surnames of Faker's lists for the study's language (English:
the British and American lists; French: France, Belgium, Switzerland, Canada), in Latin letters, at least three long, and never an ordinary word ("Will", "Rose",
"Grace": the language's lexicon decides) or a place name ("Florence", "Chester"), so that a
pseudonym cannot be mistaken for a word, a place or a detection's miss.

For one person, a candidate is also refused if it is any word of a real name the study knows
(the roster's names and aliases, every original in the key, the study's places and
organisations), sounds or looks like one (name similarity of 0.85 or more: "Sara" for "Sarah",
"Tim" for "Tom"), or is already someone else's pseudonym. The choice among the rest is random
(the system's random source): a pseudonym carries nothing of the real name but its gender, taken
from the name lists where the real first name is clearly one gender's (or from a title: Mrs,
Mr), else a first name the lists give to both.

A mention keeps its shape: "Sarah" becomes "Emma", "Sarah Jones" "Emma Clarke", "Ms Jones"
"Ms Clarke", "jones's" "clarke's".
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..text import fold, fold_for_matching
from .languages import TITLES

LOCALES = {"en": ("en_GB", "en_US"), "fr": ("fr_FR", "fr_BE", "fr_CH", "fr_CA")}
# Where the language's lists give a first name to both genders (English: the American, Irish and
# New Zealand lists; the British one gives none), it is a neutral one.
NEUTRAL_LOCALES = {"en": ("en_US", "en_IE", "en_NZ"), "fr": ("fr_FR", "fr_BE", "fr_CH", "fr_CA")}
FEMALE_TITLES = frozenset({"mrs", "ms", "miss", "dame", "lady", "aunt", "auntie"})
MALE_TITLES = frozenset({"mr", "sir", "lord", "uncle"})
FEMALE, MALE = "female", "male"
# At or above this name similarity, a candidate is too like a real name to be its stand-in.
TOO_CLOSE = 0.85
# A name the lists give to one gender this many times as often as to the other is that gender's.
CLEAR_GENDER = 3
MIN_NEUTRAL = 8


def key_form(name: str) -> str:
    """The form pseudonyms and real names are compared in: no accents, lower case."""
    return fold_for_matching(name).strip().strip(".")


@functools.cache
def _faker_lists() -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    """Every Faker person locale with gendered first names: (female, male, surnames), as written."""
    import importlib
    import pkgutil

    import faker.providers.person as providers

    lists = {}
    for module in pkgutil.iter_modules(providers.__path__):
        provider = importlib.import_module(f"{providers.__name__}.{module.name}").Provider
        female = frozenset(getattr(provider, "first_names_female", ()) or ())
        male = frozenset(getattr(provider, "first_names_male", ()) or ())
        surnames = frozenset(getattr(provider, "last_names", ()) or ())
        if female and male:
            lists[module.name] = (female, male, surnames)
    return lists


@functools.cache
def _gender_counts() -> dict[str, tuple[int, int]]:
    """Folded first name -> (locales listing it as female, as male)."""
    counts: dict[str, list[int]] = {}
    for female, male, _ in _faker_lists().values():
        for name in female:
            counts.setdefault(key_form(name), [0, 0])[0] += 1
        for name in male:
            counts.setdefault(key_form(name), [0, 0])[1] += 1
    return {name: (f, m) for name, (f, m) in counts.items()}


def gender_of(name: str) -> str | None:
    """The gender the name lists clearly give a first name (or a title gives), else None.

    `name` may carry titles ("Mrs Jones"): a gendered title decides; otherwise the first word that
    is not a title is looked up.
    """
    words = [key_form(w) for w in name.split() if key_form(w)]
    titles = [w for w in words if w in TITLES]
    if any(t in FEMALE_TITLES for t in titles):
        return FEMALE
    if any(t in MALE_TITLES for t in titles):
        return MALE
    names = [w for w in words if w not in TITLES]
    if not names or (titles and len(names) == 1):  # "Dr Carter": a surname says nothing
        return None
    first = names[0]
    female, male = _gender_counts().get(first, (0, 0))
    if female and female >= CLEAR_GENDER * male:
        return FEMALE
    if male and male >= CLEAR_GENDER * female:
        return MALE
    return None


@dataclass(frozen=True)
class Pools:
    """The candidates of one language, sorted: first names by gender (neutral: given to both) and surnames."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    neutral: tuple[str, ...]
    surnames: tuple[str, ...]


def _ordinary(language: str):
    """Whether a word is an ordinary word of the study's language or of English."""
    from .lexicons import ordinary_words

    english = ordinary_words("en")
    own = ordinary_words(language) if language != "en" else english
    return lambda word: fold(word) in english or fold(word) in own


@functools.cache
def pools(language: str) -> Pools:
    from .recognizers.words import is_latin, place_names

    ordinary = _ordinary(language)
    places = place_names()

    def usable(names: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({n for n in names if len(n) >= 3 and n.isalpha() and is_latin(n) and n[0].isupper()
                             and not ordinary(n) and fold(n) not in places and key_form(n) not in TITLES}))

    lists = _faker_lists()
    chosen = [lists[locale] for locale in LOCALES.get(language, LOCALES["en"]) if locale in lists]
    female = usable(n for f, _, _ in chosen for n in f)
    male = usable(n for _, m, _ in chosen for n in m)
    # Neutral: given to both in one of the language's own lists (where they have too few such
    # names, as French: in two lists of any language).
    both = {key_form(n) for locale in NEUTRAL_LOCALES.get(language, NEUTRAL_LOCALES["en"]) if locale in lists
            for n in lists[locale][0] & lists[locale][1]}
    neutral = tuple(n for n in sorted(set(female) | set(male)) if key_form(n) in both)
    if len(neutral) < MIN_NEUTRAL:
        both |= {name for name, (f, m) in _gender_counts().items() if min(f, m) >= 2}
        neutral = tuple(n for n in sorted(set(female) | set(male)) if key_form(n) in both)
    surnames = usable(n for _, _, s in chosen for n in s)
    return Pools(female, male, neutral, surnames)


@dataclass
class Forbidden:
    """What one person's pseudonym must not be: the study's real name words (folded), and the
    words of the pseudonyms other people have."""

    real: set[str]
    taken: set[str]

    def allows(self, candidate: str) -> bool:
        from .recognizers.fuzzy import name_similarity

        word = key_form(candidate)
        if word in self.real or word in self.taken:
            return False
        return all(name_similarity(word, real) < TOO_CLOSE for real in self.real if len(real) > 1)


def _pick(candidates: Iterable[str], forbidden: Forbidden, rng: random.Random) -> str | None:
    order = list(candidates)
    rng.shuffle(order)
    return next((c for c in order if forbidden.allows(c)), None)


class NoPseudonymLeft(Exception):
    """Every candidate is a real name of the study or already taken."""


def choose_first(gender: str | None, language: str, forbidden: Forbidden, rng: random.Random) -> str:
    """A first name of the gender (neutral when unknown), else any the lists have."""
    p = pools(language)
    preferred = {FEMALE: p.female, MALE: p.male}.get(gender, p.neutral)
    found = _pick(preferred, forbidden, rng) or _pick(p.female + p.male, forbidden, rng)
    if found is None:
        raise NoPseudonymLeft
    return found


def choose_surname(language: str, forbidden: Forbidden, rng: random.Random) -> str:
    found = _pick(pools(language).surnames, forbidden, rng)
    if found is None:
        raise NoPseudonymLeft
    return found


# --- mentions ------------------------------------------------------------------------------------

_POSSESSIVE = re.compile(r"(['’]s?)$")


@dataclass(frozen=True)
class Shape:
    """How a mention names a person: its titles as written, and whether it has a first name and a surname."""

    titles: tuple[str, ...]
    first: bool
    last: bool
    suffix: str  # a possessive the detection included ("'s")


def shape_of(mention: str, surnames: Iterable[str]) -> Shape:
    """The shape of `mention` given the person's real surnames (folded): one name word after a title,
    or one of their surnames, is a surname; any other single word is a first name."""
    words = mention.split()
    suffix = ""
    if words:
        match = _POSSESSIVE.search(words[-1])
        if match and len(words[-1]) > len(match.group(1)):
            suffix, words[-1] = match.group(1), words[-1][: -len(match.group(1))]
    titles = []
    while words and key_form(words[0]) in TITLES and len(words) > 1:
        titles.append(words.pop(0))
    if not words:
        return Shape(tuple(titles), True, False, suffix)
    if len(words) > 1:
        return Shape(tuple(titles), True, True, suffix)
    surname = bool(titles) or key_form(words[0]) in set(surnames)
    return Shape(tuple(titles), not surname, surname, suffix)


def surface(mention: str, pseudonym: str, surnames: Iterable[str]) -> str:
    """The pseudonym written as `mention` is: its titles, first name and/or surname, its case."""
    shape = shape_of(mention, surnames)
    first, _, last = pseudonym.partition(" ")
    parts = list(shape.titles)
    if shape.first or not last:
        parts.append(first)
    if shape.last and last:
        parts.append(last)
    text = " ".join(parts) + shape.suffix
    letters = "".join(ch for ch in mention if ch.isalpha())
    if letters.islower():
        return text.lower()
    if letters.isupper() and len(letters) > 1:
        return text.upper()
    return text
