"""Progress of a batch on stderr: a rich bar on a terminal, one line per stage in a log.

The pipeline reports progress as seconds of audio, counting diarisation as the first half of each
recording and recognition as the second. Here each stage is weighted by what it costs on the
device (measured in benchmarks/results), so the percentage and the ETA follow time, not audio:
on a CPU diarisation takes about 60-70 % of the time. As the run goes on, the costs are
corrected by what this machine actually takes.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from . import timecode

# Seconds of work per second of audio, per device, measured in benchmarks/results on 2 CPU cores:
# diarisation 0.130 with the default settings (sweep-cpu-refined.json: step 0.25, batch 4),
# recognition with tiny.en 0.077 (cpu-10min.json); on an H200 (gpu-h200-60min.json) 0.0019 and
# 0.0017. Anonymising and writing take about 1 s per 10 minutes of audio (cpu-10min.json).
STAGE_COSTS = {
    "cpu": {"diarising": 0.130, "recognising": 0.077, "finishing": 0.0015},
    "cuda": {"diarising": 0.0019, "recognising": 0.0017, "finishing": 0.0015},
}
# The pipeline's stage names, mapped to the stage whose work they report.
_STAGE_OF = {"diarising": "diarising", "diarised": "diarising", "recognising": "recognising",
             "recognised": "recognising", "anonymising": "finishing", "writing": "finishing"}
_FINISHED = {"diarised", "recognised"}
_HALF = {"diarising": 0.5, "recognising": 0.5}  # the pipeline's share of the audio per stage
# How many seconds of benchmark work the prior costs weigh against this run's measurements. Small,
# because a shared or slower machine can be many times slower than the benchmark: replaying real
# stage timings, 1 s gave median ETA errors of 1-13 % where 20 s gave 1-51 % (audio-linear: 30-64 %).
PRIOR_SECONDS = 1.0


@dataclass
class _File:
    duration: float
    done: dict[str, float] = field(default_factory=dict)  # stage -> fraction done (0..1)
    started: set[str] = field(default_factory=set)  # stages that reported work in progress
    skipped: set[str] = field(default_factory=set)  # stages reused from the cache: no work


class Estimate:
    """Time-weighted progress and remaining time of a batch.

    Each stage's remaining work is its benchmark cost times the audio left, corrected by the
    ratio of measured to expected time: first over the whole run (the machine's speed), then per
    stage as it builds up evidence. Stages reused from the cache count as no work.
    """

    def __init__(self, durations: list[float], device: str = "cpu", clock=time.monotonic):
        self.costs = STAGE_COSTS.get(device, STAGE_COSTS["cpu"])
        self.files = [_File(d) for d in durations]
        self.clock = clock
        self.started = clock()
        self.last = self.started
        self.current: int | None = None
        self.spent = {s: 0.0 for s in self.costs}  # seconds measured per stage
        self.expected = {s: 0.0 for s in self.costs}  # benchmark seconds for the same work

    def file(self, index: int) -> None:
        self.current = index
        self.last = self.clock()

    def stage(self, name: str, seconds: float) -> str | None:
        """Record the pipeline's (stage, seconds of audio). Returns the stage finished, if one did."""
        stage = _STAGE_OF.get(name)
        if stage is None or self.current is None:
            return None
        f = self.files[self.current]
        now = self.clock()
        elapsed, self.last = now - self.last, now
        if stage == "finishing":  # anonymising and writing: done when the file is
            self.spent[stage] += elapsed
            return None
        before = f.done.get(stage, 0.0)
        if name in _FINISHED:
            after = 1.0
            if stage not in f.started:
                f.skipped.add(stage)  # reused from the cache: nothing was computed
        else:
            first = stage not in f.started
            f.started.add(stage)
            after = min(1.0, before + seconds / (_HALF[stage] * f.duration)) if f.duration > 0 else before
            if first:  # the time before a stage's first report is loading and decoding, not its work
                f.done[stage] = after
                return None
        if stage not in f.skipped:
            self.spent[stage] += elapsed
            self.expected[stage] += (after - before) * f.duration * self.costs[stage]
        f.done[stage] = after
        return stage if name in _FINISHED else None

    def file_done(self) -> None:
        """The current file is finished (or failed): none of its work remains."""
        if self.current is None:
            return
        f = self.files[self.current]
        now = self.clock()
        self.spent["finishing"] += now - self.last
        self.expected["finishing"] += f.duration * self.costs["finishing"]
        self.last = now
        for stage in self.costs:
            f.done[stage] = 1.0

    def _factor(self, stage: str) -> float:
        spent, expected = sum(self.spent.values()), sum(self.expected.values())
        machine = (spent + PRIOR_SECONDS) / (expected + PRIOR_SECONDS)
        return (self.spent[stage] + PRIOR_SECONDS * machine) / (self.expected[stage] + PRIOR_SECONDS)

    def _work(self, f: _File, stage: str) -> float:
        return 0.0 if stage in f.skipped else f.duration * self.costs[stage]

    def fraction(self) -> float:
        """Share of the batch's expected time that is done (benchmark-weighted, so it never jumps back)."""
        total = sum(self._work(f, s) for f in self.files for s in self.costs)
        if total <= 0:
            return 1.0 if all(f.done.get("finishing") == 1.0 for f in self.files) else 0.0
        done = sum(self._work(f, s) * f.done.get(s, 0.0) for f in self.files for s in self.costs)
        return min(done / total, 1.0)

    def remaining(self) -> float:
        """Seconds still to go, by stage cost and this run's measured speed."""
        return sum(self._work(f, s) * (1 - f.done.get(s, 0.0)) * self._factor(s)
                   for f in self.files for s in self.costs)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def audio(self) -> tuple[float, float]:
        """Minutes of audio through both model stages, and in total."""
        done = sum(f.duration * (f.done.get("diarising", 0.0) + f.done.get("recognising", 0.0)) / 2
                   for f in self.files)
        return done / 60, sum(f.duration for f in self.files) / 60


class ProgressReporter:
    """The batch's Reporter: a live bar on a terminal, plain lines otherwise.

    `durations` are the recordings' lengths in seconds (keyed by path), `device` "cpu" or "cuda".
    """

    def __init__(self, durations: dict[Path, float], device: str = "cpu", quiet: bool = False,
                 stream: TextIO | None = None, terminal: bool | None = None):
        from rich.console import Console

        self.durations = durations
        self.device = device
        self.quiet = quiet
        self.console = Console(file=stream or sys.stderr, force_terminal=terminal, highlight=False,
                               soft_wrap=True)
        self.live = self.console.is_terminal and not quiet
        self.estimate: Estimate | None = None
        self.unseen: dict[Path, float] = {}
        self.files = 0
        self.index = 0
        self.label = ""
        self.stage_started = 0.0
        self._progress = self._task = None

    # --- the Reporter interface --------------------------------------------------------------

    def begin(self, files: int) -> None:
        self.files = files
        self.unseen = dict(self.durations)
        durations = list(self.durations.values())[:files]
        self.estimate = Estimate(durations + [0.0] * (files - len(durations)), self.device)
        if self.quiet or not files:
            return
        if self.live:
            self._start_bar()
        else:
            total = self.estimate.audio()[1]
            self._line(f"{files} recording(s), {total:.1f} min of audio, on the {self.device.upper()}")

    def file(self, index: int, audio: Path, code: str | None) -> None:
        self.index = index
        self.label = f"[{index + 1}/{self.files}] {code or ''}".rstrip()
        if self.estimate:
            # The batch runs files in study order: give this one its own length, the rest share the others.
            files = self.estimate.files
            files[index].duration = self.unseen.pop(audio, 0.0)
            rest = list(self.unseen.values())
            for later, f in enumerate(files[index + 1:]):
                f.duration = rest[later] if later < len(rest) else 0.0
            self.estimate.file(index)
        self.stage_started = time.monotonic()
        self._refresh("starting")

    def stage(self, code: str | None, name: str, seconds: float) -> None:
        if code:
            self.label = f"[{self.index + 1}/{self.files}] {code}"
        finished = self.estimate.stage(name, seconds) if self.estimate else None
        if finished and not self.live and not self.quiet:
            f = self.estimate.files[self.index]
            took = time.monotonic() - self.stage_started
            how = ": cached" if finished in f.skipped else f" in {took:.1f} s"
            self._line(f"{self.label} {name} {f.duration / 60:.1f} min of audio{how}")
        if finished:
            self.stage_started = time.monotonic()
        self._refresh(name)

    def done(self, result) -> None:
        if self.estimate:
            self.estimate.file_done()
        if not self.live and not self.quiet and self.estimate:
            label = f"[{self.index + 1}/{self.files}] {result.code or '-'}"
            self._line(f"{label} {result.status} (elapsed {timecode.elapsed(self.estimate.elapsed())}, "
                       f"about {timecode.elapsed(self.estimate.remaining())} left)")
        self._refresh("done")

    def say(self, message: str) -> None:
        """A message above the bar (the bar is redrawn below it), or a line of the log."""
        if not self.quiet:
            self.console.print(message, markup=False, highlight=False)

    def end(self) -> None:
        """Stop the bar; a batch that ran to the end shows 100 %."""
        if self._progress is not None:
            self._refresh("finished")
            self._progress.stop()
            self._progress = None
        elif self.estimate and not self.quiet and self.files:
            self._line(f"All {self.files} recording(s) processed in {timecode.elapsed(self.estimate.elapsed())}")

    def stop(self) -> None:
        """Stop the bar where it is (Ctrl-C, a full disk)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # --- drawing -----------------------------------------------------------------------------

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _start_bar(self) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[files]}  {task.fields[audio]}  {task.fields[times]}"),
            console=self.console, transient=False, auto_refresh=True, refresh_per_second=4,
        )
        self._task = self._progress.add_task("starting", total=1000, files="", audio="", times="")
        self._refresh("starting")
        self._progress.start()

    def _refresh(self, stage: str) -> None:
        if self._progress is None or self.estimate is None:
            return
        e = self.estimate
        done_files = sum(1 for f in e.files if f.done.get("finishing") == 1.0)
        done, total = e.audio()
        if stage == "finished":
            completed, eta, stage = 1000, "", "done"
        else:
            completed, eta = int(e.fraction() * 1000), f"ETA {timecode.elapsed(e.remaining())}"
        self._progress.update(self._task, completed=completed,
                              description=f"{self.label} {stage}".strip(),
                              files=f"{done_files}/{self.files} files",
                              audio=f"{done:.1f}/{total:.1f} min",
                              times=f"elapsed {timecode.elapsed(e.elapsed())}  {eta}")


class MessageReporter:
    """A Reporter for quick work (imports, re-renders): messages only, no bar."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None):
        self.quiet, self.stream = quiet, stream

    def begin(self, files: int) -> None: ...
    def file(self, index: int, audio: Path, code: str | None) -> None: ...
    def stage(self, code: str | None, name: str, seconds: float) -> None: ...
    def done(self, result) -> None: ...

    def say(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream or sys.stderr)
