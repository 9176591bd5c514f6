"""Fixed-width numbered lines, shared by the identifiable and anonymised versions."""

from __future__ import annotations

import copy
import re

import pytest

from transcribe.anonymise.apply import Found, anonymise, layout_shape
from transcribe.anonymise.detect import Detection
from transcribe.anonymise.key import StudyKey
from transcribe.layout import Page, layout
from transcribe.reliability import mark
from transcribe.transcript import Transcript, Turn, Word


def transcript(*turns: tuple[str, str]) -> Transcript:
    built, t = [], 0.0
    for speaker, text in turns:
        words = []
        for token in text.split():
            words.append(Word(" " + token, t, t + 0.3, 0.9, speaker))
            t += 0.4
        built.append(Turn(speaker, speaker, words[0].start, words[-1].end, words))
        t += 1.0
    return Transcript("p1", t, built)


LONG = ("To be honest I didn't know that I was in that for a while, and me and Sarah Jones were quite "
        "confused about what they were trying to accomplish at the start of the whole scheme.")


def test_lines_are_numbered_continuously_and_fit_the_width():
    t = transcript(("I", "So could you start by telling me a little about how you came to the scheme?"), ("p5", LONG))
    (page,) = layout([t], width=60)
    rendered = [page.render_line(line) for line in page.lines]
    assert [line.number for line in page.lines] == list(range(1, len(rendered) + 1))
    assert all(len(r) <= 60 for r in rendered)
    assert rendered[0].startswith("   1  I:   So could")
    # Continuation lines hang under the text, not under the label.
    text_column = rendered[0].index("So")
    line, continuation = next((line, r) for line, r in zip(page.lines, rendered) if line.speaker is None)
    assert continuation.index(line.text) == text_column
    # No word is lost or split.
    assert " ".join(line.text for line in page.lines).split() == (
        "So could you start by telling me a little about how you came to the scheme? " + LONG).split()


def test_versions_break_at_the_same_words():
    identifiable = transcript(("p5", LONG))
    anonymised = copy.deepcopy(identifiable)
    for word in anonymised.turns[0].words:
        word.text = {" Sarah": " [p4]", " Jones": ""}.get(word.text, word.text)
    pages = layout([identifiable, anonymised], width=50)
    assert [line.number for line in pages[0].lines] == [line.number for line in pages[1].lines]
    assert [line.words for line in pages[0].lines] == [line.words for line in pages[1].lines]
    assert all(len(pages[v].render_line(line)) <= 50 for v in (0, 1) for line in pages[v].lines)
    assert "[p4]" in " ".join(line.text for line in pages[1].lines)


def test_a_longer_placeholder_never_overflows_either_version():
    identifiable = transcript(("p1", "I asked Al and Bo and Cy and Di and Ed and Flo and Gus about it " * 3))
    anonymised = copy.deepcopy(identifiable)
    for word in anonymised.turns[0].words:
        if word.text.strip() in {"Al", "Bo", "Cy", "Di", "Ed", "Flo", "Gus"}:
            word.text = " [Name 12]"
    pages = layout([identifiable, anonymised], width=45)
    assert all(len(page.render_line(line)) <= 45 for page in pages for line in page.lines)


def test_timestamps_at_turn_starts():
    t = transcript(("I", "Hello there."), ("p1", "Hi."))
    (page,) = layout([t], timestamps=True)
    assert page.lines[0].text.startswith("[00:00:00] Hello")
    assert page.lines[1].text.startswith("[00:00:01] Hi.")


def test_line_of_a_word():
    t = transcript(("p5", LONG))
    (page,) = layout([t], width=50)
    last = len(t.turns[0].words) - 1
    assert page.line_of(0, 0) == 1
    assert page.line_of(0, last) == page.lines[-1].number


def test_too_narrow():
    with pytest.raises(ValueError, match="too small"):
        layout([transcript(("I", "Hello."))], width=20)


# --- nothing re-identifying in the layout (issue 11 item 5) ---------------------------------------

NAMES = "I asked Sarah Jones about it and she said that Tom had already spoken to the people at Riverside about the plan for the new building"


def _found(t: Transcript, *names: str) -> list[Found]:
    text = t.turns[0].text
    return [Found(0, Detection(m.start(), m.end(), n, "person", "ner", 0.85, None))
            for n in names for m in re.finditer(re.escape(n), text)]


def _shared_and_private(t: Transcript, found: list[Found], decisions: dict[str, str], width: int = 50) -> list[Page]:
    anonymised, _ = anonymise(t, found, decisions, StudyKey([]))
    return layout([mark(t), mark(anonymised)], width, shape=mark(layout_shape(t, found)))


def test_review_decisions_never_move_words_to_other_lines():
    t = transcript(("p1", NAMES * 2))
    found = _found(t, "Sarah Jones", "Tom", "Riverside")
    variants = [{}, {f.id: "reject" for f in found}, {found[0].id: "[a friend of the family from church]"},
                {found[1].id: "[T]", found[2].id: "reject"}]
    layouts = [[line.words for line in page.lines] for d in variants for page in _shared_and_private(t, found, d)]
    assert all(words == layouts[0] for words in layouts)


