"""The progress display: a time-weighted ETA, plain lines in a log, a live bar on a terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from transcribe.cli import cli
from transcribe.progress import STAGE_COSTS, Estimate, ProgressReporter
from transcribe.render import FileResult


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(estimate: Estimate, clock: Clock, durations, speed: float, cached=()):
    """Feed the estimate what the pipeline reports, on a machine `speed` times slower than the benchmark;
    yields (true seconds left, estimated seconds left, fraction) after every report."""
    costs = STAGE_COSTS["cpu"]
    total = sum(d * (costs["finishing"] + sum(costs[s] for s in ("diarising", "recognising") if s not in cached))
                for d in durations) * speed
    for index, duration in enumerate(durations):
        estimate.file(index)
        for stage, done in (("diarising", "diarised"), ("recognising", "recognised")):
            if stage in cached:
                estimate.stage(done, duration / 2)
                continue
            for _ in range(10):
                clock.now += duration * costs[stage] * speed / 10
                estimate.stage(stage, duration / 20)
                yield total - clock.now, estimate.remaining(), estimate.fraction()
            estimate.stage(done, 0.0)
        estimate.stage("anonymising", 0)
        clock.now += duration * costs["finishing"] * speed
        estimate.file_done()
        yield total - clock.now, estimate.remaining(), estimate.fraction()


def test_eta_is_weighted_by_stage_cost_and_settles():
    # The old bar counted diarisation as half the work: its ETA swung from 7:09 to 1:42 on a CPU.
    clock = Clock()
    estimate = Estimate([600.0, 300.0, 120.0], "cpu", clock=clock)
    rows = list(simulate(estimate, clock, [600.0, 300.0, 120.0], speed=1.3))
    truth0, eta0, _ = rows[0]
    assert abs(eta0 * 1.3 - truth0) / truth0 < 0.02  # from the first report: the benchmark's estimate
    truth1, eta1, _ = rows[1]
    assert abs(eta1 - truth1) / truth1 < 0.1  # from the second: corrected by this machine's speed
    errors = [abs(eta - truth) / max(truth, 1) for truth, eta, _ in rows[len(rows) // 3:]]
    assert max(errors) < 0.05  # after a third of the run the machine's speed is known
    fractions = [f for _, _, f in rows]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and rows[-1][1] == 0.0
    # At the end of the first file's diarisation the bar shows time, not audio: ~2/3 of that file.
    first_file = 600 / 1020
    assert 0.6 < fractions[9] / first_file < 0.72


def test_cached_stages_count_as_no_work():
    clock = Clock()
    estimate = Estimate([600.0], "cpu", clock=clock)
    rows = list(simulate(estimate, clock, [600.0], speed=1.0, cached=("diarising",)))
    truth0, eta0, _ = rows[0]
    assert abs(eta0 - truth0) / truth0 < 0.1
    assert rows[-1][2] == 1.0


def reporter_run(reporter: ProgressReporter, messages=(), pause: float = 0.0):
    """Two recordings through the Reporter interface, as the batch calls it."""
    a, b = Path("a.wav"), Path("b.wav")
    reporter.begin(2)
    for index, (audio, code) in enumerate(((b, "p1"), (a, "p2"))):  # study order, not the dict's
        reporter.file(index, audio, code)
        for stage, done in (("diarising", "diarised"), ("recognising", "recognised")):
            for _ in range(4):
                reporter.stage(code, stage, 5.0)
                time.sleep(pause)
            reporter.stage(code, done, 0.0)
        for message in messages:  # a text for the Reporter, or something that writes on its own
            message() if callable(message) else reporter.say(message)
        reporter.stage(code, "anonymising", 0)
        reporter.stage(code, "writing", 0)
        reporter.done(FileResult(audio, code, "done", duration=40.0))
    reporter.end()


def test_without_a_terminal_one_line_per_stage_with_timing():
    stream = io.StringIO()
    reporter = ProgressReporter({Path("a.wav"): 40.0, Path("b.wav"): 40.0}, "cpu", stream=stream)
    reporter_run(reporter, ["a message"])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "2 recording(s), 1.3 min of audio, on the CPU"
    assert re.fullmatch(r"\[1/2\] p1 diarised 0\.7 min of audio in \d+\.\d s", lines[1])
    assert re.fullmatch(r"\[1/2\] p1 recognised 0\.7 min of audio in \d+\.\d s", lines[2])
    assert lines[3] == "a message"
    assert re.fullmatch(r"\[1/2\] p1 done \(elapsed 0:\d\d, about 0:\d\d left\)", lines[4])
    assert lines[-1].startswith("All 2 recording(s) processed in ")
    assert "\x1b" not in stream.getvalue()  # no escape codes in a log file


def test_quiet_prints_nothing():
    stream = io.StringIO()
    reporter_run(ProgressReporter({Path("a.wav"): 40.0, Path("b.wav"): 40.0}, "cpu", quiet=True, stream=stream),
                 ["a message"])
    assert stream.getvalue() == ""


def read_pty(args: list[str], cwd: Path, timeout: float = 300) -> str:
    """Run a command with a pseudo-terminal as its stderr and stdout; return all it wrote."""
    main, child = pty.openpty()
    env = dict(os.environ, COLUMNS="120", LINES="30", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=cwd, env=env)
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError("no output for too long:\n" + b"".join(chunks).decode(errors="replace"))
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_progress import reporter_run
from transcribe.progress import ProgressReporter
import logging
from transcribe import cli
cli._setup_logging(False, False)
warn = lambda: logging.getLogger("transcribe").warning("LOG-TWO")
reporter_run(ProgressReporter({{Path("a.wav"): 40.0, Path("b.wav"): 40.0}}, "cpu"), ["MESSAGE-ONE", warn], pause=0.3)
"""


