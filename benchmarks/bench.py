"""Speed and accuracy of `transcribe run` beside the plain libraries, on the same audio, in one command.

Default mode: build a long input from the demo interviews (with exact ground truth), run the anchor
(whisper.transcribe, then pyannote's SpeakerDiarization) and the project (transcribe's batch) in
separate processes, and report wall time, real-time factor (processing time / audio duration) and
peak memory per stage for each, the anchor/project speed ratios, and WER and DER beside them.

    python benchmarks/bench.py --minutes 10 --device cpu --model tiny.en
    python benchmarks/bench.py --sweep --device cpu     # diarisation settings: RTF and DER
    python benchmarks/bench.py --project-only --minutes 180 --whole --out benchmarks/results/memory-180min.json

--project-only runs the project alone (a long input's memory is the question, not the anchor's speed);
with --whole it runs a second time with every recording diarised at once instead of in blocks.

Results go to benchmarks/results/NAME.json (see --out) and a table is printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from inputs import LAYOUTS, Reference, build_long_input  # noqa: E402
from scoring import der_by_collar, der_near_cuts, wer  # noqa: E402

import transcribe  # noqa: E402,F401  (switches pyannote's telemetry off before anything imports it)

WORK = HERE / "work"
SETUP_STAGES = ("load", "warm-up")  # measured, but not part of processing a recording
STAGE_ORDER = ("load", "warm-up", "setup", "decode", "recognise", "diarise", "align+roles", "anonymise", "write")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--model", default="tiny.en", help="Whisper model name or path to a .pt checkpoint")
    parser.add_argument("--language", default="en")
    parser.add_argument("--label", default="", help="where the figures come from, e.g. 'laptop, 2 cores'")
    parser.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/<settings>.json)")
    run = parser.add_argument_group("anchor versus project")
    run.add_argument("--minutes", type=float, default=10.0, help="length of the input (default 10)")
    run.add_argument("--layout", choices=sorted(LAYOUTS), default="one",
                     help="one: interview_01 repeated, 2 speakers (default); all: the three interviews, 4 speakers")
    run.add_argument("--segmentation-step", type=float, help="project only (default: transcribe's)")
    run.add_argument("--batch-size", type=int, help="project only: windows decoded at once (default: transcribe's)")
    run.add_argument("--study", type=Path, help="project only: a study file (its names also become Whisper's prompt)")
    run.add_argument("--no-anonymise", action="store_true", help="project without anonymisation (no presidio needed)")
    run.add_argument("--anchor-word-timestamps", action="store_true",
                     help="also run the anchor with word_timestamps=True (off by default in whisper)")
    run.add_argument("--warmup", action="store_true", help="run each side once on 30 s before measuring")
    long = parser.add_argument_group("long inputs (project only)")
    long.add_argument("--project-only", action="store_true", help="run the project without the anchor")
    long.add_argument("--block-seconds", type=float,
                      help="diarisation block length (default: transcribe's; 0: the whole recording at once)")
    long.add_argument("--whole", action="store_true",
                      help="with --project-only: also run with the whole recording diarised at once")
    sweep = parser.add_argument_group("diarisation sweep (--sweep)")
    sweep.add_argument("--sweep", action="store_true", help="sweep diarisation settings instead")
    sweep.add_argument("--steps", default="0.1,0.15,0.2,0.3", help="segmentation steps (fraction of 10 s)")
    sweep.add_argument("--embedding-batch-sizes", default="1,32")
    sweep.add_argument("--exclude-overlap", default="true,false")
    sweep.add_argument("--recordings", help="subset, comma-separated: interview_01, interview_02, interview_03, "
                       "pyannote-sample, ami-dev00, ami-dev01 (default all)")
    return parser.parse_args(argv)


# --- machine ------------------------------------------------------------------------------------


def machine() -> dict:
    """Where the figures come from: CPU, cores, memory, GPU and library versions."""
    from importlib.metadata import version

    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal")))
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "torch_threads": torch.get_num_threads(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("torch", "openai-whisper", "pyannote.audio", "numpy")},
        "commit": git_commit(),
    }


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# --- anchor versus project ----------------------------------------------------------------------


def checkpoint(model: str) -> tuple[str, str]:
    """(path, name) of the Whisper checkpoint, converted from the packaged weights outside any timing."""
    from transcribe.models import find_whisper

    found = find_whisper(model)
    return str(found.path), found.name


def specs(args, audio: Path, reference: Reference) -> dict[str, tuple[str, dict]]:
    """Run name → (worker side, its settings)."""
    path, name = checkpoint(args.model)
    common = {"audio": str(audio), "checkpoint": path, "model_name": name, "device": args.device,
              "language": args.language, "num_speakers": reference.speakers, "warmup": args.warmup}
    runs = {}
    if not args.project_only:
        runs["anchor"] = ("anchor", common | {"word_timestamps": False})
        if args.anchor_word_timestamps:
            runs["anchor+words"] = ("anchor", common | {"word_timestamps": True})
    project = common | {
        "segmentation_step": args.segmentation_step, "batch_size": args.batch_size, "anonymise": not args.no_anonymise,
        "study": str(args.study) if args.study else None, "out": str(WORK / "project-out" / "transcripts"),
    }
    if args.block_seconds is not None:
        project["block_seconds"] = args.block_seconds or None
    runs["project"] = ("project", project)
    if args.project_only and args.whole:
        runs["project-whole"] = ("project", project | {"block_seconds": None,
                                                       "out": str(WORK / "project-whole-out" / "transcripts")})
    return runs


def run_worker(name: str, side: str, spec: dict) -> dict:
    """Run one side in a fresh process and return what it measured."""
    folder = WORK / "runs" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if side == "project":
        shutil.rmtree(Path(spec["out"]).parent, ignore_errors=True)
    (folder / "spec.json").write_text(json.dumps(spec, indent=1))
    print(f"running {name} ...", file=sys.stderr, flush=True)
    command = [sys.executable, str(HERE / "workers.py"), side, str(folder / "spec.json"), str(folder / "result.json")]
    subprocess.run(command, check=True)
    return json.loads((folder / "result.json").read_text())


def summarise(run: dict, reference: Reference) -> dict:
    """Stage times as real-time factors, totals, and accuracy against the reference."""
    stages = sorted(run["stages"], key=lambda s: STAGE_ORDER.index(s["stage"]))
    for stage in stages:
        stage["rtf"] = round(stage["seconds"] / reference.duration, 5)
    processing = sum(s["seconds"] for s in stages if s["stage"] not in SETUP_STAGES)
    summary = {
        "stages": stages,
        "processing_s": round(processing, 3),
        "rtf": round(processing / reference.duration, 5),
        "times_real_time": round(reference.duration / processing, 1),
        "peak_rss_processing_mib": max(s["peak_rss_mib"] for s in stages if s["stage"] not in SETUP_STAGES),
        "peak_rss_mib": run["peak_rss_mib"],
        "wer": round(wer(reference.text, run["text"]), 4),
        **der_by_collar(reference.turns, run["turns"]),
        "speakers_found": len({t[2] for t in run["turns"]}),
    }
    if "text_shown" in run:
        summary["wer_shown"] = round(wer(reference.text, run["text_shown"]), 4)
        summary["batch_size"] = run["batch_size"]
    return summary


def stage_seconds(run: dict) -> dict[str, float]:
    return {s["stage"]: s["seconds"] for s in run["stages"]}


def ratios(anchor: dict, project: dict) -> dict:
    """anchor / project wall time, per stage both have and overall (above 1: the project is faster)."""
    a, p = stage_seconds(anchor), stage_seconds(project)
    shared = {name: round(a[name] / p[name], 2) for name in a if name in p and name not in SETUP_STAGES and p[name] > 0}
    whole = project["processing_s"]
    return {
        "stages": shared,
        "processing": round(anchor["processing_s"] / whole, 2),
        # The issue's target: the whole pipeline against the anchor's recognition plus diarisation.
        "anchor_recognise_diarise_vs_project_processing": round((a["recognise"] + a["diarise"]) / whole, 2),
    }


def compare(args) -> dict:
    audio = WORK / f"input-{args.layout}-{args.minutes:g}min.wav"
    reference = build_long_input(args.minutes, args.layout, audio)
    print(f"input: {reference.duration / 60:.1f} min, {reference.speakers} speakers ({audio.name})", file=sys.stderr)
    measured = {name: run_worker(name, side, spec) for name, (side, spec) in specs(args, audio, reference).items()}
    runs = {name: summarise(run, reference) for name, run in measured.items()}
    if args.project_only:
        add_block_edges(runs, measured, reference)
    project = runs["project"]
    return {
        "benchmark": "anchor-vs-project",
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "label": args.label,
        "machine": machine(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("out", "sweep", "steps", "embedding_batch_sizes", "exclude_overlap", "recordings")},
        "input": {"file": audio.name, "duration_s": reference.duration, "speakers": reference.speakers,
                  "words": len(reference.text.split())},
        "runs": runs,
        "ratios": {name: ratios(run, project) for name, run in runs.items() if name.startswith("anchor")},
    }


def add_block_edges(runs: dict, measured: dict, reference: Reference) -> None:
    """Each run's DER near the block run's block edges and elsewhere (the whole-file run on the same spans)."""
    edges = measured["project"]["block_edges"]
    for name, run in runs.items():
        run["der_near_block_edges"] = der_near_cuts(reference.turns, measured[name]["turns"], reference.duration, edges)


def timing_cells(seconds: float, rtf: float, peak_mib: float) -> str:
    return f"{seconds:>10.2f}{rtf:>8.3f}{peak_mib:>10.0f}"


def print_comparison(results: dict) -> None:
    runs = results["runs"]
    m, i = results["machine"], results["input"]
    print(f"\n{i['duration_s'] / 60:.1f} min of audio, {i['speakers']} speakers; {results['settings']['device']}, "
          f"{m['gpu'] or m['cpu']} ({m['cores']} cores); model {results['settings']['model']}")
    print(f"{'stage':<13}" + "".join(f"{n:>28}" for n in runs) + f"{'anchor/project':>16}")
    print(f"{'':<13}" + f"{'s':>10}{'RTF':>8}{'peak MiB':>10}" * len(runs))
    stages = [s for s in STAGE_ORDER if any(s in stage_seconds(r) for r in runs.values())]
    for stage in stages:
        row = f"{stage:<13}"
        for run in runs.values():
            found = next((s for s in run["stages"] if s["stage"] == stage), None)
            row += timing_cells(found["seconds"], found["rtf"], found["peak_rss_mib"]) if found else f"{'-':>28}"
        ratio = results["ratios"].get("anchor", {}).get("stages", {}).get(stage)
        print(row + (f"{ratio:>15.2f}x" if ratio else ""))
    anchor = results["ratios"].get("anchor")
    print(f"{'processing':<13}"
          + "".join(timing_cells(r["processing_s"], r["rtf"], r["peak_rss_processing_mib"]) for r in runs.values())
          + (f"{anchor['processing']:>15.2f}x" if anchor else ""))
    for key in ("peak_rss_mib", "wer", "wer_shown", "der_collar_0", "der_collar_0.25", "speakers_found"):
        print(f"{key:<13}" + "".join(f"{r[key]:>28}" if key in r else f"{'-':>28}" for r in runs.values()))
    if all("der_near_block_edges" in r for r in runs.values()):
        edges = [r["der_near_block_edges"] for r in runs.values()]
        print(f"{'DER at edges':<13}" + "".join(f"{e['near']} / {e['elsewhere']}".rjust(28) for e in edges)
              + f"  (within {edges[0]['window_s']:g} s of the {edges[0]['cuts']} block edges / elsewhere)")
    for name, ratio in results["ratios"].items():
        print(f"{name} recognition + diarisation / whole transcribe pipeline: "
              f"{ratio['anchor_recognise_diarise_vs_project_processing']:.2f}x")
    print("(RTF = processing time / audio duration; peak MiB = highest resident memory during the stage; "
          "'processing' excludes load and warm-up; peak_rss_mib = the process's peak, loading included)")


def default_out(args) -> Path:
    if args.sweep:
        return HERE / "results" / f"sweep-{args.device}.json"
    model = Path(args.model).stem if args.model.endswith(".pt") else args.model
    return HERE / "results" / f"{args.device}-{model}-{args.layout}-{args.minutes:g}min.json"


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.sweep:
        from sweep import print_sweep, sweep

        results = sweep(args) | {"label": args.label, "machine": machine()}
        print_sweep(results)
    else:
        results = compare(args)
        print_comparison(results)
    out = args.out or default_out(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
