"""Transcript integrity (issue 12): words in time order and never twice, the requested speaker count,
the same bytes on every run, the speaker timeline kept beside the turns."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, read_rttm

from transcribe.align import align, ordered_words
from transcribe.asr import RecognisedWord, RecognitionSettings, Segment
from transcribe.diarise import Diarisation, SpeakerTurn

TURNTAKING = DATA / "turntaking"


def segment(start, end, words):
    return Segment(start, end, "".join(w[0] for w in words), -0.2, 0.01, 1.2, 0.0,
                   [RecognisedWord(text, a, b, 0.9) for text, a, b in words])


def test_words_of_overlapping_windows_are_kept_once_in_time_order():
    # Two windows that overlap (padding at a speaker change, or crosstalk): the shared word " so"
    # is recognised by both, and the second window starts before the first one ends.
    first = segment(10.0, 20.4, [(" What", 12.9, 13.1), (" do", 13.1, 13.3), (" we", 13.3, 13.5), (" need?", 13.5, 13.9),
                                 (" so", 20.0, 20.2)])
    second = segment(19.8, 25.0, [(" so", 20.0, 20.2), (" done", 20.3, 20.6), (" anything?", 20.6, 21.0)])
    crosstalk = segment(12.0, 14.5, [(" yes", 12.4, 12.6)])
    words = ordered_words([first, second, crosstalk])
    assert [w.text for w in words] == [" yes", " What", " do", " we", " need?", " so", " done", " anything?"]


def test_turn_words_stay_in_time_order_when_windows_come_out_of_order():
    diarisation = Diarisation([SpeakerTurn(0, 30, "A")], [SpeakerTurn(0, 30, "A")])
    late = segment(15.0, 25.0, [(" later", 20.2, 20.6)])
    early = segment(10.0, 15.0, [(" earlier", 12.9, 13.3)])
    turns = align([late, early], diarisation)
    assert [w.text for w in turns[0].words] == [" earlier", " later"]


def engines_from_fixtures(recogniser, diariser, num_speakers=2):
    """The pipeline's engines with the session's loaded models, so no model is loaded twice."""
    from transcribe.pipeline import Engines, RunSettings

    settings = RunSettings(model="tiny.en", device="cpu")
    engines = Engines(settings)
    engines._device, engines._checkpoint = "cpu", recogniser.checkpoint
    engines._recogniser, engines._diariser = recogniser, diariser
    return engines, settings


def run_pipeline(path, recogniser, diariser, tmp_path, num_speakers=2):
    from transcribe.cache import StageCache
    from transcribe.pipeline import InterviewJob, transcribe_interview

    engines, settings = engines_from_fixtures(recogniser, diariser)
    job = InterviewJob(path, ["p1"], num_speakers=num_speakers)
    return transcribe_interview(job, engines, StageCache(tmp_path), settings)


@pytest.fixture(scope="module")
def ami_dev00(recogniser, diariser, tmp_path_factory):
    return run_pipeline(DATA / "ami" / "dev00.flac", recogniser, diariser, tmp_path_factory.mktemp("dev00"))


def test_meeting_words_run_forwards_and_are_never_repeated(ami_dev00):
    # In this excerpt the diarisation's turns overlap (crosstalk), which made overlapping windows.
    words = [w for turn in ami_dev00.turns for w in turn.words]
    assert words, "nothing was recognised"
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for a, b in zip(words, words[1:]):
        same_time = min(a.end, b.end) - max(a.start, b.start) > 0.5 * (a.end - a.start)
        assert not (same_time and a.text.strip().lower() == b.text.strip().lower()), f"{a.text!r} twice at {a.start}"


def test_the_private_json_keeps_the_speaker_timeline(ami_dev00):
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.transcript import Transcript

    data = json.loads(ami_dev00.to_json())
    assert Transcript.from_json(ami_dev00.to_json()).timeline == data["timeline"]
    timeline = data["timeline"]
    assert {t["raw_speaker"] for t in timeline} == {t.raw_speaker for t in ami_dev00.turns}
    labels = {t.raw_speaker: t.speaker for t in ami_dev00.turns}
    assert all(labels[t["raw_speaker"]] == t["speaker"] for t in timeline)
    assert [t["start"] for t in timeline] == sorted(t["start"] for t in timeline)
    assert not any("text" in t for t in timeline)
    # The timeline is the diarisation itself: scoring it gives the diarisation stage's DER, lower
    # than the turns' (first to last word). Measured at collar 0: 0.361 against 0.400.
    from pyannote.core import Annotation, Segment

    timeline_hypothesis, turns_hypothesis = Annotation(), Annotation()
    for t in timeline:
        timeline_hypothesis[Segment(t["start"], t["end"])] = t["raw_speaker"]
    for t in ami_dev00.turns:
        turns_hypothesis[Segment(t.start, t.end)] = t.raw_speaker
    reference = read_rttm(DATA / "ami" / "debug.development.rttm", "dev00")
    from_timeline = DiarizationErrorRate()(reference, timeline_hypothesis)
    assert from_timeline <= 0.38
    assert from_timeline < DiarizationErrorRate()(reference, turns_hypothesis)


def test_fallback_sampling_is_seeded(recogniser):
    from transcribe.audio import decode

    audio = decode(DATA / "jfk" / "jfk.flac")
    hot = RecognitionSettings(temperatures=(1.0,))  # every window sampled, as a failing window would be
    windows = [(0.0, 5.5), (5.3, audio.duration)]
    first = [s.to_dict() for s in recogniser(audio.samples, windows, hot)]
    second = [s.to_dict() for s in recogniser(audio.samples, windows, hot)]
    assert first == second


@pytest.mark.slow
def test_two_runs_write_byte_identical_files(tmp_path):
    """Same audio, settings and models: every file the tool writes has the same bytes (logs aside)."""
    import shutil

    from click.testing import CliRunner

    from transcribe.cli import cli

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    shutil.copy(TURNTAKING / "fast_two.flac", recordings / "fast_two.flac")
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run / "transcripts"
        result = CliRunner().invoke(cli, ["run", str(recordings), "-o", str(out), "--model", "tiny.en",
                                          "--device", "cpu", "--format", "all"])
        assert result.exit_code == 0, result.output
        outputs.append(out.parent)
    files = {}
    for folder in outputs:
        files[folder] = {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
                         if p.is_file() and p.suffix != ".log"}
    first, second = files.values()
    assert sorted(first) == sorted(second)
    assert any(p.suffix == ".json" for p in first)
    different = [str(p) for p in first if first[p] != second[p]]
    assert different == []


def test_a_speaker_count_the_audio_cannot_support_is_reported():
    from transcribe.pipeline import (
        InterviewJob,
        label_silent_speakers,
        speaker_count_notes,
    )
    from transcribe.transcript import Turn

    diarisation = Diarisation([SpeakerTurn(0, 5, "SPEAKER_00"), SpeakerTurn(5, 9, "SPEAKER_01"),
                               SpeakerTurn(9, 9.4, "SPEAKER_02")], [])
    turns = [Turn("I", "SPEAKER_00", 0, 5), Turn("p1", "SPEAKER_01", 5, 9)]
    labels = {"SPEAKER_00": "I", "SPEAKER_01": "p1"}
    label_silent_speakers(labels, diarisation)
    assert labels["SPEAKER_02"] == "S3"
    notes = speaker_count_notes(InterviewJob(DATA, ["p1"], num_speakers=4), diarisation, turns, labels)
    assert len(notes) == 2
    assert "4 speakers were asked for" in notes[0] and "only 3" in notes[0]
    assert "S3" in notes[1] and "timeline" in notes[1]
    assert speaker_count_notes(InterviewJob(DATA, ["p1"], num_speakers=3), diarisation, turns + [
        Turn("S3", "SPEAKER_02", 9, 9.4)], labels) == []


def test_an_interviews_prompt_names_only_its_own_people():
    from conftest import SAMPLES

    from transcribe.study import load_study

    study = load_study(SAMPLES / "study.toml")
    prompt = study.prompt(["p1"])
    assert "Sarah Jones" in prompt and "Helen Carter" in prompt and "WellTogether" in prompt and "Lewisham" in prompt
    # Others on the roster (another interview's participant, people mentioned somewhere) stay out:
    # in the prompt, they pull similar spoken names towards them.
    assert "David Okafor" not in prompt and "Margaret" not in prompt and "Tom" not in prompt and "Priya" not in prompt
    assert "David Okafor" in study.prompt()


def spoken(*items):
    """Words from (text, start, speaker) triples, each 0.3 s long."""
    from transcribe.transcript import Word

    return [Word(text, start, start + 0.3, 0.9, speaker) for text, start, speaker in items]


def test_words_at_turn_changes_and_short_sentences_are_rechecked():
    from transcribe.align import recheck_pieces

    words = spoken((" How", 0.0, "A"), (" are", 0.3, "A"), (" you?", 0.6, "A"), (" Fine,", 0.9, "A"),
                   (" thanks.", 1.2, "B"), (" And", 1.5, "B"), (" you", 1.8, "B"), (" went", 2.1, "B"),
                   (" home", 2.4, "B"), (" early.", 2.7, "B"), (" Right.", 3.0, "B"), (" So", 3.3, "B"),
                   (" what", 3.6, "B"), (" then", 3.9, "B"), (" happened?", 4.2, "B"))
    pieces = recheck_pieces(words)
    assert (3, 4) in pieces  # "Fine," after A's question: the start of B's sentence
    assert (4, 5) in pieces  # "thanks." before B's first sentence end: the end of A's sentence
    assert (10, 11) in pieces  # "Right." alone between two sentences: an interjection
    assert (5, 10) not in pieces and (11, 15) not in pieces  # long sentences are left alone


def test_a_piece_moves_only_to_a_clearly_closer_voice():
    import numpy as np

    from transcribe.align import recheck_speakers

    words = spoken((" Where", 0.0, "A"), (" to?", 0.3, "A"), (" Home.", 0.6, "A"), (" Good", 0.9, "B"),
                   (" idea", 1.2, "B"), (" really", 1.5, "B"), (" good.", 1.8, "B"))
    voices = {"A": [1.0, 0.0], "B": [0.0, 1.0]}

    def embed(start, end):  # "Home." (0.6-0.9 s) is B's voice; everything else is who diarisation says
        middle = (start + end) / 2
        return np.array([0.1, 1.0]) if 0.6 <= middle <= 0.9 else np.array(voices[words[int(middle / 0.3)].speaker])

    assert recheck_speakers(words, embed, voices) == [(2, "B")]
    assert recheck_speakers(words, lambda a, b: np.array([0.7, 0.72]), voices) == []  # too close to call
    assert recheck_speakers(words, embed, {"A": [1.0, 0.0]}) == []  # one voice: nothing to compare


def test_a_requested_speaker_count_is_honoured_or_explained(recogniser, diariser, tmp_path):
    # An AMI excerpt with four speakers, three of whom say only a few words.
    transcript = run_pipeline(TURNTAKING / "ami-trn08.flac", recogniser, diariser, tmp_path, num_speakers=4)
    in_timeline = {t["raw_speaker"] for t in transcript.timeline}
    with_words = {t.raw_speaker for t in transcript.turns}
    labels = {s["id"]: s["label"] for s in transcript.speakers}
    assert set(labels) == in_timeline  # every voice found has a label, with or without words
    if len(in_timeline) < 4:
        assert any("4 speakers were asked for" in note for note in transcript.notes)
    for speaker in in_timeline - with_words:
        assert any(labels[speaker] in note and "no recognised words" in note for note in transcript.notes)
    assert len(with_words) >= 3  # measured: 4 voices in the timeline, 4 with words


def test_speech_the_diarisation_cannot_find_is_reported_as_such(recogniser, diariser, tmp_path):
    # Four people saying 5.8 s in all across 30 s, far from the microphone: pyannote finds nobody
    # (with 4 speakers fixed or as a range), and the transcript said "No speech was recognised".
    transcript = run_pipeline(TURNTAKING / "ami-trn01.flac", recogniser, diariser, tmp_path, num_speakers=4)
    assert transcript.turns == [] and transcript.timeline == []
    assert any("diarisation found no speaker" in note for note in transcript.notes)
    assert not any("No speech was recognised" in note for note in transcript.notes)


def test_a_segment_read_from_its_dict_leaves_the_dict_whole():
    # The stage cache checks a cached entry by reading it, then the pipeline reads it again.
    data = segment(0.0, 1.0, [(" hello", 0.1, 0.4)]).to_dict()
    assert Segment.from_dict(data) == Segment.from_dict(data)
    assert "words" in data
