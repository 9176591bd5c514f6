"""Fixed-width numbered lines, shared by the identifiable and anonymised versions."""

from __future__ import annotations

import copy

import pytest

from transcribe.layout import layout
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
