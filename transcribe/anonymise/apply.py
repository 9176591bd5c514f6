"""Find identifiers in a transcript and replace them, keeping one text per word.

Detection runs per turn on the identifiable text. Replacing keeps the transcript's shape: the
first word of a detected span takes the placeholder (with any text before the span), the words
inside the span become empty, and the last keeps what follows the span (``Sarah's`` becomes
``[p1]'s``). The same shape is what lets the shareable and private texts share line numbers.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

from ..transcript import Transcript, Turn
from .detect import Detection, Detector
from .key import StudyKey

ACCEPT, REJECT = "accept", "reject"


@dataclass(frozen=True)
class Found:
    """A detection located in a transcript: turn index plus the detection within the turn's text."""

    turn: int
    detection: Detection

    @property
    def id(self) -> str:
        # Letters keep spreadsheets from reading "3:14" as a time and rewriting it.
        return f"t{self.turn}c{self.detection.start}"

    def to_dict(self) -> dict:
        return {"turn": self.turn, **asdict(self.detection)}

    @classmethod
    def from_dict(cls, data: dict) -> "Found":
        data = dict(data)
        return cls(data.pop("turn"), Detection(**data))


def find_identifiers(detector: Detector, transcript: Transcript) -> list[Found]:
    return [Found(index, d) for index, turn in enumerate(transcript.turns) for d in detector.detect(turn.text)]


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
    """Replace characters [start, end) of the turn's text, editing only the words they touch."""
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
    turn.words[first].text = lead + before + replacement + (after if first == last else "")
    for i in touched[1:]:
        turn.words[i].text = ""
    if last != first:
        turn.words[last].text = after


def anonymise(transcript: Transcript, found: list[Found], decisions: dict[str, str],
              key: StudyKey) -> tuple[Transcript, dict[str, str]]:
    """The anonymised copy of `transcript`, and the placeholder proposed for each detection id.

    `decisions` maps a detection id to "accept" (or empty: the proposed placeholder), "reject"
    (keep the text) or a replacement of the researcher's own. Placeholders are looked up in the
    order the detections appear, so new entities are numbered in order of first appearance;
    rejected detections and those given the researcher's own wording never take a number.
    """
    result = copy.deepcopy(transcript)
    ordered = sorted(found, key=lambda f: (f.turn, f.detection.start))
    proposals: dict[str, str] = {}
    replacements: dict[str, str] = {}
    rejected = custom = 0
    for item in ordered:
        decision = decisions.get(item.id, "").strip()
        if decision.lower() == REJECT:
            rejected += 1
        elif decision and decision.lower() != ACCEPT:
            replacements[item.id], custom = decision, custom + 1
            proposals[item.id] = key.existing(item.detection) or ""
        else:
            proposals[item.id] = replacements[item.id] = key.replacement(item.detection, transcript.code)
    counts: dict[str, int] = {}
    for item in reversed(ordered):  # from the end, so earlier offsets stay valid
        if item.id in replacements:
            replace_span(result.turns[item.turn], item.detection.start, item.detection.end, replacements[item.id])
            counts[item.detection.category] = counts.get(item.detection.category, 0) + 1
    result.anonymisation = {"replacements": dict(sorted(counts.items())), "rejected": rejected, "custom": custom}
    return result, proposals
