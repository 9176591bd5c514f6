"""The bad-input matrix over the command line: every kind of bad file gets its documented result,
and the batch carries on with the others. Real models on short real speech."""

from __future__ import annotations

import json
import socket

import conftest
import numpy as np
import pytest
from audio_files import encode
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe.audio import SAMPLE_RATE, decode
from transcribe.cli import cli

# What `transcribe run` reports for each file of the matrix (README, "What happens when...").
EXPECTED = {
    "good.wav": ("done", None),
    "notes.wav": ("failed", "not an audio or video file"),
    "empty.wav": ("failed", "is empty"),
    "cut.mp3": ("failed", "truncated or damaged"),
    "really_an_mp3.wav": ("done", None),
    "x.wav": ("failed", "is a folder"),
    "locked.wav": ("failed", "permission denied"),
    "blip.wav": ("failed", "too short"),
    "silence.wav": ("done", None),
    "stereo44k.flac": ("done", None),
    "Łódź_interviú.wav": ("done", None),
    "good_copy.wav": ("failed", "same recording as good.wav"),
}


@pytest.fixture(scope="module")
def clip():
    """16 s of the first demo interview: the interviewer and the start of the participant's answer."""
    samples = decode(SAMPLES / "interview_01.flac").samples
    return samples[int(2 * SAMPLE_RATE) : int(18 * SAMPLE_RATE)]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, clip):
    import scipy.signal

    folder = tmp_path_factory.mktemp("recordings")
    encode(clip, folder / "good.wav")
    (folder / "good_copy.wav").write_bytes((folder / "good.wav").read_bytes())
    (folder / "notes.wav").write_text("Interview notes: remember to ask about the bus.\n")
    (folder / "empty.wav").write_bytes(b"")
    whole = encode(clip, folder / "whole.mp3").read_bytes()
    (folder / "whole.mp3").unlink()
    (folder / "cut.mp3").write_bytes(whole[: len(whole) // 2])
    encode(clip * 0.7, folder / "tmp.mp3").rename(folder / "really_an_mp3.wav")
    (folder / "x.wav").mkdir()
    encode(clip * 0.9, folder / "locked.wav")
    encode(clip[: SAMPLE_RATE // 5], folder / "blip.wav")
    encode(np.zeros(SAMPLE_RATE * 8, np.float32), folder / "silence.wav")
    encode(scipy.signal.resample_poly(clip, 441, 160).astype(np.float32), folder / "stereo44k.flac", rate=44100, channels=2)
    encode(clip * 0.8, folder / "Łódź_interviú.wav")
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def matrix_run(matrix, tmp_path_factory):
    import transcribe.audio
    import transcribe.batch

    real = transcribe.audio.file_sha256

    def unreadable(path):
        # Tests run as root, where chmod 000 does not stop reading: the read itself fails instead.
        if str(path).endswith("locked.wav"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    transcribe.audio.file_sha256 = transcribe.batch.file_sha256 = unreadable
    try:
        out = tmp_path_factory.mktemp("out") / "transcripts"
        result = CliRunner().invoke(cli, ["run", str(matrix), "-o", str(out)])
    finally:
        transcribe.audio.file_sha256 = transcribe.batch.file_sha256 = real
    return result, out, out.with_name("transcripts.private")


def summary(output: str) -> dict[str, str]:
    rows = {}
    for line in output.splitlines():
        for name in EXPECTED:
            if f" {name}: " in line:
                rows[name] = line
    return rows


@pytest.mark.slow
def test_every_file_gets_its_documented_result(matrix_run):
    result, _, _ = matrix_run
    rows = summary(result.output)
    assert set(rows) == set(EXPECTED), result.output
    for name, (status, message) in EXPECTED.items():
        assert f"{name}: {status}" in rows[name], rows[name]
        if message:
            assert message in rows[name], rows[name]
    assert "Traceback" not in result.output


def test_one_bad_file_makes_the_exit_code_non_zero(matrix_run):
    assert matrix_run[0].exit_code == 1


@pytest.mark.slow
def test_good_files_are_transcribed_despite_the_bad_ones(matrix_run):
    result, out, private = matrix_run
    done = [name for name, (status, _) in EXPECTED.items() if status == "done"]
    texts = sorted(out.glob("*.txt"))
    assert len(texts) == len(done)
    speech = [t for t in texts if "I:" in t.read_text()]
    assert len(speech) == len(done) - 1  # all but the silent recording


@pytest.mark.slow
def test_silence_gives_an_empty_transcript_with_a_note(matrix_run):
    _, _, private = matrix_run
    transcripts = [json.loads(p.read_text()) for p in private.glob("*.identifiable.json")]
    silent = [t for t in transcripts if t["notes"] and "silent" in t["notes"][0]]
    assert len(silent) == 1 and silent[0]["turns"] == []


@pytest.mark.slow
def test_the_run_made_no_network_connection_and_sent_no_telemetry(matrix_run):
    import os

    assert conftest.NETWORK_ATTEMPTS == []
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    from pyannote.audio.telemetry.metrics import is_metrics_enabled

    assert not is_metrics_enabled()
    with pytest.raises(conftest.NetworkAttempt):  # the guard itself works
        socket.create_connection(("telemetry.example.org", 443), timeout=1)
    conftest.NETWORK_ATTEMPTS.clear()
