"""Does giving Whisper the study's vocabulary and names as a prompt help, and does it cause loops?

Recognises the demo interviews twice, with and without the study prompt, on the same windows (the
true speaker turns, so that only recognition differs), and reports word error rate, how many of
the planted names and places come out spelled as the study spells them, and any sign of a loop
(a window over Whisper's compression-ratio threshold, or a phrase repeated more than three times).

    python benchmarks/prompt.py [--model tiny.en] [--out benchmarks/results/prompt.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SAMPLES, wer  # noqa: E402

from transcribe.asr import Recogniser, RecognitionSettings, plan_windows  # noqa: E402
from transcribe.audio import decode  # noqa: E402
from transcribe.models import find_whisper  # noqa: E402
from transcribe.reliability import repetition_loops  # noqa: E402
from transcribe.study import load_study  # noqa: E402
from transcribe.transcript import Word  # noqa: E402


def planted_terms(study) -> list[str]:
    """Every multi-letter name, place and organisation word the study spells out."""
    terms = {part for p in study.people for name in p.names for part in name.split()}
    terms |= {part for item in study.places + study.organisations + study.vocabulary for part in item.split()}
    return sorted(t for t in terms if len(t) > 2 and t[0].isupper() and t not in ("Dr", "Ms", "Mr", "Mrs", "St"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "prompt.json")
    args = parser.parse_args()
    study = load_study(SAMPLES / "study.toml")
    recogniser = Recogniser(find_whisper(args.model), "cpu")
    terms = planted_terms(study)
    results = {}
    for interview in study.interviews:
        truth = json.loads((SAMPLES / "truth" / f"{interview.audio.stem}.json").read_text())
        reference = " ".join(t["text"] for t in truth["turns"])
        expected = [t for t in terms if re.search(rf"\b{re.escape(t)}\b", reference)]
        audio = decode(interview.audio)
        windows = plan_windows([(t["start"], t["end"], t["speaker"]) for t in truth["turns"]], audio.duration)
        for label, prompt in (("without prompt", None), ("with prompt", study.prompt())):
            started = time.perf_counter()
            segments = recogniser(audio.samples, windows, RecognitionSettings(initial_prompt=prompt))
            seconds = time.perf_counter() - started
            text = " ".join(s.text for s in segments)
            words = [Word(w.text, w.start, w.end, w.probability) for s in segments for w in s.words]
            found = [t for t in expected if re.search(rf"\b{re.escape(t)}\b", text)]
            results.setdefault(interview.code, {})[label] = {
                "wer": round(wer(reference, text), 4),
                "names_spelled_as_study": f"{len(found)}/{len(expected)}",
                "names_missed": sorted(set(expected) - set(found)),
                "windows_over_compression_threshold": sum(1 for s in segments if s.compression_ratio > 2.4),
                "words_in_repetition_loops": len(repetition_loops(words, 3)),
                "seconds": round(seconds, 2),
            }
    for code, rows in results.items():
        for label, row in rows.items():
            print(f"{code} {label:15} WER {row['wer']:.3f}  names {row['names_spelled_as_study']:>6}  "
                  f"loops {row['windows_over_compression_threshold']}/{row['words_in_repetition_loops']}  "
                  f"missed {', '.join(row['names_missed']) or '-'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "prompt": study.prompt(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