@pytest.mark.slow
def test_on_a_terminal_a_live_bar_with_messages_above_it_and_100_percent_at_the_end(tmp_path):
    raw = read_pty([sys.executable, "-c", SCRIPT.format(tests=str(ROOT / "tests"))], tmp_path, timeout=60)
    assert "\x1b[" in raw  # drawn live, with cursor movements
    clean = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    assert clean.count("MESSAGE-ONE") == 2  # printed once per file, above the bar
    assert clean.count("WARNING: LOG-TWO") == 2  # log messages too
    for line in clean.replace("\r", "\n").splitlines():
        if "MESSAGE-ONE" in line or "LOG-TWO" in line:
            assert line.strip() in ("MESSAGE-ONE", "WARNING: LOG-TWO")  # never glued to a stale copy of the bar
    last = [line for line in clean.replace("\r", "\n").splitlines() if line.strip()][-1]
    assert "100%" in last and "2/2 files" in last and "1.3/1.3 min" in last and "elapsed" in last
    assert "ETA" in clean


def test_cli_log_lines_when_not_a_terminal(study_run, tmp_path):
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, copy.with_name("transcripts.private"))
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(copy), "--new-study"])
    assert result.exit_code == 0, result.output
    assert "3 recording(s), 3.7 min of audio, on the CPU" in result.output
    for code in ("p1", "p2", "p3"):
        assert re.search(rf"\] {code} diarised \d\.\d min of audio: cached", result.output)
        assert re.search(rf"\] {code} recognised \d\.\d min of audio: cached", result.output)
    assert "All 3 recording(s) processed in " in result.output


def test_cli_on_a_terminal_ends_at_100_percent(study_run, tmp_path):
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, copy.with_name("transcripts.private"))
    raw = read_pty([sys.executable, "-c", "from transcribe.cli import main; main()", "run", str(SAMPLES),
                    "-o", str(copy)], ROOT)
    clean = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw).replace("\r", "\n")
    lines = [line for line in clean.splitlines() if line.strip()]
    bars = [line for line in lines if "files" in line and "min" in line and "elapsed" in line]
    assert bars and "100%" in bars[-1] and "3/3 files" in bars[-1]
    assert "Finished 3 of 3 recording(s):" in clean
