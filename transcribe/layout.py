"""Lay a transcript out on fixed-width, continuously numbered lines.

Several versions of one transcript (identifiable and anonymised) are laid out together on the
same lines, so a line cited in the shareable text ("p3, line 214") is the same line in the private
one. Where the breaks fall must not depend on what was hidden, nor on the researcher's review
decisions: with a `shape` (the transcript with every detected identifier replaced by a slot of
`SLOT_WIDTH` characters, see `anonymise.apply.layout_shape`), the breaks come from the shape alone.
Accepting, rejecting or rewording a detection then moves no word to another line, and a line that
ends at a placeholder ends there whatever the length of the name. A text longer than its slot (a
long name in the identifiable version, a long wording of the researcher's own) runs past the line
width instead. Only a new detection (a missed identifier marked) re-flows its turn.

A word that does not start with a space (a comma, "'s") is never put at the start of a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .timecode import clock
from .transcript import Transcript

MIN_WIDTH = 40
GUTTER_GAP = 2
LABEL_GAP = 2
# Wide enough for every placeholder up to "[Organisation 99]" and a punctuation mark after it.
SLOT_WIDTH = 18
_PUNCTUATION = re.compile(r"^\s*[,.;:!?…]+$")


@dataclass
class Line:
    number: int
    speaker: str | None  # the label on a turn's first line, None on its continuation lines
    text: str
    start: float  # time of the turn this line belongs to
    turn: int  # index of the turn
    words: tuple[int, int] = (0, 0)  # range of the turn's word indices on this line


@dataclass
class Page:
    """One version of a transcript laid out: its lines and the column geometry used."""

    lines: list[Line]
    gutter: int  # characters for the line number
    label_width: int  # characters for "label:" plus its gap

    def line_of(self, turn: int, word: int) -> int:
        """The number of the line that shows word `word` of turn `turn`."""
        for line in self.lines:
            if line.turn == turn and line.words[0] <= word < line.words[1]:
                return line.number
        return next((line.number for line in reversed(self.lines) if line.turn == turn), 0)

    def render_line(self, line: Line) -> str:
        label = f"{line.speaker}:" if line.speaker else ""
        return f"{line.number:>{self.gutter}}{' ' * GUTTER_GAP}{label:<{self.label_width}}{line.text}".rstrip()


def layout(versions: list[Transcript], width: int = 80, timestamps: bool = False,
           shape: Transcript | None = None) -> list[Page]:
    """Lay out one or more versions of a transcript on identical numbered lines.

    Without a `shape`, every word position takes the width of its longest version.
    """
    if width < MIN_WIDTH:
        raise ValueError(f"line width {width} is too small; use at least {MIN_WIDTH}")
    first = versions[0]
    if any(len(v.turns) != len(first.turns) or any(len(a.words) != len(b.words) for a, b in zip(v.turns, first.turns))
           for v in versions[1:] + ([shape] if shape is not None else [])):
        raise ValueError("the versions of a transcript must have the same turns and words")
    # Lines break for the labels of the first version (and the shape); a version with longer
    # labels (participants labelled by pseudonym) widens its own label column and runs past the
    # width instead, so that its line numbers stay those of the others.
    label_width = _label_width([first] + ([shape] if shape is not None else []))
    gutter = 4
    while True:
        pages = _wrap(versions, shape, width - gutter - GUTTER_GAP - label_width, timestamps)
        if len(str(len(pages[0]))) <= gutter:
            break
        gutter = len(str(len(pages[0])))
    return [Page(lines, gutter, max(label_width, _label_width([version]))) for lines, version in zip(pages, versions)]


def _label_width(versions: list[Transcript]) -> int:
    labels = [t.speaker for v in versions for t in v.turns]
    return max((len(label) + 1 for label in labels), default=2) + LABEL_GAP


def _tokens(version: Transcript, index: int, timestamps: bool) -> list[str]:
    turn = version.turns[index]
    tokens = [w.text for w in turn.words]
    if timestamps:
        tokens = [f" [{clock(turn.start)}]"] + tokens
    return tokens


def _wrap(versions: list[Transcript], shape: Transcript | None, available: int, timestamps: bool) -> list[list[Line]]:
    pages: list[list[Line]] = [[] for _ in versions]
    number = 0
    for t in range(len(versions[0].turns)):
        texts = [_tokens(v, t, timestamps) for v in versions]
        breaks = _break_positions([_tokens(shape, t, timestamps)] if shape is not None else texts, available)
        shift = 1 if timestamps else 0  # the timestamp token is not a word
        for line_index, (a, b) in enumerate(zip(breaks, breaks[1:])):
            number += 1
            words = (max(a - shift, 0), max(b - shift, 0))
            for page, version, tokens in zip(pages, versions, texts):
                turn = version.turns[t]
                page.append(Line(number, turn.speaker if line_index == 0 else None,
                                 "".join(tokens[a:b]).strip(), turn.start, t, words))
    return pages


def glued(text: str) -> bool:
    """Whether a word's text belongs to the word before it: no leading space, or punctuation only."""
    return bool(text) and (not text[:1].isspace() or bool(_PUNCTUATION.match(text)))


def _can_start_line(tokens: list[str]) -> bool:
    """A line may start before a token only if it is a word of its own in every version."""
    present = [token for token in tokens if token]
    return bool(present) and not any(glued(token) for token in present)


def _break_positions(texts: list[list[str]], available: int) -> list[int]:
    """Token indices where lines start (plus the end), fitting every version into `available`."""
    count = len(texts[0])
    breaks = [0]
    used = 0
    for i in range(count):
        tokens = [version[i] for version in texts]
        if used == 0:
            used = max(len(token.lstrip()) for token in tokens)
            continue
        need = max(len(token) for token in tokens)
        if used + need > available and _can_start_line(tokens):
            breaks.append(i)
            used = max(len(token.lstrip()) for token in tokens)
        else:
            used += need
    breaks.append(count)
    return breaks if count else [0, 0]
