"""`transcribe run --ray` on this machine with one and two workers, and the scaling model.

    nice -n 10 python benchmarks/cluster.py [--out benchmarks/results/cluster-cpu.json]

Each run transcribes the demo study (samples/: three recordings, 3.7 min of audio, with its study
file, txt and json) from an empty stage cache on a local Ray cluster, as `transcribe run --ray`
does, with tiny.en on the CPU (one CPU per worker). Recorded per run: the cluster's start (Ray and
the workers), the batch's wall time, the workers' own time on recordings, and the driver's time per
recording once a recording's stages are back (its cached pipeline, detection, writes) plus its
decode (timed on its own: in a run it overlaps the wait for the cluster).

The scaling model: the driver takes the recordings one after another while the workers transcribe
the next ones, so a batch takes about max(audio / (workers x per-worker speed), recordings x driver
cost) plus the start. The per-worker speed on a GPU is not measured here: it is the model stages
(decode, diarise, recognise) of the "project" run in benchmarks/results/gpu-h200-60min.json (one
H200, tiny.en, an hour-long recording). The driver cost is this machine's, scaled linearly with
the audio's length (decode and detection both are).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT))

import transcribe  # noqa: E402,F401  (switches pyannote's telemetry off before anything imports it)

GPU_RESULT = ROOT / "benchmarks" / "results" / "gpu-h200-60min.json"
GPU_MODEL_STAGES = ("decode", "recognise", "diarise")
CLUSTER_GPUS = 100
ARCHIVE_HOURS = 1000.0


def settings():
    from transcribe.folders import OutputSettings
    from transcribe.pipeline import RunSettings

    return RunSettings(model="tiny.en", device="cpu", language="en"), OutputSettings(["txt", "json"], 80, False, True)


def outputs(out: Path) -> dict[str, bytes]:
    private = out.with_name(out.name + ".private")
    files = {f"out/{p.name}": p.read_bytes() for p in out.iterdir()}
    return files | {f"private/{p.name}": p.read_bytes() for p in private.iterdir() if p.is_file() and p.name != "run.log"}


def cluster_run(workers: int, folder: Path) -> tuple[dict, dict[str, bytes]]:
    """One batch of the samples on a local cluster with `workers` workers."""
    from transcribe import cluster
    from transcribe.batch import Batch, Reporter, open_study

    run_settings, output = settings()
    study = open_study([SAMPLES], None)
    out = folder / f"workers-{workers}" / "transcripts"
    out.parent.mkdir()
    driver: list[float] = []

    class Timing(Reporter):
        back = 0.0

        def done(self, result) -> None:
            driver.append(time.perf_counter() - self.back)

    reporter = Timing()
    started = time.perf_counter()
    with cluster.connect(cluster.LOCAL) as ray:
        connected = time.perf_counter()
        remote = cluster.Remote(ray, run_settings, study=study, workers=workers)
        ready = time.perf_counter()
        wait = remote.wait

        def timed_wait(index):
            failure = wait(index)
            reporter.back = time.perf_counter()
            return failure

        remote.wait = timed_wait
        batch = Batch(out, run_settings, output, study, reporter, remote=remote)
        results = batch.run([SAMPLES])
        finished = time.perf_counter()
    assert all(r.status == "done" for r in results), [(r.code, r.status, r.message) for r in results]
    audio = sum(r.duration for r in results)
    return {
        "workers": workers,
        "ray_start_s": round(connected - started, 2),
        "workers_start_s": round(ready - connected, 2),
        "batch_s": round(finished - ready, 2),
        "audio_s": round(audio, 2),
        "times_real_time": round(audio / (finished - ready), 2),
        "worker_busy_s": round(remote.worker_seconds, 2),
        "per_worker_times_real_time": round(audio / remote.worker_seconds, 2),
        "driver_after_results_s": [round(s, 3) for s in driver],
    }, outputs(out)


def decode_seconds() -> tuple[float, float]:
    from transcribe.audio import decode

    files = sorted(SAMPLES.glob("*.flac"))
    started = time.perf_counter()
    audio = sum(decode(f).duration for f in files)
    return time.perf_counter() - started, audio


def gpu_worker_seconds_per_hour() -> dict:
    result = json.loads(GPU_RESULT.read_text())
    run = result["runs"]["project"]
    stages = {s["stage"]: s["seconds"] for s in run["stages"]}
    duration = result["input"]["duration_s"]
    model = sum(stages[s] for s in GPU_MODEL_STAGES)
    return {"source": str(GPU_RESULT.relative_to(ROOT)), "label": result["label"], "model": result["settings"]["model"],
            "stages": {s: stages[s] for s in GPU_MODEL_STAGES}, "audio_s": duration,
            "seconds_per_audio_hour": round(model / duration * 3600, 2),
            "times_real_time": round(duration / model, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cluster-cpu.json")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("transcribe").setLevel(logging.ERROR)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    folder = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    os.environ["RAY_TMPDIR"] = str(folder / "ray")
    (folder / "ray").mkdir()
    load_before = os.getloadavg()
    try:
        runs, files = [], []
        for workers in (1, 2):
            run, made = cluster_run(workers, folder)
            runs.append(run)
            files.append(made)
            print(json.dumps(run), flush=True)
        decode_s, audio_s = decode_seconds()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()

    recordings = len(runs[0]["driver_after_results_s"])
    driver_after = sum(sum(r["driver_after_results_s"]) for r in runs) / (len(runs) * recordings)
    driver_per_recording = driver_after + decode_s / recordings
    driver_per_hour = driver_per_recording * recordings / audio_s * 3600
    gpu = gpu_worker_seconds_per_hour()
    workers_h = ARCHIVE_HOURS * gpu["seconds_per_audio_hour"] / CLUSTER_GPUS / 3600
    driver_h = ARCHIVE_HOURS * driver_per_hour / 3600
    start_h = max(r["ray_start_s"] + r["workers_start_s"] for r in runs) / 3600
    result = {
        "benchmark": "cluster",
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after],
                    "note": "2 cores shared with other work while this ran: the figures are upper bounds on times"},
        "settings": {"model": "tiny.en", "device": "cpu", "cpus_per_worker": 1, "input": "samples/ (3 recordings)",
                     "formats": ["txt", "json"], "anonymise": True},
        "runs": runs,
        "outputs_identical_1_vs_2_workers": files[0] == files[1],
        "driver": {"decode_s_all_recordings": round(decode_s, 2),
                   "after_results_s_per_recording": round(driver_after, 3),
                   "s_per_recording": round(driver_per_recording, 3),
                   "s_per_audio_hour": round(driver_per_hour, 1)},
        "gpu_worker": gpu,
        "model": {
            "formula": "hours = max(audio_h * worker_s_per_audio_h / gpus, audio_h * driver_s_per_audio_h) / 3600 + start",
            "gpus": CLUSTER_GPUS, "audio_hours": ARCHIVE_HOURS, "recording_hours": 1.0,
            "workers_bound_h": round(workers_h, 3),
            "driver_bound_h": round(driver_h, 3),
            "start_h": round(start_h, 4),
            "predicted_h": round(max(workers_h, driver_h) + start_h, 3),
            "limited_by": "driver" if driver_h > workers_h else "workers",
            "gpus_before_the_driver_limits": round(gpu["seconds_per_audio_hour"] / driver_per_hour, 2),
        },
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["model"], indent=1))


if __name__ == "__main__":
    main()
