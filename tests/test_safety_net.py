"""The study-wide safety net (issue 11, item 1): nothing the study knows reaches a shareable file.

Unit tests on hand-made transcripts for each way a known name used to slip through, and tests
through `Outputs` with detection switched off, to show the net does not depend on it and fails
closed when it cannot do its job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from transcribe.anonymise import operators as operators_module
from transcribe.anonymise import operators
from transcribe.anonymise.key import KeyEntry, StudyKey
from transcribe.anonymise.finding import Finder
from transcribe.anonymise.safety_net import SafetyNet
from transcribe.batch import Batch, Reporter
from transcribe.folders import OutputSettings
from transcribe.pipeline import RunSettings
from transcribe.render import FileResult
from transcribe.study import Person, Study
from transcribe.text import fold, fold_for_matching
from transcribe.transcript import Transcript, Turn, Word

PEOPLE = [
    Person("p1", ("Zoë Hart", "Zoe"), "participant"),
    Person("will", ("Will",), "other"),
    Person("rose_tyler", ("Rose Tyler",), "other"),
    Person("I", ("Helen Carter",), "interviewer"),
]
KEY = [
    KeyEntry("[Name 2]", "person", "grace", "p1"),
    KeyEntry("[Organisation 1]", "organisation", "job centre", "p1"),
    KeyEntry("[Place 1]", "place", "saint james's park", "p1"),
]


def transcript(*turns: str) -> Transcript:
    return Transcript("p1", 10.0, [Turn("p1", "S1", i, i + 1, [Word(" " + w, i, i + 1, 0.9) for w in text.split()])
                                   for i, text in enumerate(turns)])


def hits(text: str) -> list[tuple[str, str, bool]]:
    net = SafetyNet(PEOPLE, StudyKey(PEOPLE, "I", list(KEY)))
    t = transcript(text)
    return [(h.detection.text, h.detection.entity, h.ordinary) for h in net.find(t, t)]


@pytest.mark.parametrize("text, expected", [
    ("then grace came round", [("grace", "grace", False)]),  # a key original in lower case
    ("and will said goodbye", [("will", "will", False)]),  # an ordinary word made a name by the verb after it
    ("i met rose yesterday", [("rose", "rose_tyler", False)]),  # one word of a roster name, after a cue
    ("zoes mum came", [("zoes", "p1", False)]),  # possessive without the apostrophe
    ("Zoe's mum", [("Zoe's", "p1", False)]),
    ("ZOË HART", [("ZOË HART", "p1", False)]),
    ("at the Job Center today", [("Job Center", "job centre", False)]),  # spelling variant
    ("we went to St James Park", [("St James Park", "saint james's park", False)]),  # St / Saint, no possessive
    ("we went to st. james's park", [("st. james's park", "saint james's park", False)]),
    ("helen-carter rang", [("helen-carter", "I", False)]),
])
def test_known_forms_are_found_however_they_are_written(text, expected):
    assert hits(text) == expected


@pytest.mark.parametrize("text", ["I will go home", "she rose early", "Will you come?"])
def test_an_ordinary_word_without_name_context_is_listed_not_replaced(text):
    found = hits(text)
    assert len(found) == 1 and found[0][2] is True


def test_placeholders_and_unrelated_words_are_left_alone():
    assert hits("[p1]'s dog and [Name 2] met jamesy at willow road") == []


def test_folding_for_matching_removes_case_and_diacritics_and_for_lookup_keeps_accents():
    assert fold_for_matching("Zoë’s") == "zoe's"
    assert fold("  Hélène’s  Maison ") == "hélène's maison"


# --- through the renderer, with detection switched off -----------------------------------------------


class NoDetector:
    """Detection that finds nothing: the net must still keep every known name out."""

    def detect(self, text, probabilities=None):
        return []


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    out, private = tmp_path / "t", tmp_path / "t.private"
    out.mkdir()
    private.mkdir(mode=0o700)
    study = Study(people=PEOPLE)
    monkeypatch.setattr(Finder, "detector", lambda self, language: NoDetector())
    return Batch(out, RunSettings(), OutputSettings(["txt", "json"]), study, Reporter()).renderer


def test_without_detection_every_known_name_still_gets_its_placeholder(outputs):
    t = transcript("my name is Zoe Hart and my friend will said hello", "then ZOË came")
    t.audio = {"sha256": "0" * 64}
    result = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, result)
    assert result.status == "done", result.message
    text = (outputs.folders.out / "p1.txt").read_text()
    assert "[p1]" in text and "Zoe" not in text and "ZOË" not in text and "will said" not in text
    assert "Hart" not in text


def test_the_net_fails_closed_when_replacing_does_not_work(outputs, monkeypatch):
    t = transcript("my name is Zoe and I live here")
    t.audio = {"sha256": "1" * 64}
    outputs.write_interview(t, FileResult(Path("x.wav"), "p1", "done"))
    assert (outputs.folders.out / "p1.txt").is_file()
    # A bug: the operator writes the name back; the engine and the words agree, so only the net can see it.
    monkeypatch.setattr(operators.Placeholder, "operate", lambda self, text=None, params=None: text)
    result = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, result)
    assert result.status == "failed" and "would still be readable" in result.message
    assert not (outputs.folders.out / "p1.txt").exists() and not (outputs.folders.out / "p1.json").exists()
    assert (outputs.folders.private / "p1.identifiable.txt").is_file()


def test_replacing_fails_closed_when_the_words_do_not_take_the_engines_text(outputs, monkeypatch):
    t = transcript("my name is Zoe and I live here")
    t.audio = {"sha256": "2" * 64}
    outputs.write_interview(t, FileResult(Path("x.wav"), "p1", "done"))
    assert (outputs.folders.out / "p1.txt").is_file()
    monkeypatch.setattr(operators_module, "replace_span", lambda *args: None)  # a bug: nothing is replaced in the words
    result = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, result)
    assert result.status == "failed" and "anonymiser engine" in result.message
    assert not (outputs.folders.out / "p1.txt").exists() and not (outputs.folders.out / "p1.json").exists()


def test_only_a_newly_found_identifier_moves_lines_and_the_summary_says_so(outputs):
    words = ("we talked for a long time about the garden and the allotment and then "
             "bartholomew came over with the seedlings and we planted them in rows along the fence "
             "until it got dark and everyone went home tired but happy with the work")
    t = transcript(words, "and that was the day")
    t.audio = {"sha256": "2" * 64}
    first = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, first)
    again = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, again)
    assert "line numbers changed" not in again.message  # nothing new: nothing moves
    outputs.anonymiser.study.people.append(Person("bartholomew", ("Bartholomew",), "other"))
    found = FileResult(Path("x.wav"), "p1", "done")
    outputs.write_interview(t, found)
    assert found.status == "done", found.message
    assert "line numbers changed on lines 2-4 (a newly found identifier re-flowed its turn" in found.message
    assert "bartholomew" not in (outputs.folders.out / "p1.txt").read_text().lower()
