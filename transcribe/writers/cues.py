"""Split speaker turns into subtitle cues a player can show.

A cue holds at most two lines of at most 42 characters (the speaker label counts on the first line)
and at most 7 seconds of speech; a pause of two seconds, or a sentence ending on a cue's last line,
also starts a new cue. A word that does not start with a space (a comma, "'s") stays on the line of
the word before it, so no line or cue starts with stray punctuation. Times come from the words and are kept in whole milliseconds so that, once
fixed up, every cue ends after it starts and no cue overlaps the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layout import glued
from ..transcript import Transcript, Word

MAX_CHARS = 42
MAX_LINES = 2
MAX_MS = 7000
PAUSE_MS = 2000
MIN_MS = 1000  # a short cue stays up this long unless the next one starts sooner


@dataclass
class Cue:
    start: int  # milliseconds
    end: int
    speaker: str
    lines: list[str]


def cues(transcript: Transcript) -> list[Cue]:
    """All cues of the transcript, in order, with times that never run backwards."""
    raw = [cue for turn in transcript.turns for cue in _split(turn.speaker, turn.words)]
    fixed: list[Cue] = []
    for i, cue in enumerate(raw):
        start = max(cue.start, fixed[-1].end if fixed else 0)
        end = max(cue.end, start + MIN_MS)
        if i + 1 < len(raw):
            end = min(end, max(raw[i + 1].start, cue.end))
        fixed.append(Cue(start, max(min(end, start + MAX_MS), start + 1), cue.speaker, cue.lines))
    return fixed


def _tokens(words: list[Word]) -> list[tuple[str, int, int]]:
    """(text, start ms, end ms) of each word to show, a glued word merged into the one before it."""
    tokens: list[tuple[str, int, int]] = []
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        start, end = round(word.start * 1000), round(word.end * 1000)
        if tokens and glued(word.text):
            before, first, last = tokens[-1]
            tokens[-1] = (before + text, first, max(last, end))
        else:
            tokens.append((text, start, end))
    return tokens


def _split(speaker: str, words: list[Word]) -> list[Cue]:
    first_line = MAX_CHARS - len(f"{speaker}: ")
    out: list[Cue] = []
    closed = True
    for text, start, end in _tokens(words):
        cue = out[-1] if out else None
        limit = first_line if cue and len(cue.lines) == 1 else MAX_CHARS
        if closed or start - cue.end > PAUSE_MS or end - cue.start > MAX_MS:
            out.append(Cue(start, end, speaker, [text]))
        elif len(cue.lines[-1]) + 1 + len(text) <= limit:
            cue.lines[-1] += " " + text
        elif len(cue.lines) < MAX_LINES:
            cue.lines.append(text)
        else:
            out.append(Cue(start, end, speaker, [text]))
        cue = out[-1]
        cue.end = max(cue.end, end)
        # a sentence that ends on the last line closes the cue, so the next one starts afresh
        closed = len(cue.lines) == MAX_LINES and text.endswith((".", "?", "!"))
    return out
