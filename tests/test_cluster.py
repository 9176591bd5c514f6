"""`transcribe run --ray`: the model stages on a Ray cluster started for the run (two CPU workers).

The outputs must be byte for byte those of the local run of the same samples (the study_run
fixture: same models, same settings), a worker killed mid-batch must not stop the batch, and
nothing identifiable may reach Ray's files or its task names.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from transcribe.cli import cli
from transcribe.study import load_study


@pytest.fixture
def ray_tmp(monkeypatch):
    """A local cluster of two CPUs whose files all go to a folder of the test, then read there."""
    import transcribe.cluster

    # A short path: Ray's sockets live there, and a socket's path has at most 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="ray-"))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # else a token is written to ~/.ray
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setattr(transcribe.cluster, "LOCAL_CPUS", 2)
    monkeypatch.setenv("RAY_TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def outputs(out: Path) -> dict[str, bytes]:
    """Every file of a run's two folders, but the run's log, the stage cache and the key's history
    (copies named by the time they were made)."""
    private = out.with_name(out.name + ".private")
    files = {f"out/{p.name}": p.read_bytes() for p in out.iterdir()}
    files |= {f"private/{p.relative_to(private)}": p.read_bytes() for p in private.rglob("*")
              if p.is_file() and p.name != "run.log" and p.relative_to(private).parts[0] not in ("cache", "key-history")}
    return files


def sensitive(out: Path) -> list[str]:
    """What must never reach Ray: names, file names, paths and transcript text."""
    study = load_study(SAMPLES / "study.toml")
    words = {part for person in study.people for name in person.names for part in [name, *name.split()]
             if part not in ("Dr", "Ms", "Mr", "Mrs")}
    words |= {i.audio.name for i in study.interviews} | {i.audio.stem for i in study.interviews}
    words |= {str(SAMPLES), str(out.parent)}  # the recordings' and the outputs' folders (Ray's own install may show)
    private = out.with_name(out.name + ".private")
    for path in private.glob("*.identifiable.txt"):
        lines = re.findall(r"^\s*\d+  (?:\S+: )?(.{24,})$", path.read_text(), re.M)
        words |= {line[:24] for line in lines}
    return sorted(words)


class ProcessWatch(threading.Thread):
    """Records the title of every Ray process (ray::<task name>) while a run goes on, and kills
    the worker transcribing `kill` once, a second after it started."""

    def __init__(self, kill: str | None = None):
        super().__init__(daemon=True)
        self.kill, self.killed, self.titles, self.stop = kill, None, set(), threading.Event()

    def run(self) -> None:
        started: dict[int, float] = {}
        while not self.stop.wait(0.1):
            for pid, title in ray_processes():
                self.titles.add(title)
                if self.kill and self.killed is None and title == f"ray::transcribe {self.kill}":
                    if time.monotonic() - started.setdefault(pid, time.monotonic()) > 1.0:
                        os.kill(pid, signal.SIGKILL)
                        self.killed = pid


def ray_processes() -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path("/proc", entry, "cmdline").read_bytes().split(b"\0")[0].decode("utf-8", "replace")
            except OSError:
                continue
            if title.startswith("ray::"):
                found.append((int(entry), title))
    return found


def every_file_text(folder: Path) -> str:
    parts = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                parts.append(path.read_bytes().decode("utf-8", "replace"))
            except OSError:
                continue
    return "\n".join(parts)


def run_on_ray(out: Path, watch: ProcessWatch):
    watch.start()
    try:
        return CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(out), "--format", "all", "--new-study", "--ray"])
    finally:
        watch.stop.set()
        watch.join()


def test_a_cluster_run_writes_what_a_local_run_writes_and_ray_sees_only_codes(study_run, ray_tmp, tmp_path, monkeypatch):
    import transcribe.anonymise.detect

    def refuse(*args, **kwargs):
        raise AssertionError("the driver loaded a detector: detection should have run on the workers")

    monkeypatch.setattr(transcribe.anonymise.detect.Detector, "__init__", refuse)  # here, not on the workers
    out = tmp_path / "transcripts"
    watch = ProcessWatch()
    result = run_on_ray(out, watch)
    assert result.exit_code == 0, result.output
    assert "Ray cluster: 2 worker(s) on CPUs" in result.output
    local, _, _ = study_run
    assert outputs(out) == outputs(local)
    # Every stage ran once, on the cluster or (detection) at the driver, and is cached as locally.
    private, local_private = out.with_name("transcripts.private"), local.with_name("transcripts.private")
    names = {str(f.relative_to(private)) for f in (private / "cache").rglob("*.json")}
    assert names <= {str(f.relative_to(local_private)) for f in (local_private / "cache").rglob("*.json")}
    assert sorted(n.split("/")[-1].split("-")[0] for n in names) == sorted(["detect", "diarise", "recheck", "recognise"] * 3)

    titles = {t for t in watch.titles if t.startswith("ray::transcribe")}
    assert titles == {"ray::transcribe p1", "ray::transcribe p2", "ray::transcribe p3"}, watch.titles
    assert list(ray_tmp.rglob("*.log")), "Ray's log files were not found"
    text = every_file_text(ray_tmp) + "\n".join(watch.titles)
    for word in sensitive(out):  # whole words: "Tom" is not in Ray's "Tombstones"
        assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text), f"{word!r} found in Ray's files or process titles"


def test_a_worker_killed_mid_batch_has_its_recording_retried(study_run, ray_tmp, tmp_path):
    local, local_private, _ = study_run
    out = tmp_path / "transcripts"
    private = tmp_path / "transcripts.private"
    # Diarisation is already cached (from the local run): the workers recognise only, a shorter run.
    private.mkdir(mode=0o700)
    shutil.copytree(local_private / "cache", private / "cache", ignore=lambda folder, names: [
        n for n in names if n.endswith(".json") and not n.startswith("diarise-")])
    watch = ProcessWatch(kill="p2")
    result = run_on_ray(out, watch)
    assert watch.killed is not None, f"the worker was not found to kill: {watch.titles}"
    assert result.exit_code == 0, result.output
    assert outputs(out) == outputs(local)
    assert not Path(f"/proc/{watch.killed}").exists()


def test_ray_takes_an_optional_address(monkeypatch, tmp_path):
    import transcribe.cli

    seen = []
    monkeypatch.setattr(transcribe.cli, "_run_batch", lambda paths, out, study, settings, output, console,
                        ray_address=None, **_: seen.append((ray_address, [str(p) for p in paths])))
    folder = str(SAMPLES)
    cases = [
        (["run", folder], (None, [folder])),
        (["run", folder, "--ray"], ("local", [folder])),
        (["run", "--ray", folder], ("local", [folder])),  # the folder is not taken for an address
        (["run", "--ray", "auto", folder], ("auto", [folder])),
        (["run", "--ray=auto", folder], ("auto", [folder])),
        (["run", folder, "--ray", "10.1.2.3:6379", "-q"], ("10.1.2.3:6379", [folder])),
        (["run", folder, "--ray", "ray://head:10001"], ("ray://head:10001", [folder])),
    ]
    for args, expected in cases:
        seen.clear()
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
        assert seen == [expected], args
    result = CliRunner().invoke(cli, ["run", folder, "--ray", "nowhere"])
    assert result.exit_code == 2 and "not a Ray address" in result.output
    result = CliRunner().invoke(cli, ["run", "--ray"])
    assert result.exit_code == 2 and "Missing argument 'PATHS...'" in result.output


def test_without_ray_installed_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as it does where it is not installed
    result = CliRunner().invoke(cli, ["run", str(SAMPLES / "interview_01.flac"), "-o", str(tmp_path / "out"), "--new-study", "--ray"])
    assert result.exit_code == 1
    assert "pip install 'transcribe-interviews[cluster]'" in result.output
    assert not (tmp_path / "out").exists()


def test_ray_is_locked_for_the_tests_and_not_in_a_plain_install():
    def pins(name: str) -> dict[str, str]:
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / name).read_text(), re.M))

    plain, cluster = pins("requirements.lock"), pins("requirements-cluster.lock")
    assert "ray" not in plain and "ray" in cluster
    assert {name: cluster.get(name) for name in plain} == plain  # a superset, with the same pins
    # The README's test command installs it, and CI runs that command.
    assert "--require-hashes -r requirements-cluster.lock" in (ROOT / "README.md").read_text()
    assert "run_readme 'Set up and run the tests:'" in (ROOT / ".ci" / "run").read_text()