def test_where_a_line_ends_does_not_depend_on_the_hidden_name():
    shared = []
    for name in ("Al", "Bartholomew-Fitzwilliam"):
        t = transcript(("p1", NAMES.replace("Tom", name) * 2))
        pages = _shared_and_private(t, _found(t, "Sarah Jones", name, "Riverside"), {})
        shared.append([pages[1].render_line(line) for line in pages[1].lines])
    assert shared[0] == shared[1]
    assert any(line.endswith("[Name 2]") for line in shared[0]) or len(shared[0]) > 1


def test_only_a_new_detection_reflows_and_only_its_own_turn():
    t = transcript(("I", NAMES), ("p1", NAMES), ("I", NAMES))
    found = [Found(turn, d.detection) for turn in range(3) for d in _found(t, "Sarah Jones")]
    before = _shared_and_private(t, found, {})[1]
    text = t.turns[1].text
    missed = Found(1, Detection(text.index("Riverside"), text.index("Riverside") + 9, "Riverside", "place", "manual", 1.0, None))
    after = _shared_and_private(t, found + [missed], {})[1]
    assert [line.words for line in before.lines if line.turn == 0] == [line.words for line in after.lines if line.turn == 0]
    shift = len([line for line in after.lines if line.turn <= 1]) - len([line for line in before.lines if line.turn <= 1])
    assert [(line.number, line.words) for line in before.lines if line.turn == 2] == [
        (line.number - shift, line.words) for line in after.lines if line.turn == 2]


def test_the_identifiable_text_follows_the_shared_breaks_and_may_run_past_the_width():
    t = transcript(("p1", NAMES.replace("Tom", "Bartholomew-Fitzwilliam-Montgomery") * 2))
    found = _found(t, "Sarah Jones", "Bartholomew-Fitzwilliam-Montgomery", "Riverside")
    private, shared = _shared_and_private(t, found, {}, width=60)
    assert [line.words for line in private.lines] == [line.words for line in shared.lines]
    assert all(len(shared.render_line(line)) <= 60 for line in shared.lines)
    assert any(len(private.render_line(line)) > 60 for line in private.lines)


def test_no_line_starts_with_a_word_that_belongs_to_the_one_before():
    t = transcript(("p1", "one two three four five six seven eight nine ten eleven twelve thirteen"))
    words = t.turns[0].words
    for i in range(1, len(words)):
        words[i].text = "," if i % 3 == 0 else words[i].text  # punctuation recognised as words of its own
    words[7].text = " ."
    for width in range(40, 60):
        (page,) = layout([t], width)
        assert not any(line.text.startswith((",", ".")) for line in page.lines)
        assert " ".join(line.text for line in page.lines).replace(" ,", ",").replace(" .", ".") == t.turns[0].text.replace(" .", ".")


def _review_found(private, code: str) -> list[Found]:
    """The detections of one interview, as the review file lists them."""
    import csv

    with open(private / "review.csv", newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["interview"] == code and not r["priority"].startswith("stale")]
    found = []
    for row in rows:
        turn, start = (int(x) for x in re.fullmatch(r"t(\d+)c(\d+)", row["id"]).groups())
        found.append(Found(turn, Detection(start, start + len(row["text"]), row["text"], row["category"], row["source"],
                                           float(row["score"]), None)))
    return found


def test_the_sample_run_keeps_its_lines_whatever_the_decisions(study_run):
    out, private, _ = study_run
    for path in sorted(private.glob("*.identifiable.json")):
        code = path.name.split(".")[0]
        t = Transcript.from_json(path.read_text())
        found = _review_found(private, code)
        assert found
        private_page, shared_page = _shared_and_private(t, found, {}, width=80)
        # what the run wrote is this layout: the private text line for line
        written = [line for line in (private / f"{code}.identifiable.txt").read_text().splitlines() if re.match(r"^ *\d+  ", line)]
        assert written == [private_page.render_line(line) for line in private_page.lines]
        words = [line.words for line in shared_page.lines]
        for decisions in ({f.id: "reject" for f in found}, {f.id: "[someone the participant knows well]" for f in found}):
            assert all([line.words for line in page.lines] == words for page in _shared_and_private(t, found, decisions, 80))


def test_the_sample_run_shares_nothing_of_the_hidden_words(study_run):
    import json

    out, private, _ = study_run
    for path in sorted(private.glob("*.identifiable.json")):
        code = path.name.split(".")[0]
        recording_hash = json.loads(path.read_text())["audio"]["sha256"]
        assert not any(recording_hash in f.read_bytes().decode("utf-8", "replace") for f in out.glob(f"{code}.*"))
        shared = json.loads((out / f"{code}.json").read_text())
        assert "sha256" not in shared["audio"]
        placeholders = [w for turn in shared["turns"] for w in turn["words"] if re.search(r"\[[^\]]+\]", w["text"])
                        and not re.search(r"\[(inaudible|crosstalk) ", w["text"])]
        assert placeholders
        assert all(w["end"] == w["start"] and w["probability"] is None and "(?)" not in w["text"] for w in placeholders)
        for name in (f"{code}.txt", f"{code}.srt", f"{code}.vtt"):
            lines = [re.sub(r"^ *\d+  (\S+:)? *|^\S+: |^<v [^>]+>", "", line) for line in (out / name).read_text().splitlines()]
            assert not any(line.startswith((",", ".")) for line in lines), name
        text = (out / f"{code}.txt").read_text()
        assert not re.search(r"\](\([?]\))", text)  # no (?) on a placeholder
