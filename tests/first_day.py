"""A small study as a researcher sets one up, run with the real batch, folders, key, renderer and
command line, but no model: recognition gives each recording the words written for it here, and
detection finds nothing (the roster, the study lists and the safety net still replace what the
study knows). For tests of what the commands do and say, in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from audio_files import encode
from click.testing import CliRunner

from transcribe.cli import cli

STUDY = """\
[study]
interviewer_label = "I"
places = ["Lewisham"]
allow = ["WellTogether"]
vocabulary = ["WellTogether"]

[[interviews]]
audio = "interview_01.wav"
codes = ["p1"]

[[interviews]]
audio = "interview_02.wav"
codes = ["p2"]

[[interviews]]
audio = "interview_03.wav"
codes = ["p3"]

[[people]]
name = "Helen Carter"
aliases = ["Helen"]
role = "interviewer"

[[people]]
name = "Sarah Jones"
aliases = ["Sarah"]
code = "p1"

[[people]]
name = "David Okafor"
aliases = ["David"]
code = "p2"

[[people]]
name = "Margaret Wilson"
aliases = ["Maggie"]
code = "p3"
"""

# What "recognition" hears in each recording: (speaker, text) per turn, "P" for the participant.
SPOKEN = {
    "interview_01.wav": [("I", "Hello, my name is Helen and I am a researcher on the scheme, and I would like to hear "
                                "about your time with the group, what you did each week and what changed."),
                         ("P", "My name is Sarah Jones and I have lived in Lewisham for most of my life."),
                         ("I", "Thank you, Sarah. What brought you to the scheme?"),
                         ("P", "A friend told me about it and I went along with my brother.")],
    "interview_02.wav": [("I", "Good morning, I am Helen. Could you introduce yourself?"),
                         ("P", "I am David Okafor and I heard about it from Sarah Jones in Lewisham."),
                         ("I", "What has changed for you, David?"),
                         ("P", "My blood pressure is down and I sleep better than before. The Well Together group "
                               "meets in Plefton. Together we walk every week.")],
    "interview_03.wav": [("I", "Hello, I am Helen. How did you get involved with the scheme, Maggie?"),
                         ("P", "After my husband died my neighbour took me to a coffee morning and we went together."),
                         ("I", "Thank you so much, Maggie."),
                         ("P", "It has given me a reason to get dressed in the morning.")],
}
TYPED = """\
I: Thank you for coming today. Could you tell me about the group?
Anna: I joined last spring, after my sister told me about it.
I: What changed for you?
Anna: I feel less alone now, and I go every week.
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def recording(path: Path, pitch: float) -> Path:
    """A short tone: real audio that decodes, different content for each pitch."""
    t = np.arange(16000 * 3) / 16000
    return encode((0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32), path)


def make_study(folder: Path, study: str = STUDY, names=tuple(SPOKEN)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(names):
        recording(folder / name, 220 + 55 * number)
    if study:
        (folder / "study.toml").write_text(study, encoding="utf-8")
    return folder


def typed(path: Path, text: str = TYPED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fake_recognition(job, engines, cache, settings, *, audio=None, progress=None, interviewer_voice=None):
    """The transcript of `job` from SPOKEN, as the pipeline returns one: timed words, both speakers."""
    from transcribe.transcript import Transcript, Turn, Word

    turns, at = [], 0.0
    for speaker, text in SPOKEN.get(job.audio.name, SPOKEN["interview_01.wav"]):
        label = "I" if speaker == "I" else job.code
        words = []
        for token in text.split():
            words.append(Word(" " + token, round(at, 2), round(at + 0.3, 2), 0.95, label))
            at += 0.35
        turns.append(Turn(label, label, words[0].start, words[-1].end, words))
    return Transcript(job.code, round(at, 2), turns, audio={"sha256": audio.sha256, "format": "wav"},
                      models={"recognition": {"name": "tiny.en"}}, processed="2026-12-01")


# Words "detection" takes for identifiers wherever they stand: (category, source, score).
# As written (a language model reads capitals): "Together" is guessed, "together" is not.
GUESSES = {"scheme": ("organisation", "ner", 0.85), "brother": ("person", "gazetteer", 0.5),
           "Together": ("person", "ner", 0.85), "Plefton": ("place", "ner", 0.85)}


class GuessingDetector:
    """Finds the words of GUESSES, except inside what the study never replaces (as the real one does)."""

    def __init__(self, config=None):
        self.config = config

    def detect(self, text, probabilities=None):
        import re

        from transcribe.anonymise.detect import Detection

        from transcribe.anonymise.recognizers import phrases

        matcher = getattr(phrases, "compound_regex", None) or phrases.phrase_regex  # the detector's own
        allowed = [m.span() for a in self.config.allow for m in matcher(a).finditer(text)]
        return [Detection(m.start(), m.end(), m.group(), *GUESSES[m.group()], None)
                for m in re.finditer(r"\w+", text)
                if m.group() in GUESSES and not any(a <= m.start() and m.end() <= b for a, b in allowed)]


def no_models(monkeypatch) -> None:
    import transcribe.anonymise.detect
    import transcribe.batch

    monkeypatch.setattr(transcribe.anonymise.detect, "Detector", GuessingDetector)
    monkeypatch.setattr(transcribe.batch, "transcribe_interview", fake_recognition)


class Interrupt:
    """Recognition that records what it was asked to redo, and is interrupted (Ctrl-C) at one recording."""

    def __init__(self, at: str | None = None):
        self.at, self.calls = at, []

    def __call__(self, job, engines, cache, settings, **kwargs):
        self.calls.append((job.audio.name, set() if getattr(job, "redone", False) else set(settings.redo)))
        if job.audio.name == self.at:
            self.at = None
            raise KeyboardInterrupt
        return fake_recognition(job, engines, cache, settings, **kwargs)
