"""Benchmark inputs with ground truth: long recordings made from the demo interviews, and the
short labelled recordings the diarisation sweep scores on.

A long input repeats demo interviews back to back until it lasts the requested time, then ends at
the end of a speaker turn, so the reference transcript and speaker turns stay exact. It is written as
16-bit PCM WAV, the format a digital voice recorder writes, and both sides decode that same file.
"""

from __future__ import annotations

import importlib.util
import json
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TRUTH = SAMPLES / "truth"
AMI = ROOT / "tests" / "data" / "ami"
SAMPLE_RATE = 16_000

# "one": interview_01 repeated, so there are two voices, as in the interviews the tool is made for
# and as `transcribe run` assumes by default. "all": the three interviews in turn; the interviewer
# is the same voice in each, the participants differ, so there are four voices.
LAYOUTS = {"one": ("interview_01",), "all": ("interview_01", "interview_02", "interview_03")}


@dataclass
class Turn:
    start: float
    end: float
    speaker: str
    text: str = ""


@dataclass
class Reference:
    """What was said, by whom and when, in a benchmark input."""

    duration: float
    turns: list[Turn]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.turns)

    @property
    def speakers(self) -> int:
        return len({t.speaker for t in self.turns})

    def to_dict(self) -> dict:
        return {"duration": self.duration, "turns": [asdict(t) for t in self.turns]}


def interview(uri: str) -> tuple[np.ndarray, list[Turn]]:
    """One demo interview: its waveform and its reference turns (with text)."""
    from transcribe.audio import decode

    truth = json.loads((TRUTH / f"{uri}.json").read_text())
    turns = [Turn(t["start"], t["end"], t["speaker"], t["text"]) for t in truth["turns"]]
    return decode(SAMPLES / f"{uri}.flac").samples, turns


def build_long_input(minutes: float, layout: str, wav: Path) -> Reference:
    """Write at least `minutes` of interviews to `wav`, ending between two turns, and return the truth."""
    sources = [interview(uri) for uri in LAYOUTS[layout]]
    target = minutes * 60
    pieces: list[np.ndarray] = []
    turns: list[Turn] = []
    offset = 0.0
    for copy in range(10_000):
        samples, source_turns = sources[copy % len(sources)]
        for i, turn in enumerate(source_turns):
            turns.append(Turn(round(offset + turn.start, 3), round(offset + turn.end, 3), turn.speaker, turn.text))
            if offset + turn.end >= target:
                following = source_turns[i + 1].start if i + 1 < len(source_turns) else len(samples) / SAMPLE_RATE
                cut = int((turn.end + following) / 2 * SAMPLE_RATE)
                pieces.append(samples[:cut])
                write_wav(wav, np.concatenate(pieces))
                return Reference(round(offset + cut / SAMPLE_RATE, 3), turns)
        pieces.append(samples)
        offset += len(samples) / SAMPLE_RATE
    raise ValueError(f"{minutes} minutes is too long")


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16 kHz mono 16-bit PCM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def read_rttm(path: Path, uri: str | None = None) -> list[Turn]:
    turns = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and (uri is None or parts[1] == uri):
            start, duration = float(parts[3]), float(parts[4])
            turns.append(Turn(start, start + duration, parts[7]))
    return turns


def pyannote_sample() -> tuple[Path, Path]:
    """pyannote's own sample (a 30 s phone call) and its reference RTTM, from the installed wheel."""
    folder = Path(list(importlib.util.find_spec("pyannote.audio").submodule_search_locations)[0]) / "sample"
    return folder / "sample.wav", folder / "sample.rttm"


def labelled_recordings() -> dict[str, tuple[Path, list[Turn], str]]:
    """Short two-speaker recordings with reference turns: name → (audio, turns, group)."""
    recordings = {uri: (SAMPLES / f"{uri}.flac", read_rttm(TRUTH / f"{uri}.rttm"), "interviews")
                  for uri in LAYOUTS["all"]}
    wav, rttm = pyannote_sample()
    recordings["pyannote-sample"] = (wav, read_rttm(rttm), "phone call")
    for uri in ("dev00", "dev01"):
        recordings[f"ami-{uri}"] = (AMI / f"{uri}.flac", read_rttm(AMI / "debug.development.rttm", uri), "meeting")
    return recordings
