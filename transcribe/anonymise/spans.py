"""Where the words of a turn are in its text, and replacing a span of it word by word: the
anonymiser, the replacement operators, the safety net, the review and the studio all place
detections this way."""

from __future__ import annotations

from ..reliability import INAUDIBLE
from ..transcript import Turn


def word_offsets(turn: Turn) -> list[tuple[int, int]]:
    """Character span of each word's visible text within `turn.text`."""
    joined = "".join(w.text for w in turn.words)
    lead = len(joined) - len(joined.lstrip())
    spans, position = [], -lead
    for word in turn.words:
        start = position + (len(word.text) - len(word.text.lstrip()))
        position += len(word.text)
        spans.append((max(start, 0), max(position, 0)))
    return spans


def word_at(turn: Turn, offset: int) -> int:
    """Index of the word that holds character `offset` of the turn's text."""
    for index, (start, end) in enumerate(word_offsets(turn)):
        if offset < end:
            return index
    return max(len(turn.words) - 1, 0)


def replace_span(turn: Turn, start: int, end: int, replacement: str) -> None:
    """Replace characters [start, end) of the turn's text, editing only the words they touch.

    The touched words become one: the first holds the replacement with whatever the touched words
    had before and after the span, keeps its start time and loses its duration, confidence and
    low-confidence flag; the others become empty and unflagged.
    """
    spans = word_offsets(turn)
    touched = [i for i, (a, b) in enumerate(spans) if a < end and b > start]
    if not touched:
        return
    first, last = touched[0], touched[-1]
    a_first = spans[first][0]
    word = turn.words[first].text
    lead = word[: len(word) - len(word.lstrip())]
    visible_first = word.lstrip()
    before = visible_first[: max(0, start - a_first)]
    last_text = turn.words[last].text.lstrip()
    after = last_text[max(0, end - spans[last][0]) :]
    placeholder = turn.words[first]
    placeholder.text = lead + before + replacement + after
    placeholder.end = placeholder.start
    placeholder.probability = None
    placeholder.overlap = any(turn.words[i].overlap for i in touched)
    if placeholder.flag != INAUDIBLE:
        placeholder.flag = None
    for i in touched[1:]:
        turn.words[i].text, turn.words[i].flag, turn.words[i].overlap = "", None, False
