"""One interview through the stages, with each stage's result cached in the private folder.

decode → diarise → recognise → align → roles → identifiable transcript. The expensive stages
(diarisation, recognition) are cached under the audio's content hash and a digest of everything
that changes their result, so a re-run skips finished work, a renamed recording is recognised by
its content, and changing anonymisation or output settings never re-runs a model.
"""

from __future__ import annotations

import dataclasses

import datetime
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .align import (
    RECHECK_MARGIN,
    RECHECK_MIN_SECONDS,
    RECHECK_WORDS,
    attribute_words,
    group_turns,
    recheck_speakers,
)
from .asr import (
    RecognitionSettings,
    Segment,
    SpeechRecogniser,
    choose_device,
    plan_windows,
    verbatim_prompt,
)
from .audio import SAMPLE_RATE, Audio, decode, is_silent, release
from .cache import StageCache
from .diarise import Diarisation, DiarisationSettings, Diariser
from .models import (
    CAMPPLUS,
    SEGMENTATION,
    TIME_BUDGET,
    WhisperCheckpoint,
    auto_whisper,
    default_model,
    find_whisper,
)
from .reliability import ReliabilitySettings, flag_words
from .roles import apply_labels, assign_roles, talk_time
from .text import normalise
from .transcript import Transcript
from .versions import package_version

log = logging.getLogger("transcribe")


@dataclass
class RunSettings:
    """Everything a batch was asked to do; one instance per run."""

    model: str = field(default_factory=default_model)  # "auto", unless $TRANSCRIBE_MODEL says otherwise
    device: str = "auto"
    language: str | None = "en"  # None: the study's language, else English
    recognition_mode: str = "windows"
    batch_size: int | None = None  # recognition windows per batch (default: from GPU memory / 4 on a CPU)
    embedding_batch_size: int | None = None  # diarisation embeddings per batch (default: by device)
    diarisation: DiarisationSettings = field(default_factory=DiarisationSettings)
    reliability: ReliabilitySettings = field(default_factory=ReliabilitySettings)
    allow_partial: bool = False
    recheck_speakers: bool = True  # words at turn changes re-checked against the speakers' voices
    redo: frozenset[str] = frozenset()
    cache_dir: Path | None = None  # model cache (converted weights), not the stage cache
    time_budget: float = TIME_BUDGET  # --model auto on a CPU: the whole run's seconds per second of audio
    quantise: str = "none"  # "int8": Whisper's linear layers in int8 on a CPU
    verbatim: bool = False  # keep fillers, repetitions and false starts


class Engines:
    """The models of a batch, each loaded on first use and then reused for every recording.

    Loading lazily means a re-run whose stages are all cached, and commands that only re-render,
    load no model at all.
    """

    def __init__(self, settings: RunSettings, say: Callable[[str], None] = lambda message: None):
        self.settings = settings
        self.say = say
        self._device: str | None = None
        self._checkpoint: WhisperCheckpoint | None = None
        self._recogniser: SpeechRecogniser | None = None
        self._cpu_recogniser: SpeechRecogniser | None = None
        self._diariser: Diariser | None = None
        self._voice = None

    @property
    def device(self) -> str:
        """cpu or cuda, decided on first use (it imports torch, which re-rendering never needs)."""
        if self._device is None:
            self._device = choose_device(self.settings.device)
        return self._device

    @property
    def checkpoint(self) -> WhisperCheckpoint:
        if self._checkpoint is None:
            s = self.settings
            if s.model == "auto":
                self._checkpoint = auto_whisper(self.device, s.language, s.cache_dir, s.time_budget)
                self.say(f"Model: Whisper {self._checkpoint.name} ({self._checkpoint.source}), chosen automatically for {self.device}.")
            else:
                self._checkpoint = find_whisper(s.model, s.cache_dir)
        return self._checkpoint

    @property
    def recogniser(self) -> SpeechRecogniser:
        if self._recogniser is None:
            self._recogniser = SpeechRecogniser(self.checkpoint, self.device, self.settings.batch_size,
                                                self.settings.quantise)
            self._recogniser.check_language(self.settings.language)
        return self._recogniser

    def cpu_recogniser(self) -> SpeechRecogniser:
        """A CPU copy of the model: the last resort when the GPU runs out of memory."""
        if self._cpu_recogniser is None:
            self._cpu_recogniser = SpeechRecogniser(self.checkpoint, "cpu")
        return self._cpu_recogniser

    def voice_embedding(self, samples):
        """The interviewer's enrolled voice as a speaker embedding, computed once per batch."""
        if self._voice is None:
            self._voice = self.diariser.embed(samples)
        return self._voice

    @property
    def diariser(self) -> Diariser:
        if self._diariser is None:
            self._diariser = Diariser(self.settings.diarisation, self.device, self.settings.embedding_batch_size)
        return self._diariser


