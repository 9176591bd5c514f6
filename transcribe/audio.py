"""Decode any recorder format into 16 kHz mono float32 with PyAV (FFmpeg bundled, no ffmpeg binary).

One decode feeds every model: diarisation and recognition both take the waveform in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TranscribeError
from .storage import storage_error
from .timecode import elapsed

SAMPLE_RATE = 16_000
MIN_DURATION = 1.0  # seconds; anything shorter cannot hold an interview turn
AUDIO_EXTENSIONS = {
    ".wav", ".mp3", ".m4a", ".aac", ".wma", ".flac", ".ogg", ".oga", ".opus", ".amr", ".aif", ".aiff",
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".3gp",
}
# A decoded length this much shorter than the length the file declares means it was cut off.
TRUNCATION_TOLERANCE = 0.05


@dataclass
class Audio:
    """A decoded recording: the waveform plus what identifies it without naming it."""

    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    sha256: str  # of the file's bytes: recognises a renamed or moved recording
    source_format: str  # codec name, e.g. "mp3"
    source_rate: int
    source_channels: int
    truncated: bool = False

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def special_file(path: str | os.PathLike) -> str | None:
    """What `path` is when it is not a regular file (a pipe, a device, a socket), else None.

    Reading such a file could block for ever (a pipe) or never end (/dev/zero), so it is skipped.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing or unreadable: reported when it is opened
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def decode(path: str | os.PathLike, *, allow_partial: bool = False, spill_dir: Path | None = None,
           sha256: str | None = None) -> Audio:
    """Decode the first audio stream of `path` to 16 kHz mono float32.

    Raises TranscribeError naming the file when it is missing, unreadable, empty, not audio,
    too short, or damaged. A file that ends before the length its header declares (a recorder
    whose battery died) is an error unless `allow_partial`, in which case the readable part is used.

    `sha256` is the file's hash when the caller has already read it (it is not read twice).
    With `spill_dir` (the private folder), the waveform is written there as it is decoded and
    memory-mapped: a three-hour recording then occupies the page cache, which the system can
    reclaim, instead of 700 MB of the process's own memory. The file is created with mode 0600 and
    unlinked at once, so no decoded audio is ever left behind.
    """
    import av

    path = Path(path)
    name = path.name
    if path.is_dir():
        raise TranscribeError(f"{name} is a folder, not an audio file.")
    special = special_file(path)
    if special:
        raise TranscribeError(f"{name} is {special}, not an audio file; it was skipped.")
    try:
        size = path.stat().st_size
        sha256 = sha256 or file_sha256(path)
    except FileNotFoundError:
        raise TranscribeError(f"{name} does not exist (was it moved or deleted?).") from None
    except PermissionError:
        raise TranscribeError(f"{name} cannot be read: permission denied. Check the file's permissions.") from None
    except OSError as error:
        raise TranscribeError(f"{name} cannot be read: {error.strerror}.") from None
    if size == 0:
        raise TranscribeError(f"{name} is empty (0 bytes). Copy the recording from the recorder again.")

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        raise TranscribeError(
            f"{name} is not an audio or video file that can be decoded (or it is badly damaged). "
            "Check that it plays in a media player."
        ) from None
    with container:
        if not container.streams.audio:
            raise TranscribeError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        declared = _declared_duration(container, stream)
        if stream.codec_context.name.startswith("pcm_"):
            declared = _wav_declared_duration(path) or declared
        # Resample with the channels kept, then average them: FFmpeg's own downmix adds the
        # channels at -3 dB each, which makes two-channel recordings louder than mono ones.
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=SAMPLE_RATE)
        sink = _Sink(spill_dir)
        damaged = False
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    sink.add(out.to_ndarray().mean(axis=0))
        except av.error.FFmpegError:
            damaged = True
        for out in resampler.resample(None):
            sink.add(out.to_ndarray().mean(axis=0))
        codec, rate, channels = stream.codec_context.name, stream.rate or 0, stream.channels or 0

    samples = sink.samples()
    duration = len(samples) / SAMPLE_RATE
    short = declared is not None and duration < declared * (1 - TRUNCATION_TOLERANCE)
    if (damaged or short) and not allow_partial:
        what = f"only {elapsed(duration)} of {elapsed(declared)} could be decoded" if declared else "decoding stopped early"
        raise TranscribeError(
            f"{name} appears truncated or damaged: {what}. Use --partial to transcribe the readable part."
        )
    if duration < MIN_DURATION:
        raise TranscribeError(
            f"{name} holds only {duration:.1f} s of audio, too short to transcribe. Is it the right file?"
        )
    return Audio(samples, sha256, codec, rate, channels, truncated=damaged or short)


