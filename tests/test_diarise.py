"""Real diarisation with pyannote's pipeline on the packaged models, scored by diarisation error rate."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, pyannote_sample, read_rttm
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from transcribe.audio import decode


def hypothesis(diarisation) -> Annotation:
    annotation = Annotation()
    for turn in diarisation.turns:
        annotation[Segment(turn.start, turn.end)] = turn.speaker
    return annotation


def der(reference: Annotation, diarisation, **options) -> float:
    return DiarizationErrorRate(**options)(reference, hypothesis(diarisation))


@pytest.fixture(scope="module")
def diarised(diariser):
    """Each recording diarised once for all the tests of this module."""
    results = {}

    def run(path):
        if path not in results:
            results[path] = diariser(decode(path).samples)
        return results[path]

    return run


def test_pyannote_sample(diarised):
    wav, rttm = pyannote_sample()
    result = diarised(wav)
    # Measured 0.055 without collar (0.014 with a 0.25 s collar), as in the research notes.
    assert der(read_rttm(rttm), result) <= 0.08
    assert len({t.speaker for t in result.turns}) == 2


# Far-field meeting audio with fast turn-taking defeats the packaged CAM++ embedding. Measured with
# a 0.25 s collar: dev00 0.315, dev01 0.595, whatever the clustering method, threshold or minimum
# cluster size; on dev01 that is worse than labelling all speech as one speaker. These guard against
# regressions only; interviews recorded close to the speakers fare far better (the pyannote sample
# above, the demo interview below). A better embedding for meetings is a follow-up issue.
@pytest.mark.parametrize("uri, measured", [("dev00", 0.315), ("dev01", 0.595)])
def test_ami_meeting_excerpts_with_two_speakers(diarised, uri, measured):
    result = diarised(DATA / "ami" / f"{uri}.flac")
    reference = read_rttm(DATA / "ami" / "debug.development.rttm", uri)
    assert der(reference, result, collar=0.25) <= measured + 0.04
    assert len({t.speaker for t in result.turns}) == 2


def test_demo_interview(diarised):
    from conftest import SAMPLES

    result = diarised(SAMPLES / "interview_01.flac")
    assert der(read_rttm(SAMPLES / "truth" / "interview_01.rttm"), result) <= 0.03  # measured 0.012


def test_speaker_embeddings_are_returned_per_speaker(diarised):
    wav, _ = pyannote_sample()
    result = diarised(wav)
    assert set(result.embeddings) == {t.speaker for t in result.turns}
    vectors = [np.asarray(v) for v in result.embeddings.values()]
    assert all(v.shape == (192,) for v in vectors)
    cosine = vectors[0] @ vectors[1] / np.linalg.norm(vectors[0]) / np.linalg.norm(vectors[1])
    assert cosine < 0.9  # two different voices


def test_exclusive_turns_never_overlap(diarised):
    result = diarised(DATA / "ami" / "dev00.flac")
    turns = sorted(result.exclusive, key=lambda t: t.start)
    assert all(a.end <= b.start + 1e-3 for a, b in zip(turns, turns[1:]))