@dataclass
class InterviewJob:
    audio: Path
    codes: list[str]
    num_speakers: int | None = 2
    min_speakers: int | None = None
    max_speakers: int | None = None
    roles: list[str] | None = None
    interviewer_label: str = "I"
    prompt: str | None = None
    duplicate_of: Path | None = None  # the same recording under another name
    sha256: str | None = None  # of the file, when planning already read it
    redone: bool = False  # --redo already ran for it before this batch was interrupted: resume, not redo

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None


def diarisation_key(settings: DiarisationSettings) -> dict:
    key = {"settings": settings.key(), "weights": [SEGMENTATION.sha256, CAMPPLUS.sha256]}
    if max(settings.num_speakers or 0, settings.min_speakers or 0) >= 3:
        # Diarised again once with the count honoured (issue 24): a cached meeting asked for four
        # speakers may hold one. Two-speaker caches stay valid, so interviews are not diarised again.
        key["count"] = "honoured"
    return key


def transcribe_interview(job: InterviewJob, engines: Engines, cache: StageCache, settings: RunSettings,
                         *, audio: Audio | None = None, progress: Callable[[str, float], None] | None = None,
                         interviewer_voice=None) -> Transcript:
    """Run (or reuse) every model stage for one recording and return the identifiable transcript."""
    if job.redone:
        settings = dataclasses.replace(settings, redo=frozenset())
    share = _Progress(progress or (lambda stage, seconds: None), audio.duration if audio else 0.0)
    if audio is None:
        audio = decode(job.audio, allow_partial=settings.allow_partial)
        share.duration = audio.duration
    notes = []
    if audio.truncated:
        notes.append("The recording file is damaged or cut off; only its readable part was transcribed.")

    diar_settings = DiarisationSettings(**{
        **settings.diarisation.key(), "num_speakers": job.num_speakers,
        "min_speakers": job.min_speakers, "max_speakers": job.max_speakers,
    })
    diar_key = diarisation_key(diar_settings)
    silent = is_silent(audio.samples)

    def diarise() -> Diarisation:
        if silent:
            return Diarisation([], [])
        started = time.perf_counter()
        result = engines.diariser(audio.samples, job.num_speakers, job.min_speakers, job.max_speakers,
                                  progress=share.reporter("diarising", 0.5))
        _log_stage(job.code, "diarised", audio.duration, time.perf_counter() - started)
        return result

    diarisation = cache.fetch(audio.sha256, "diarise", diar_key, diarise, read=Diarisation.from_dict,
                              write=Diarisation.to_dict, redo=redo("diarise", settings), reused=f"{job.code}: diarisation")
    share.finish("diarised", 0.5)

    rec_settings = RecognitionSettings(language=settings.language, mode=settings.recognition_mode,
                                       initial_prompt=verbatim_prompt(job.prompt) if settings.verbatim else job.prompt)
    checkpoint = engines.checkpoint
    rec_key = {"settings": rec_settings.key(), "model": checkpoint.sha256, "diarisation": diar_key}
    if settings.quantise == "int8" and engines.device == "cpu":
        rec_key["weights"] = "int8"  # only then, so that caches made before the option stay valid

    def recognise() -> tuple[list[Segment], str]:
        timeline = diarisation.exclusive if rec_settings.window_turns == "exclusive" else diarisation.turns
        turns = [(t.start, t.end, t.speaker) for t in timeline or diarisation.turns]
        windows = plan_windows(turns, audio.duration)
        share.reporter("recognising", 0.5)(0.0)
        started = time.perf_counter()
        # Nothing is recognised where nobody speaks: that is where Whisper invents text.
        speech = not silent and (windows or rec_settings.mode == "sequential")
        found = _recognise(engines, audio, windows, rec_settings, share.reporter("recognising", 0.5)) if speech else []
        _log_stage(job.code, "recognised", audio.duration, time.perf_counter() - started)
        return found, datetime.date.today().isoformat()

    segments, processed = cache.fetch(audio.sha256, "recognise", rec_key, recognise, read=_read_recognition,
                                      write=_write_recognition, redo=redo("recognise", settings),
                                      reused=f"{job.code}: recognition")
    share.finish("recognised", 1.0)

    words = attribute_words(segments, diarisation)
    for word in words:  # the one text form every text entering the tool takes (transcribe/text.py)
        word.text = normalise(word.text)
    if settings.recheck_speakers:
        recheck_key = rec_key | {"recheck": [RECHECK_WORDS, RECHECK_MIN_SECONDS, RECHECK_MARGIN]}

        def recheck() -> dict:
            moves = recheck_speakers(words, lambda a, b: engines.diariser.embed(
                audio.samples[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]), diarisation.embeddings)
            release(audio.samples)
            return {"moves": moves}

        moves = cache.fetch(audio.sha256, "recheck", recheck_key, recheck, redo=redo("recheck", settings))
        for index, speaker in moves["moves"]:
            if 0 <= index < len(words):
                words[index].speaker = speaker
    turns = group_turns(words)
    flag_words(turns, segments, diarisation, settings.reliability)
    voice = engines.voice_embedding(interviewer_voice) if interviewer_voice is not None and diarisation.embeddings else None
    assignment = assign_roles(turns, job.codes, job.interviewer_label, override=job.roles,
                              embeddings=diarisation.embeddings, interviewer_voice=voice)
    label_silent_speakers(assignment.labels, diarisation)
    apply_labels(turns, assignment)
    notes.extend(speaker_count_notes(job, diarisation, turns, assignment.labels))
    if silent:
        notes.append("The recording is silent: there is nothing to transcribe.")
    elif not diarisation.turns:
        notes.append("The diarisation found no speaker in this recording (speech too quiet or too distant "
                     "from the microphone?), so nothing was transcribed.")
    elif not turns:
        notes.append("No speech was recognised in the recording.")

    times = talk_time(turns)
    return Transcript(
        code=job.code,
        duration=round(audio.duration, 3),
        turns=turns,
        audio={"sha256": audio.sha256, "format": audio.source_format, "sample_rate": audio.source_rate,
               "channels": audio.source_channels},
        models={
            "recognition": {"name": checkpoint.name, "source": checkpoint.source, "sha256": checkpoint.sha256,
                            "library": f"openai-whisper {package_version('openai-whisper')}"},
            "diarisation": {"name": "segmentation-3.0 with a CAM++ speaker embedding" if not diar_settings.pipeline_dir
                            else "an official pyannote pipeline",
                            "library": f"pyannote.audio {package_version('pyannote.audio')}"},
            "transcribe": __version__,
        },
        settings={"recognition": rec_settings.key() | {"initial_prompt": bool(rec_settings.initial_prompt)},
                  "diarisation": diar_settings.key() | {"pipeline_dir": bool(diar_settings.pipeline_dir)},
                  "reliability": settings.reliability.key()},
        speakers=[{"id": raw, "label": label, "talk_time": round(times.get(raw, 0.0), 2)}
                  for raw, label in assignment.labels.items()],
        roles={"method": assignment.method, "confidence": assignment.confidence,
               "low_confidence": assignment.low_confidence, "scores": assignment.scores},
        segments=[{k: v for k, v in s.to_dict().items() if k not in ("text", "words")} for s in segments],
        timeline=[{"start": t.start, "end": t.end, "speaker": assignment.labels.get(t.speaker, t.speaker),
                   "raw_speaker": t.speaker} for t in sorted(diarisation.turns, key=lambda t: (t.start, t.end, t.speaker))],
        notes=notes,
        processed=processed,
    )


