"""A batch that never loses work: kills, Ctrl-C, a second run, a full disk, permissions, leaks.

Real models on short real speech; the killed runs are separate processes.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from audio_files import encode
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from transcribe.audio import SAMPLE_RATE, decode
from transcribe.cli import cli
from transcribe.storage import output_lock

FORMATS = "txt,json,docx"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Two short two-speaker recordings cut from the demo interviews."""
    folder = tmp_path_factory.mktemp("recordings")
    for name, source, start in (("first.wav", "interview_01.flac", 7.0), ("second.wav", "interview_02.flac", 6.0)):
        samples = decode(SAMPLES / source).samples
        encode(samples[int(start * SAMPLE_RATE) : int((start + 10) * SAMPLE_RATE)], folder / name)
    return folder


def transcribe(*args: str, kill_at: int | None = None, interrupt_at: str | None = None) -> subprocess.CompletedProcess:
    """The CLI in its own process: killed at its Nth file publication, or sent Ctrl-C when its
    progress output first shows `interrupt_at`."""
    command = [sys.executable, str(ROOT / "tests" / "killer.py"), str(kill_at or 0), *args]
    if interrupt_at is None:
        return subprocess.run(command, capture_output=True, text=True, timeout=600, env=os.environ)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if interrupt_at in line:
            process.send_signal(signal.SIGINT)
            break
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(command, process.returncode, stdout, "".join(seen) + stderr)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def no_partial_files(*folders: Path) -> None:
    for folder in folders:
        leftovers = [p for p in folder.rglob("*") if p.name.startswith(".tmp-")]
        assert leftovers == [], leftovers
        for path in folder.rglob("*.json"):
            json.loads(path.read_text())  # every published JSON file is complete
        for path in folder.rglob("*.docx"):
            assert zipfile.ZipFile(path).testzip() is None


@pytest.fixture(scope="module")
def reference(recordings, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "transcripts"
    done = transcribe("run", str(recordings), "-o", str(out), "--format", FORMATS)
    assert done.returncode == 0, done.stderr
    return snapshot(out)


# Publication 2 is the first recording's diarisation cache, 10 its shareable docx, 20 the second
# recording's shareable text (see the order in batch.py: cache, identifiable, detections, outputs).
@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [2, 10, 20], ids=["cache-write", "output-write", "second-recording-output"])
def test_kill_9_then_rerun_gives_identical_outputs(recordings, reference, tmp_path, kill_at):
    out = tmp_path / "transcripts"
    private = tmp_path / "transcripts.private"
    killed = transcribe("run", str(recordings), "-o", str(out), "--format", FORMATS, kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL
    # Killed just before a rename: whatever was published is complete.
    for path in list(out.glob("*")) + list(private.rglob("*")):
        if path.is_file() and not path.name.startswith(".tmp-") and path.suffix == ".json":
            json.loads(path.read_text())
    again = transcribe("run", str(recordings), "-o", str(out), "--format", FORMATS)
    assert again.returncode == 0, again.stderr
    assert snapshot(out) == reference
    no_partial_files(out, private)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(recordings, reference, tmp_path):
    out = tmp_path / "transcripts"
    stopped = transcribe("run", str(recordings), "-o", str(out), "--format", FORMATS, interrupt_at="[1/2] p1 diarised")
    assert stopped.returncode == 130, stopped.stderr
    assert "Interrupted." in stopped.stderr and "run the same command again to resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    no_partial_files(out, tmp_path / "transcripts.private")
    again = transcribe("run", str(recordings), "-o", str(out), "--format", FORMATS)
    assert again.returncode == 0, again.stderr
    assert snapshot(out) == reference


def test_a_second_run_on_the_same_folder_refuses_and_a_dead_lock_is_taken_over(tmp_path):
    out = tmp_path / "transcripts"
    private = tmp_path / "transcripts.private"
    private.mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom transcribe.storage import output_lock\n"
         f"with output_lock(Path({str(private)!r})):\n    print('locked', flush=True)\n    time.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / "empty.wav").write_bytes(b"")
        second = CliRunner().invoke(cli, ["run", str(tmp_path / "empty.wav"), "-o", str(out)])
        assert second.exit_code == 1
        assert "Another transcribe run is writing to this output folder" in second.output
    finally:
        holder.kill()
        holder.wait()
    after_kill = CliRunner().invoke(cli, ["run", str(tmp_path / "empty.wav"), "-o", str(out)])
    assert "Another transcribe run" not in after_kill.output
    assert "empty.wav: failed: empty.wav is empty" in after_kill.output


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    from transcribe.errors import TranscribeError

    with output_lock(tmp_path):
        with pytest.raises(TranscribeError, match="Another transcribe run"):
            with output_lock(tmp_path):
                pass


@pytest.fixture
def finished(study_run, tmp_path):
    """A copy of a finished demo-study run, to break."""
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, tmp_path / "transcripts.private")
    return copy


@pytest.mark.parametrize("code, message", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "the folder is not writable")])
def test_full_disk_or_read_only_folder_is_a_clear_error_and_earlier_outputs_stay(finished, monkeypatch, code, message):
    before = snapshot(finished)
    real_replace = os.replace

    def failing(source, target, *args, **kwargs):
        if Path(target).parent == finished:
            raise OSError(code, os.strerror(code))
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(finished), "--format", "all", "--timestamps", "--new-study"])
    assert result.exit_code == 1
    assert message in result.output and "run the same command again" in result.output
    assert "Traceback" not in result.output
    assert snapshot(finished) == before
    no_partial_files(finished, finished.with_name("transcripts.private"))


@pytest.mark.slow
def test_private_files_are_created_private_whatever_the_umask(recordings, tmp_path):
    out = tmp_path / "transcripts"
    old = os.umask(0)
    try:
        result = CliRunner().invoke(cli, ["run", str(recordings / "first.wav"), "-o", str(out), "--format", FORMATS])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    private = tmp_path / "transcripts.private"
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [private, *private.rglob("*")]}
    assert {m for p, m in modes.items() if Path(tmp_path / p).is_dir()} == {0o700}, modes
    assert {m for p, m in modes.items() if Path(tmp_path / p).is_file()} == {0o600}, modes
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}


def every_text(folder: Path) -> str:
    """All the text in a folder's files, docx XML included."""
    parts = []
    for path in folder.rglob("*"):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                parts.extend(docx.read(name).decode("utf-8", "replace") for name in docx.namelist())
        elif path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_nothing_identifiable_reaches_the_shareable_folder_or_the_log(study_run):
    from transcribe.study import load_study

    out, private, _ = study_run
    study = load_study(SAMPLES / "study.toml")
    names = {part for person in study.people for name in person.names for part in [name, *name.split()]
             if part not in ("Dr", "Ms", "Mr", "Mrs")}
    file_names = {i.audio.name for i in study.interviews} | {i.audio.stem for i in study.interviews}
    shared = every_text(out)
    log = (private / "run.log").read_text()
    for text, where in ((shared, "shareable folder"), (log, "run.log")):
        for name in sorted(names | file_names):
            assert not re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE), f"{name!r} found in the {where}"
        assert str(ROOT) not in text and str(out.parent) not in text, f"a path found in the {where}"
    assert "p1:" in log  # the log does hold codes, stages and timings
