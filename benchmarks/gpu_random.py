"""Recognition throughput at real model dimensions with randomly initialised weights.

For checkpoints too large to bring to an offline machine: a Whisper model of the real dimensions with
random weights decodes 30-s windows with a fixed number of tokens forced per window (end-of-text, and
every special and timestamp token above it, suppressed; ``sample_len`` set), so the work per window is
that of a real window of that many tokens. Timed, as times real time (30 s x windows / seconds):

* ``whisper``: openai-whisper's own ``decode`` (fp32 weights as ``load_model`` gives, fp16 compute on
  CUDA) one window at a time (what ``whisper.transcribe`` does) and in batches;
* ``transcribe``: what transcribe's SpeechRecogniser does per batch: fp16 weights (on CUDA), the encoder
  once, ``decode`` on its output, then word timings for every window from one batched decoder pass.

Text, word timings and accuracy mean nothing here; only time does. The input is random log-mel
features, which cost the same as real ones.

    python benchmarks/gpu_random.py --device cuda
    python benchmarks/gpu_random.py --device cpu --dims tiny.en --batch-sizes 2 --windows 2 --sequential-windows 1
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

WINDOW_SECONDS = 30.0
# openai-whisper's ModelDimensions of the published checkpoints.
DIMS = {
    "tiny.en": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
                    n_vocab=51864, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4),
    "base": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8, n_audio_layer=6,
                 n_vocab=51865, n_text_ctx=448, n_text_state=512, n_text_head=8, n_text_layer=6),
    "small": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=768, n_audio_head=12, n_audio_layer=12,
                  n_vocab=51865, n_text_ctx=448, n_text_state=768, n_text_head=12, n_text_layer=12),
    "medium": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=1024, n_audio_head=16, n_audio_layer=24,
                   n_vocab=51865, n_text_ctx=448, n_text_state=1024, n_text_head=16, n_text_layer=24),
    "large-v3-turbo": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=1280, n_audio_head=20, n_audio_layer=32,
                           n_vocab=51866, n_text_ctx=448, n_text_state=1280, n_text_head=20, n_text_layer=4),
    "large-v3": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=1280, n_audio_head=20, n_audio_layer=32,
                     n_vocab=51866, n_text_ctx=448, n_text_state=1280, n_text_head=20, n_text_layer=32),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    parser.add_argument("--dims", default="tiny.en,large-v3-turbo", help=f"comma-separated, of {', '.join(DIMS)}")
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--windows", type=int, default=64, help="windows per batched measurement")
    parser.add_argument("--sequential-windows", type=int, default=8, help="windows for the one-at-a-time measurement")
    parser.add_argument("--tokens", type=int, default=100, help="tokens forced per window")
    parser.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/gpu-random-DEVICE.json)")
    return parser.parse_args(argv)


def random_model(name: str, device: str):
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    with torch.device(device):
        model = Whisper(ModelDimensions(**DIMS[name]))
    return model.eval()


def random_mels(model, count: int, device: str):
    import torch
    from whisper.audio import N_FRAMES

    generator = torch.Generator(device=device).manual_seed(0)
    return torch.randn(count, model.dims.n_mels, N_FRAMES, generator=generator, device=device)


def tokenizer_of(model):
    import whisper

    return whisper.tokenizer.get_tokenizer(model.is_multilingual, num_languages=model.num_languages,
                                           language="en", task="transcribe")


def forced_options(model, tokens: int, fp16: bool):
    """Greedy decoding of exactly `tokens` text tokens: nothing that could end or time-stamp a window."""
    import whisper

    eot = tokenizer_of(model).eot
    return whisper.DecodingOptions(language="en", task="transcribe", without_timestamps=True, sample_len=tokens,
                                   suppress_tokens=[-1, *range(eot, model.dims.n_vocab)], fp16=fp16)


def synchronised(device: str) -> float:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()


def time_whisper(model, mels, batch: int, options, device: str) -> tuple[float, list]:
    """openai-whisper's decode over all windows, `batch` at a time (encoder included)."""
    import torch
    import whisper

    results = []
    started = synchronised(device)
    with torch.inference_mode():
        for first in range(0, len(mels), batch):
            chunk = mels[first : first + batch]
            decoded = whisper.decode(model, chunk[0] if batch == 1 else chunk, options)
            results.extend([decoded] if batch == 1 else decoded)
    return synchronised(device) - started, results