def speaker_count_notes(job: InterviewJob, diarisation: Diarisation, turns, labels: dict[str, str]) -> list[str]:
    """Say so when the transcript has fewer speakers than were asked for, and why."""
    if not diarisation.turns:
        return []
    found = {t.speaker for t in diarisation.turns}
    speaking = {t.raw_speaker for t in turns}
    asked = job.num_speakers or job.min_speakers
    notes = []
    if asked and len(found) < asked:
        notes.append(f"{asked} speakers were asked for, but the diarisation could tell only {len(found)} voices apart "
                     "in this recording; the transcript has the voices it found.")
    silent = sorted(labels[s] for s in found - speaking)
    if silent:
        notes.append(f"Speaker{'s' if len(silent) > 1 else ''} {', '.join(silent)} found by the diarisation "
                     f"{'have' if len(silent) > 1 else 'has'} no recognised words (too little speech, or only "
                     "crosstalk); their speaking times are in the speaker timeline of the private JSON.")
    return notes


def label_silent_speakers(labels: dict[str, str], diarisation: Diarisation) -> None:
    """Speakers the diarisation found but under whom no word was recognised get the next S<n> labels."""
    taken = set(labels.values())
    number = len(labels) + 1
    for speaker in sorted({t.speaker for t in diarisation.turns} - set(labels)):
        while f"S{number}" in taken:
            number += 1
        labels[speaker] = f"S{number}"
        taken.add(labels[speaker])


