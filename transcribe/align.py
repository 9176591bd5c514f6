"""Attribute recognised words to diarised speakers and group them into turns."""

from __future__ import annotations

from collections import defaultdict

from .asr import Segment
from .diarise import Diarisation, SpeakerTurn
from .transcript import Turn, Word

# A word outside every speaker turn goes to the nearest turn if it is this close (seconds);
# further away it stays with the speaker of the word before it.
NEAREST_TURN_LIMIT = 1.0
# A word counts as crosstalk when a second speaker covers this share of it.
CROSSTALK_SHARE = 0.5


def _overlaps(start: float, end: float, turns: list[SpeakerTurn]) -> dict[str, float]:
    covered: dict[str, float] = defaultdict(float)
    for turn in turns:
        if turn.end > start and turn.start < end:
            covered[turn.speaker] += min(end, turn.end) - max(start, turn.start)
    return covered


def _nearest(start: float, end: float, turns: list[SpeakerTurn]) -> tuple[str | None, float]:
    best, distance = None, float("inf")
    for turn in turns:
        gap = max(turn.start - end, start - turn.end, 0.0)
        if gap < distance:
            best, distance = turn.speaker, gap
    return best, distance


def attribute_words(segments: list[Segment], diarisation: Diarisation) -> list[Word]:
    """Give every word the speaker whose (non-overlapping) turn covers most of it.

    Words in a gap between turns go to the nearest turn when it is close, else they stay with the
    previous word's speaker (a pause inside one person's speech). Words spoken while a second
    speaker's turn covers at least half of them are marked as overlapping speech.
    """
    words: list[Word] = []
    previous: str | None = None
    exclusive = diarisation.exclusive or diarisation.turns
    for segment in segments:
        for w in segment.words:
            start, end = w.start, max(w.end, w.start + 0.01)
            covered = _overlaps(start, end, exclusive)
            if covered:
                speaker = max(covered, key=covered.get)
            else:
                speaker, distance = _nearest(start, end, exclusive)
                if distance > NEAREST_TURN_LIMIT and previous is not None:
                    speaker = previous
            speaker = speaker or previous or "SPEAKER_00"
            everyone = _overlaps(start, end, diarisation.turns)
            others = max((v for s, v in everyone.items() if s != speaker), default=0.0)
            words.append(Word(w.text, w.start, w.end, w.probability, speaker, others >= CROSSTALK_SHARE * (end - start)))
            previous = speaker
    return words


def group_turns(words: list[Word]) -> list[Turn]:
    """Merge consecutive words of one speaker into turns (labels are assigned later by roles)."""
    turns: list[Turn] = []
    for word in words:
        if turns and turns[-1].raw_speaker == word.speaker:
            turns[-1].words.append(word)
            turns[-1].end = max(turns[-1].end, word.end)
        else:
            turns.append(Turn(word.speaker, word.speaker, word.start, word.end, [word]))
    return turns


def align(segments: list[Segment], diarisation: Diarisation) -> list[Turn]:
    return group_turns(attribute_words(segments, diarisation))
