"""Decoding recorder formats with PyAV, and clear errors for files that are not usable audio."""

from __future__ import annotations

import numpy as np
import pytest
from audio_files import encode
from conftest import DATA

from transcribe.audio import SAMPLE_RATE, decode, is_silent
from transcribe.errors import TranscribeError


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Peak normalised cross-correlation, whatever the codec's delay."""
    import scipy.signal

    n = min(len(a), len(b))
    peak = scipy.signal.correlate(b[:n], a[:n], mode="full", method="fft").max()
    return float(peak / np.sqrt(np.sum(a[:n] ** 2) * np.sum(b[:n] ** 2)))


@pytest.fixture(scope="module")
def speech():
    return decode(DATA / "jfk" / "jfk.flac").samples


@pytest.mark.parametrize("extension", ["wav", "mp3", "m4a", "wma", "flac", "ogg", "opus", "mp4"])
def test_recorder_formats_decode_to_16k_mono(tmp_path, speech, extension):
    path = encode(speech, tmp_path / f"clip.{extension}")
    audio = decode(path)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(audio.duration - len(speech) / SAMPLE_RATE) < 0.15
    # The content survives: at the codec's delay, the decoded signal matches the original.
    assert similarity(speech, audio.samples) > 0.95


def test_44k_stereo_is_resampled_and_mixed_down(tmp_path, speech):
    import scipy.signal

    high = scipy.signal.resample_poly(speech, 441, 160).astype(np.float32)
    audio = decode(encode(high, tmp_path / "stereo.wav", rate=44100, channels=2))
    assert audio.source_rate == 44100 and audio.source_channels == 2
    assert abs(audio.duration - len(speech) / SAMPLE_RATE) < 0.05
    # Left at full scale, right at half: an even downmix has 0.75 of the original amplitude.
    ratio = np.std(audio.samples) / np.std(speech)
    assert 0.6 < ratio < 0.9


def test_the_file_is_identified_by_content(tmp_path, speech):
    a = encode(speech, tmp_path / "a.flac")
    b = tmp_path / "renamed.flac"
    b.write_bytes(a.read_bytes())
    assert decode(a).sha256 == decode(b).sha256


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("these are my interview notes, not audio\n"), "not an audio or video file"),
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: p.mkdir(), "is a folder"),
])
def test_unusable_files_get_one_clear_error_naming_the_file(tmp_path, make, message):
    path = tmp_path / "interview_7.wav"
    make(path)
    with pytest.raises(TranscribeError, match=message) as error:
        decode(path)
    assert "interview_7.wav" in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(TranscribeError, match="does not exist"):
        decode(tmp_path / "gone.wav")


@pytest.mark.parametrize("extension, keep", [("mp3", 0.6), ("wav", 0.3), ("flac", 0.4)])
def test_truncated_recordings_are_refused_unless_partial(tmp_path, speech, extension, keep):
    whole = encode(speech, tmp_path / f"whole.{extension}")
    cut = tmp_path / f"cut.{extension}"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(TranscribeError, match="truncated or damaged.*--partial"):
        decode(cut)
    partial = decode(cut, allow_partial=True)
    assert partial.truncated and 1.0 < partial.duration < len(speech) / SAMPLE_RATE


def test_too_short_a_clip(tmp_path, speech):
    with pytest.raises(TranscribeError, match="too short"):
        decode(encode(speech[: SAMPLE_RATE // 5], tmp_path / "blip.wav"))


def test_silence_is_detected(tmp_path, speech):
    silent = decode(encode(np.zeros(SAMPLE_RATE * 3, np.float32), tmp_path / "silence.wav"))
    assert is_silent(silent.samples)
    assert not is_silent(speech)


def test_unreadable_file(tmp_path, speech, monkeypatch):
    # Tests run as root in CI, where chmod 000 does not stop reading: make the read itself fail.
    import transcribe.audio

    path = encode(speech, tmp_path / "locked.wav")

    def denied(_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(transcribe.audio, "file_sha256", denied)
    with pytest.raises(TranscribeError, match="locked.wav cannot be read: permission denied"):
        decode(path)