def time_transcribe(model, mels, batch: int, options, device: str) -> tuple[float, list]:
    """transcribe's windowed path: encode once, decode the features, align words in one decoder pass."""
    import torch

    from transcribe.asr import align_words

    tokenizer = tokenizer_of(model)
    dtype = torch.float16 if options.fp16 else torch.float32
    frames = int(WINDOW_SECONDS * 100)
    results = []
    started = synchronised(device)
    with torch.inference_mode():
        for first in range(0, len(mels), batch):
            features = model.embed_audio(mels[first : first + batch].to(dtype))
            decoded = model.decode(features, options)
            text_tokens = [[t for t in r.tokens if t < tokenizer.eot] for r in decoded]
            align_words(model, tokenizer, features, text_tokens, [frames] * len(decoded))
            results.extend(decoded)
    return synchronised(device) - started, results


def measure(name: str, path: str, timer, model, mels, batch: int, options, device: str) -> dict:
    seconds, results = timer(model, mels, batch, options, device)
    return {
        "dims": name, "path": path, "batch": batch, "windows": len(mels), "seconds": round(seconds, 4),
        "x_real_time": round(len(mels) * WINDOW_SECONDS / seconds, 1),
        "tokens_per_window": round(sum(len(r.tokens) for r in results) / len(results), 1),
    }


def run_dims(name: str, args) -> list[dict]:
    """Every row for one model size: whisper one at a time and batched, then transcribe batched."""
    from transcribe.asr import half_precision

    batches = [int(b) for b in args.batch_sizes.split(",")]
    model = random_model(name, args.device)
    mels = random_mels(model, max(args.windows, max(batches)), args.device)
    options = forced_options(model, args.tokens, fp16=args.device == "cuda")
    time_whisper(model, mels[: max(batches)], max(batches), options, args.device)  # warm-up
    rows = [measure(name, "whisper", time_whisper, model, mels[: args.sequential_windows], 1, options, args.device)]
    rows += [measure(name, "whisper", time_whisper, model, mels, b, options, args.device) for b in batches]
    if args.device == "cuda":
        half_precision(model)  # as transcribe's SpeechRecogniser does on a GPU
    time_transcribe(model, mels[: max(batches)], max(batches), options, args.device)  # warm-up
    rows += [measure(name, "transcribe", time_transcribe, model, mels, b, options, args.device) for b in batches]
    return rows


def print_rows(results: dict) -> None:
    print(f"\n{results['device_name']}: x real time, {results['tokens']} tokens forced per 30-s window")
    print(f"{'dims':<16}{'path':<12}{'batch':>6}{'windows':>9}{'seconds':>10}{'x real time':>13}{'tokens/window':>15}")
    for r in results["rows"]:
        print(f"{r['dims']:<16}{r['path']:<12}{r['batch']:>6}{r['windows']:>9}{r['seconds']:>10.3f}"
              f"{r['x_real_time']:>13.1f}{r['tokens_per_window']:>15.1f}")
    for name, ratio in results["best_batched_vs_sequential"].items():
        print(f"{name}: best transcribe batch / whisper one window at a time = {ratio:.1f}x")


def best_ratios(rows: list[dict]) -> dict[str, float]:
    ratios = {}
    for name in dict.fromkeys(r["dims"] for r in rows):
        sequential = next(r for r in rows if r["dims"] == name and r["batch"] == 1)
        best = max(r["x_real_time"] for r in rows if r["dims"] == name and r["path"] == "transcribe")
        ratios[name] = round(best / sequential["x_real_time"], 2)
    return ratios


def main(argv=None) -> None:
    import torch
    import whisper  # noqa: F401  (fail early where it is missing)

    args = parse_args(argv)
    rows = []
    for name in args.dims.split(","):
        print(f"{name}: random weights ...", flush=True)
        rows += run_dims(name, args)
    results = {
        "benchmark": "random-weights-recognition",
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "device": args.device,
        "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "torch": torch.__version__,
        "tokens": args.tokens,
        "rows": rows,
        "best_batched_vs_sequential": best_ratios(rows),
    }
    print_rows(results)
    out = args.out or HERE / "results" / f"gpu-random-{args.device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
