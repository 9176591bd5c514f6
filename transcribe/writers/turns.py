"""The spoken text of turns, as the turn-based formats write it."""

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

