"""The spoken text of turns and the time forms shared by the turn-based formats."""

from __future__ import annotations

from collections.abc import Iterator

from ..transcript import Transcript, Turn


def turn_text(turn: Turn) -> str:
    """The turn's words on one line: merged (empty) words skipped, whitespace collapsed."""
    return " ".join(turn.text.split())


def spoken_turns(transcript: Transcript) -> Iterator[tuple[Turn, str]]:
    """Each turn with its text, leaving out turns that have no text to show."""
    for turn in transcript.turns:
        text = turn_text(turn)
        if text:
            yield turn, text


def tenths(seconds: float) -> int:
    """A time in whole tenths of a second, the precision QDA programs keep."""
    return max(0, round(seconds * 10))


def clock(tenth: int, separator: str = ".") -> str:
    """hh:mm:ss, `separator`, then the tenths digit: '00:01:02.5'."""
    return f"{tenth // 36000:02d}:{tenth // 600 % 60:02d}:{tenth // 10 % 60:02d}{separator}{tenth % 10}"