class _Sink:
    """Collects decoded float32 samples in memory, or in a memory-mapped file in `spill_dir`.

    The file is unlinked as soon as it is created: it lives on only through its open descriptor
    and then the mapping, so a crash at any point leaves no decoded audio on disk.
    """

    def __init__(self, spill_dir: Path | None):
        self.chunks: list[np.ndarray] = []
        self.file = None
        if spill_dir is not None:
            path = Path(spill_dir) / f".tmp-audio-{os.getpid()}-{id(self)}.f32"
            try:
                self.file = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), "w+b")
                path.unlink()
            except OSError as error:
                raise storage_error(path, error) from error

    def add(self, chunk: np.ndarray) -> None:
        chunk = chunk.astype(np.float32, copy=False)
        if self.file is None:
            self.chunks.append(chunk)
            return
        try:
            self.file.write(chunk.tobytes())
        except OSError as error:  # a full disk: the whole batch must stop, not just this file
            with contextlib.suppress(OSError):
                self.file.close()
            raise storage_error(Path("decoded audio"), error) from error

    def samples(self) -> np.ndarray:
        if self.file is None:
            return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)
        with self.file:
            try:
                self.file.flush()
            except OSError as error:
                raise storage_error(Path("decoded audio"), error) from error
            size = self.file.tell()
            if size == 0:
                return np.zeros(0, np.float32)
            # Copy-on-write: writable for torch.from_numpy, never written back to the file.
            return np.memmap(self.file, dtype=np.float32, mode="c", shape=(size // 4,))


def release(samples: np.ndarray) -> None:
    """Drop the pages of a memory-mapped waveform from this process's resident memory.

    Read pages of a mapping stay counted in the process's memory until the system needs them, so a
    long recording read once from start to end would seem to occupy all of it. They are read again
    from the page cache (or the file) when next used. Anything else is left as it is.
    """
    base = samples
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def _declared_duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _wav_declared_duration(path: Path) -> float | None:
    """The duration a RIFF/WAV header promises, or None when it does not say.

    FFmpeg sizes WAV files from the bytes present, so a cut-off WAV decodes without complaint; the
    header's data size tells. A size of 0 or 0xFFFFFFFF is a recorder's "unknown" placeholder.
    """
    import struct

    byte_rate = 0
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while len(chunk := f.read(8)) == 8:
            tag, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if tag == b"fmt ":
                byte_rate = struct.unpack("<8xI", f.read(12))[0]
                f.seek(size - 12 + (size & 1), os.SEEK_CUR)
            elif tag == b"data":
                return size / byte_rate if byte_rate and size not in (0, 0xFFFFFFFF) else None
            else:
                f.seek(size + (size & 1), os.SEEK_CUR)
    return None


def is_silent(samples: np.ndarray, threshold_db: float = -60.0) -> bool:
    """True when the loudest 100 ms of the recording is below `threshold_db` (dBFS RMS).

    Works through the recording a minute at a time, so a long one is never copied whole.
    """
    frame = SAMPLE_RATE // 10
    block = frame * 600
    loudest = 0.0
    for start in range(0, len(samples) // frame * frame, block):
        piece = np.asarray(samples[start : start + block], dtype=np.float32)
        piece = piece[: len(piece) // frame * frame].reshape(-1, frame)
        loudest = max(loudest, float(np.sqrt(np.mean(piece**2, axis=1)).max()))
        release(samples)
    return 20 * np.log10(loudest + 1e-12) < threshold_db


def probe_duration(path: str | os.PathLike) -> float:
    """The duration a file declares, read from its header without decoding (0 when unknown)."""
    import av

    if special_file(path):
        return 0.0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return 0.0
            return _declared_duration(container, container.streams.audio[0]) or 0.0
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return 0.0
