"""What each offline Whisper model costs: WER and recognition time on this CPU.

Recognises the test clips (JFK, the LibriVox clips, pyannote's phone call) and the demo interviews
(on windows planned from their reference turns, so only recognition differs) with every model
given, one after the other in one process, and reports pooled WER and the real-time factor of
recognition: CPU seconds of this process per second of audio, on one thread by default. CPU time
rather than wall time, because the machine it was measured on is shared: on one idle core the two
are the same, and two cores are faster. Diarisation costs the same for every model (bench.py). The figures go to results/models-cpu.json; transcribe/models.py
quotes them in MEASURED, `transcribe models` prints them and `--model auto` chooses by them.

    .venv/bin/python benchmarks/model_choice.py [--models tiny.en,base] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from inputs import LAYOUTS, SAMPLES, TRUTH, pyannote_sample  # noqa: E402
from scoring import normalised  # noqa: E402

DATA = ROOT / "tests" / "data"


def stm_text(path: Path) -> str:
    return " ".join(line.split(maxsplit=5)[5] for line in path.read_text().splitlines() if line.strip())


def clips() -> dict[str, tuple[Path, str, list[tuple[float, float, str]] | None, str]]:
    """name → (audio, reference text, reference turns or None for one window, group)."""
    found = {"jfk": (DATA / "jfk" / "jfk.flac", (DATA / "jfk" / "reference.txt").read_text(), None, "test clips")}
    for wav in sorted((DATA / "librivox").glob("*.wav")):
        found[f"librivox-{wav.stem[-4:]}"] = (wav, wav.with_suffix(".txt").read_text(), None, "test clips")
    wav, _ = pyannote_sample()
    found["pyannote-sample"] = (wav, stm_text(wav.with_suffix(".stm")), None, "test clips")
    for uri in LAYOUTS["all"]:
        truth = json.loads((TRUTH / f"{uri}.json").read_text())
        turns = [(t["start"], t["end"], t["speaker"]) for t in truth["turns"]]
        found[uri] = (SAMPLES / f"{uri}.flac", " ".join(t["text"] for t in truth["turns"]), turns, "demo interviews")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", help="comma-separated recording names (default: all)")
    parser.add_argument("--label", default="1 thread, CPU time (2-core machine shared by other work)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "models-cpu.json")
    args = parser.parse_args()

    import jiwer
    import torch

    from transcribe.asr import RecognitionSettings, SpeechRecogniser, plan_windows
    from transcribe.audio import decode
    from transcribe.models import find_whisper

    torch.set_num_threads(args.threads)
    wanted = set(args.only.split(",")) if args.only else None
    inputs = {name: (decode(path), text, turns, group) for name, (path, text, turns, group) in clips().items()
              if wanted is None or name in wanted or name.split("-")[0] in wanted}
    results = {}
    for model in args.models.split(","):
        recogniser = SpeechRecogniser(find_whisper(model), "cpu")
        recogniser(inputs["jfk"][0].samples, [(0.0, 5.0)], RecognitionSettings())  # warm-up
        per_group: dict[str, dict] = {}
        rows = {}
        for name, (audio, text, turns, group) in inputs.items():
            windows = plan_windows(turns, audio.duration) if turns else [(0.0, audio.duration)]
            started, wall = time.process_time(), time.perf_counter()
            segments = recogniser(audio.samples, windows, RecognitionSettings())
            seconds, wall = time.process_time() - started, time.perf_counter() - wall
            hypothesis = " ".join(s.text for s in segments)
            out = jiwer.process_words(normalised(text), normalised(hypothesis))
            errors = out.substitutions + out.deletions + out.insertions
            words = out.substitutions + out.deletions + out.hits
            rows[name] = {"wer": round(errors / words, 4), "cpu_seconds": round(seconds, 2), "wall_seconds": round(wall, 2), "audio": round(audio.duration, 2)}
            pooled = per_group.setdefault(group, {"errors": 0, "words": 0, "seconds": 0.0, "audio": 0.0})
            pooled["errors"] += errors
            pooled["words"] += words
            pooled["seconds"] += seconds
            pooled["audio"] += audio.duration
            print(f"{model:8} {name:18} WER {rows[name]['wer']:.3f}  {seconds:5.1f} s CPU ({wall:5.1f} s wall) for {audio.duration:5.1f} s", flush=True)
        summary = {group: {"wer": round(p["errors"] / p["words"], 4), "rtf": round(p["seconds"] / p["audio"], 3),
                           "audio_seconds": round(p["audio"], 1)} for group, p in per_group.items()}
        total = {k: sum(p[k] for p in per_group.values()) for k in ("errors", "words", "seconds", "audio")}
        summary["all"] = {"wer": round(total["errors"] / total["words"], 4), "rtf": round(total["seconds"] / total["audio"], 3),
                          "audio_seconds": round(total["audio"], 1)}
        results[model] = {"summary": summary, "recordings": rows}
        for group, row in summary.items():
            print(f"{model:8} {group:18} WER {row['wer']:.3f}  RTF {row['rtf']:.3f}", flush=True)
        del recogniser
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"label": args.label, "threads": args.threads, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
