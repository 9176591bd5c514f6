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


def der_near_cuts(reference, hypothesis, duration: float, cuts: list[float], window: float = 10.0) -> dict:
    """DER (collar 0) within `window` seconds of a diarisation block's edge, and everywhere else.

    Separates what blocks cost at their edges (less context for the segmentation) from errors in
    linking speakers across blocks, which would show away from the edges as well.
    """
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    whole = Segment(0, duration)
    near = Timeline([Segment(max(0.0, c - window), min(duration, c + window)) for c in cuts]).support()
    elsewhere = near.gaps(support=whole)
    result = {"window_s": window, "cuts": len(cuts)}
    for name, uem in (("near", near), ("elsewhere", elsewhere)):
        result[name] = round(DiarizationErrorRate()(annotation(reference), annotation(hypothesis), uem=uem), 4) \
            if uem.duration() else None
        result[f"{name}_s"] = round(uem.duration(), 1)
    return result


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


# --- word-level speaker attribution ---------------------------------------------------------------


def speaker_mapping(reference, hypothesis) -> dict[str, str]:
    """The one-to-one hypothesis → reference speaker mapping that DER uses (most overlap in time)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    return dict(DiarizationErrorRate().optimal_mapping(annotation(reference), annotation(hypothesis)))


def wrong_speaker_words(reference, hypothesis_turns, words) -> dict:
    """Share of recognised words placed under a speaker who was not talking when they were said.

    `words` are (start, end, speaker) of every recognised word; hypothesis speakers are mapped to
    reference speakers as DER maps them (by `hypothesis_turns`, the speaker timeline). A word is
    wrong when its mapped speaker's reference turns do not touch it; words outside every reference
    turn are counted apart (an invented word, or timing slack) and left out of the share. Needs only
    reference turns (an RTTM), so it scores recordings without reference words too.
    """
    mapping = speaker_mapping(reference, hypothesis_turns)
    ref = [(t.start, t.end, t.speaker) if hasattr(t, "start") else tuple(t) for t in reference]
    counted = wrong = outside = 0
    for start, end, speaker in words:
        talking = {s for a, b, s in ref if a < max(end, start + 0.01) and b > start}
        if not talking:
            outside += 1
            continue
        counted += 1
        wrong += mapping.get(speaker) not in talking
    return {"words": counted, "wrong_speaker": wrong, "outside_reference": outside,
            "wrong_speaker_share": round(wrong / counted, 4) if counted else 0.0}


def cp_wer(reference: dict[str, str], hypothesis: dict[str, str]) -> float:
    """Concatenated minimum-permutation WER (CHiME-6's cpWER): words scored under their speaker.

    Each speaker's words are joined in order; reference and hypothesis speakers are paired to
    minimise the total errors (unpaired speakers count all their words as deleted or inserted).
    A word recognised correctly but under the other speaker costs an error on both sides.
    """
    import jiwer
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    refs = [normalised(t) for t in reference.values()]
    hyps = [normalised(t) for t in hypothesis.values()]
    size = max(len(refs), len(hyps))
    refs += [""] * (size - len(refs))
    hyps += [""] * (size - len(hyps))
    cost = np.zeros((size, size))
    for i, r in enumerate(refs):
        for j, h in enumerate(hyps):
            if not r.split():
                cost[i, j] = len(h.split())
            elif not h.split():
                cost[i, j] = len(r.split())
            else:
                out = jiwer.process_words(r, h)
                cost[i, j] = out.substitutions + out.deletions + out.insertions
    rows, cols = linear_sum_assignment(cost)
    total = sum(len(r.split()) for r in refs)
    return float(cost[rows, cols].sum() / max(total, 1))
