"""Accuracy beside speed: word error rate and diarisation error rate, scored as in tests/.

WER: jiwer over texts normalised by openai-whisper's EnglishTextNormalizer. DER: pyannote.metrics'
DiarizationErrorRate; its ``collar`` is the total width removed around each reference boundary
(0.25 means ±0.125 s), the convention the test suite uses too.
"""

from __future__ import annotations

COLLARS = (0.0, 0.25)


def normalised(text: str) -> str:
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()(text)


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalised(reference), normalised(hypothesis))


def annotation(turns):
    """A pyannote Annotation from (start, end, speaker) triples or objects with those attributes."""
    from pyannote.core import Annotation, Segment

    result = Annotation()
    for turn in turns:
        start, end, speaker = (turn.start, turn.end, turn.speaker) if hasattr(turn, "start") else turn
        result[Segment(start, end)] = speaker
    return result


def der(reference, hypothesis, collar: float = 0.0) -> float:
    from pyannote.metrics.diarization import DiarizationErrorRate

    return DiarizationErrorRate(collar=collar)(annotation(reference), annotation(hypothesis))


def der_by_collar(reference, hypothesis) -> dict[str, float]:
    return {f"der_collar_{collar:g}": round(der(reference, hypothesis, collar), 4) for collar in COLLARS}


class PooledDER:
    """DER over several recordings at once: errors and durations summed, not rates averaged."""

    def __init__(self, collar: float):
        from pyannote.metrics.diarization import DiarizationErrorRate

        self.metric = DiarizationErrorRate(collar=collar)

    def add(self, reference, hypothesis) -> float:
        return self.metric(annotation(reference), annotation(hypothesis))

    @property
    def value(self) -> float:
        return abs(self.metric)
