"""What each Whisper size costs per hour of audio on this CPU, in fp32 and with int8 linear layers.

For every size a user can download (`transcribe models --download`), a model of the published
dimensions with random weights (the checkpoints of small, medium and large-v3-turbo cannot be brought
to the development machine) runs transcribe's windowed path on 30-s windows of random log-mel
features: the encoder once, greedy decoding with a fixed number of tokens forced per window, and the
batched word-timing pass (gpu_random.time_transcribe). The same model is timed as loaded (fp32) and
after transcribe.asr.quantise_int8, alternately, in one process, so that both see the same load.

Cost per audio hour = 120 windows x seconds per window: speech in 30-s windows with 100 tokens each
(about 200 words a minute, a brisk speaker). Real recordings have pauses and shorter windows, and
noisy audio adds decoding at higher temperatures for the windows that fail (benchmarks/realistic.py
measures both on real audio).

    .venv/bin/python benchmarks/cpu_sizes.py --dims tiny.en,base,small --repeats 3
    .venv/bin/python benchmarks/cpu_sizes.py --dims medium,large-v3-turbo --repeats 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gpu_random import forced_options, random_mels, random_model, time_transcribe  # noqa: E402

WINDOWS_PER_HOUR = 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="tiny.en,base,small,medium,large-v3-turbo")
    parser.add_argument("--windows", type=int, default=2, help="windows per timed batch")
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fp32-only", action="store_true",
                        help="no int8 row (random weights of 12 layers and more overflow to NaN activations, which "
                             "dynamic quantisation refuses; real checkpoints do not)")
    parser.add_argument("--label", default="2-core development machine, shared with other work")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "cpu-sizes.json")
    args = parser.parse_args()

    import torch

    from transcribe.asr import quantise_int8

    torch.set_num_threads(args.threads)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"rows": {}}
    rows = previous["rows"]
    for name in args.dims.split(","):
        plain = random_model(name, "cpu")
        variants = {"fp32": plain} if args.fp32_only else {"fp32": plain, "int8": quantise_int8(random_model(name, "cpu"))}
        mels = random_mels(plain, args.windows, "cpu")
        options = forced_options(plain, args.tokens, fp16=False)
        seconds = {label: [] for label in variants}
        time_transcribe(variants[list(variants)[-1]], mels[:1], 1, options, "cpu")  # warm-up
        for _ in range(args.repeats):
            for label, model in variants.items():
                started = time.perf_counter()
                time_transcribe(model, mels, args.windows, options, "cpu")
                seconds[label].append((time.perf_counter() - started) / args.windows)
        row = {"threads": args.threads, "tokens": args.tokens, "windows": args.windows, "repeats": args.repeats,
               "seconds_per_window": {k: [round(x, 3) for x in v] for k, v in seconds.items()}}
        for label, values in seconds.items():
            median = statistics.median(values)
            row[f"{label}_rtf"] = round(median / 30.0, 4)
            row[f"{label}_minutes_per_audio_hour"] = round(median * WINDOWS_PER_HOUR / 60, 1)
        if "int8" in seconds:
            row["int8_speed_up"] = round(statistics.median([a / b for a, b in zip(seconds["fp32"], seconds["int8"])]), 2)
        rows[name] = row
        print(f"{name:16} " + "  ".join(f"{k} {row[k + '_rtf']:.3f} ({row[k + '_minutes_per_audio_hour']} min/h)"
                                        for k in seconds) + f"  x{row.get('int8_speed_up', '-')}", flush=True)
        del plain, variants
        args.out.write_text(json.dumps({"label": args.label, "torch": torch.__version__, "rows": rows}, indent=1) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"label": args.label, "torch": torch.__version__, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
