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


@pytest.mark.slow
def test_requested_speaker_count_is_honoured_on_a_short_meeting(diariser):
    """Fifteen seconds of a four-person meeting asked for four speakers: pyannote alone returns two
    (its clustering can make at most one cluster fewer than the speaker embeddings it keeps, and it
    keeps only those of a speaker alone for 2 s of a 10-s chunk)."""
    samples = decode(DATA / "turntaking" / "ami-trn08.flac").samples[: 15 * 16000]
    result = diariser(np.ascontiguousarray(samples), num_speakers=4)
    assert len({t.speaker for t in result.turns}) == 4
    assert len(result.embeddings) == 4


def test_merge_to_gives_exactly_the_count_asked_for():
    from transcribe.diarise import merge_to

    rng = np.random.default_rng(0)
    voices = rng.normal(size=(4, 192))
    embeddings = np.vstack([voices[0], voices[0] + 0.01, voices[1], voices[2], voices[3]])
    labels = merge_to(embeddings, 4)
    assert len(set(labels)) == 4
    assert labels[0] == labels[1]  # the two takes of one voice are the pair merged
    assert len(set(merge_to(embeddings, 5))) == 5


def test_clustering_keeps_briefer_speakers_when_too_few_for_the_count():
    """Chunks where each speaker is alone for less than a fifth of the chunk: pyannote's filter keeps
    none, the count-honouring one keeps them all, and four clusters come out."""
    from transcribe._compat import patch_torchaudio

    patch_torchaudio()  # before pyannote imports torchaudio, as transcribe.diarise does
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from transcribe.diarise import _count_clustering

    clustering = AgglomerativeClustering(metric="cosine")
    object.__setattr__(clustering, "__class__", _count_clustering(AgglomerativeClustering))
    clustering.instantiate({"method": "centroid", "min_cluster_size": 3, "threshold": 0.5})
    rng = np.random.default_rng(1)
    voices = rng.normal(size=(4, 192))
    chunks, frames = 4, 100
    segmentation = np.zeros((chunks, frames, 3))
    embeddings = np.full((chunks, 3, 192), np.nan)
    for c in range(chunks):
        segmentation[c, :10, 0] = 1  # 10 % of the chunk alone: under pyannote's 20 %
        embeddings[c, 0] = voices[c] + rng.normal(scale=0.01, size=192)
    segmentations = SlidingWindowFeature(segmentation, SlidingWindow(duration=10.0, step=2.5))
    hard, _, _ = clustering(embeddings, segmentations=segmentations, num_clusters=4)
    assert len(set(hard[:, 0])) == 4


def test_a_cached_diarisation_of_three_or_more_speakers_is_not_reused_after_the_count_fix():
    from transcribe.diarise import DiarisationSettings
    from transcribe.pipeline import diarisation_key

    assert "count" in diarisation_key(DiarisationSettings(num_speakers=4))
    assert "count" in diarisation_key(DiarisationSettings(num_speakers=None, min_speakers=3))
    assert "count" not in diarisation_key(DiarisationSettings(num_speakers=2))  # interviews' caches stay valid
