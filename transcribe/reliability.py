"""Inline reliability flags: show the researcher, in the text, where recognition is not to be trusted.

Words get flags when the transcript is built (the raw words stay in the private JSON); rendering
turns them into the notation researchers know:

* ``[inaudible hh:mm:ss]`` replaces a stretch that looks invented: a repetition loop, text where
  diarisation found no speech, a window with a very low average log-probability, a high
  no-speech probability or a compression ratio over Whisper's threshold;
* ``[crosstalk hh:mm:ss]`` goes before words spoken while another speaker was talking;
* a single word recognised with low confidence is followed by ``(?)``, before its punctuation;
* another speaker's back-channel inside a turn is shown with their label: ``[I: mm-hm]``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass

from .asr import Segment
from .diarise import Diarisation
from .timecode import clock
from .transcript import Transcript, Turn, Word

INAUDIBLE = "inaudible"
UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class ReliabilitySettings:
    min_avg_logprob: float = -1.0
    max_no_speech_prob: float = 0.6
    max_compression_ratio: float = 2.4
    min_word_probability: float = 0.3
    max_repeats: int = 3  # an n-gram repeated more often than this in a row is a loop
    max_distance_from_speech: float = 1.0  # seconds from any diarised speech

    def key(self) -> dict:
        return asdict(self)


def _suspect_segment(segment: Segment, s: ReliabilitySettings) -> bool:
    return (segment.avg_logprob < s.min_avg_logprob
            or segment.no_speech_prob > s.max_no_speech_prob
            or segment.compression_ratio > s.max_compression_ratio)


def _normal(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def repetition_loops(words: list[Word], max_repeats: int, max_n: int = 6) -> set[int]:
    """Indices of words inside a run where one 1..max_n-word phrase repeats more than `max_repeats` times."""
    tokens = [_normal(w.text) for w in words]
    looped: set[int] = set()
    for n in range(1, max_n + 1):
        i = 0
        while i + n <= len(tokens):
            phrase = tokens[i : i + n]
            repeats = 1
            while tokens[i + repeats * n : i + (repeats + 1) * n] == phrase:
                repeats += 1
            if repeats > max_repeats and any(phrase):
                looped.update(range(i, i + repeats * n))
                i += repeats * n
            else:
                i += 1
    return looped


def flag_words(turns: list[Turn], segments: list[Segment], diarisation: Diarisation, settings: ReliabilitySettings) -> None:
    """Set `Word.flag` on every word of `turns` that the rendering must mark."""
    suspect = [(s.start, s.end) for s in segments if _suspect_segment(s, settings)]
    speech = diarisation.speech_regions()
    words = [w for turn in turns for w in turn.words]
    loops = repetition_loops(words, settings.max_repeats)
    for index, word in enumerate(words):
        middle = (word.start + word.end) / 2
        in_suspect = any(a <= middle <= b for a, b in suspect)
        far_from_speech = bool(speech) and all(
            middle < a - settings.max_distance_from_speech or middle > b + settings.max_distance_from_speech
            for a, b in speech
        )
        if index in loops or in_suspect or (far_from_speech and diarisation.turns):
            word.flag = INAUDIBLE
        elif word.probability < settings.min_word_probability:
            word.flag = UNCERTAIN


def mark(transcript: Transcript) -> Transcript:
    """A copy of `transcript` with flags rendered as notation, keeping one text per word.

    A run of inaudible words becomes one marker on its first word (the others become empty), so
    the raw text of a suspect stretch never reaches a rendered file.
    """
    marked = copy.deepcopy(transcript)
    labels = {s.get("id"): s.get("label") for s in marked.speakers}
    for turn in marked.turns:
        previous: Word | None = None
        for index, word in enumerate(turn.words):
            if word.flag == INAUDIBLE:
                word.text = "" if previous is not None and previous.flag == INAUDIBLE else f" [inaudible {clock(word.start)}]"
            elif word.aside:
                _aside(word, previous, turn.words[index + 1 : index + 2], labels.get(word.speaker) or word.speaker)
            else:
                if word.flag == UNCERTAIN and word.text.strip():
                    word.text = _with_query(word.text)
                after_aside = previous is not None and previous.aside
                if word.overlap and not (previous is not None and previous.overlap and previous.flag != INAUDIBLE
                                         and not after_aside):
                    word.text = f" [crosstalk {clock(word.start)}]" + (word.text if word.text.startswith(" ") else " " + word.text)
            previous = word
    return marked


def _aside(word: Word, previous: Word | None, following: list[Word], label: str) -> None:
    """A back-channel word in another speaker's turn, bracketed with its speaker's label."""
    text = word.text.strip()
    if word.flag == UNCERTAIN and text:
        text = _with_query(text)
    if not (previous is not None and previous.aside and previous.speaker == word.speaker):
        text = f"[{label}: {text}"
    if not (following and following[0].aside and following[0].speaker == word.speaker):
        text += "]"
    word.text = " " + text


def _with_query(text: str) -> str:
    """'word,' -> 'word(?),'"""
    match = re.match(r"^(.*?)([\"'.,;:!?)]*)$", text)
    return f"{match.group(1)}(?){match.group(2)}"


def count_flags(transcript: Transcript) -> dict[str, int]:
    """Number of marked passages of each kind (runs, not words)."""
    counts = {INAUDIBLE: 0, "crosstalk": 0, UNCERTAIN: 0}
    for turn in transcript.turns:
        previous: Word | None = None
        for word in turn.words:
            if word.flag == INAUDIBLE and not (previous and previous.flag == INAUDIBLE):
                counts[INAUDIBLE] += 1
            elif word.flag == UNCERTAIN:
                counts[UNCERTAIN] += 1
            if word.overlap and word.flag != INAUDIBLE and not word.aside and not (previous and previous.overlap
                                                                                 and not previous.aside):
                counts["crosstalk"] += 1
            previous = word
    return counts