def _log_stage(code: str, stage: str, duration: float, seconds: float) -> None:
    log.info("%s: %s %.1f min of audio in %.1f s (%.3f of real time)", code, stage, duration / 60, seconds,
             seconds / max(duration, 1e-9))


# Each model stage and the stages whose results it is made from: --redo of one redoes those after it.
STAGES = ("diarise", "recognise", "recheck")


def redo(stage: str, settings: RunSettings) -> bool:
    """Whether `stage` runs again whatever the cache holds: --redo named it or a stage before it."""
    return any(earlier in settings.redo for earlier in STAGES[: STAGES.index(stage) + 1])


def _read_recognition(data: dict) -> tuple[list[Segment], str]:
    """Recognised segments and the day they were recognised, from the cache (a wrong shape raises)."""
    assert isinstance(data["processed"], str)
    return [Segment.from_dict(s) for s in data["segments"]], data["processed"]


def _write_recognition(result: tuple[list[Segment], str]) -> dict:
    segments, processed = result
    return {"segments": [s.to_dict() for s in segments], "processed": processed}


class _Progress:
    """Turns fractions of a stage into seconds of audio for the progress callback.

    The diarisation stage is counted as the first half of a recording's audio, recognition as the
    second; `reporter(stage, share)` gives a callback for fractions of one stage.
    """

    def __init__(self, callback: Callable[[str, float], None], duration: float):
        self.callback, self.duration = callback, duration
        self.reported = 0.0  # fraction of the whole recording reported so far
        self.base = 0.0

    def reporter(self, stage: str, share: float) -> Callable[[float], None]:
        base = self.base

        def report(fraction: float) -> None:
            target = base + share * min(max(fraction, 0.0), 1.0)
            if target > self.reported or fraction == 0.0:
                self.callback(stage, (target - self.reported) * self.duration)
                self.reported = max(self.reported, target)

        return report

    def finish(self, stage: str, upto: float) -> None:
        """The stage is done: report up to `upto` of the recording, and start the next stage there."""
        self.callback(stage, max(upto - self.reported, 0.0) * self.duration)
        self.reported = self.base = max(self.reported, upto)


def _recognise(engines: Engines, audio: Audio, windows, settings: RecognitionSettings,
               progress: Callable[[float], None]) -> list[Segment]:
    """Recognise, halving the batch on GPU out-of-memory and finally falling back to the CPU."""
    import torch

    total = sum(b - a for a, b in windows) or 1.0
    done = 0.0

    def on_batch(seconds: float) -> None:
        nonlocal done
        done += seconds
        progress(done / total)
        release(audio.samples)  # the pages just read: a long recording's mapping would otherwise fill memory

    recogniser = engines.recogniser
    while True:
        done = 0.0
        try:
            return recogniser(audio.samples, windows, settings, on_batch)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            if recogniser.device == "cuda" and recogniser.batch_size > 1:
                recogniser.batch_size //= 2
                log.warning("GPU out of memory: retrying with %d windows per batch", recogniser.batch_size)
                continue
            if recogniser.device == "cuda":
                log.warning("GPU out of memory with one window per batch: continuing on the CPU")
                recogniser = engines.cpu_recogniser()
                continue
            raise

