"""Diarisation settings sweep: speed (RTF) and DER for each combination, to pick defaults with the
best speed for an unchanged DER.

Each combination of segmentation step, embedding batch size and overlap exclusion is a transcribe
Diariser run over every labelled recording (the three demo interviews, pyannote's sample phone call,
two AMI meeting excerpts), all with two speakers. DER is pooled per group of recordings (errors summed
over the group, not rates averaged), at collars 0 and 0.25 s, and compared with transcribe's defaults.
"""

from __future__ import annotations

import itertools
import time

from inputs import labelled_recordings
from scoring import COLLARS, PooledDER, der_by_collar

SAMPLE_RATE = 16_000


def parse_grid(args) -> list[dict]:
    steps = [float(x) for x in args.steps.split(",")]
    batches = [int(x) for x in args.embedding_batch_sizes.split(",")]
    overlap = [x.strip().lower() in ("true", "1", "yes") for x in args.exclude_overlap.split(",")]
    return [{"segmentation_step": s, "embedding_batch_size": b, "exclude_overlap": e}
            for s, b, e in itertools.product(steps, batches, overlap)]


def load_recordings(names: str | None) -> dict:
    """Name → (samples, reference turns, group), decoded once for the whole sweep."""
    from transcribe.audio import decode

    recordings = labelled_recordings()
    chosen = names.split(",") if names else list(recordings)
    unknown = set(chosen) - set(recordings)
    if unknown:
        raise SystemExit(f"unknown recordings {sorted(unknown)}; choose from {sorted(recordings)}")
    return {name: (decode(recordings[name][0]).samples, *recordings[name][1:]) for name in chosen}


def run_config(config: dict, recordings: dict, device: str) -> dict:
    """Time and score one combination of settings over every recording."""
    from transcribe.diarise import DiarisationSettings, Diariser

    diariser = Diariser(DiarisationSettings(segmentation_step=config["segmentation_step"],
                                            exclude_overlap=config["exclude_overlap"]),
                        device, embedding_batch_size=config["embedding_batch_size"])
    pooled = {(group, collar): PooledDER(collar) for _, _, group in recordings.values() for collar in COLLARS}
    pooled |= {("all", collar): PooledDER(collar) for collar in COLLARS}
    per_recording, total_seconds, total_audio = {}, 0.0, 0.0
    for name, (samples, reference, group) in recordings.items():
        started = time.perf_counter()
        turns = diariser(samples).turns
        seconds = time.perf_counter() - started
        total_seconds += seconds
        total_audio += len(samples) / SAMPLE_RATE
        for collar in COLLARS:
            for key in ((group, collar), ("all", collar)):
                pooled[key].add(reference, turns)
        per_recording[name] = {"seconds": round(seconds, 3), **der_by_collar(reference, turns),
                               "speakers_found": len({t.speaker for t in turns})}
    return config | {
        "seconds": round(total_seconds, 3),
        "rtf": round(total_seconds / total_audio, 5),
        "der": {f"{group}@{collar:g}": round(metric.value, 4) for (group, collar), metric in pooled.items()},
        "recordings": per_recording,
    }


def warm_up(recordings: dict, device: str) -> None:
    """One untimed run, so that the first combination does not pay for first-call costs."""
    from transcribe.diarise import DiarisationSettings, Diariser

    samples = next(iter(recordings.values()))[0]
    Diariser(DiarisationSettings(), device)(samples[: 10 * SAMPLE_RATE])  # one 10-s chunk is enough


def sweep(args) -> dict:
    recordings = load_recordings(args.recordings)
    warm_up(recordings, args.device)
    configs = []
    for config in parse_grid(args):
        print(f"diarising with {config} ...", flush=True)
        configs.append(run_config(config, recordings, args.device))
    baseline = baseline_of(configs)
    for config in configs:
        config["speed_up"] = round(baseline["seconds"] / config["seconds"], 2)
        config["der_change"] = {key: round(value - baseline["der"][key], 4) for key, value in config["der"].items()}
    return {
        "benchmark": "diarisation-sweep",
        "device": args.device,
        "audio_s": round(sum(len(s) for s, _, _ in recordings.values()) / SAMPLE_RATE, 2),
        "recordings": {name: group for name, (_, _, group) in recordings.items()},
        "baseline": {k: baseline[k] for k in ("segmentation_step", "embedding_batch_size", "exclude_overlap")},
        "configs": configs,
    }


def baseline_of(configs: list[dict]) -> dict:
    """transcribe's default settings if they were swept, else the first combination."""
    from transcribe.diarise import DiarisationSettings

    defaults = DiarisationSettings()
    return next((c for c in configs if c["segmentation_step"] == defaults.segmentation_step
                 and c["exclude_overlap"] == defaults.exclude_overlap and c["embedding_batch_size"] == 32), configs[0])


def print_sweep(results: dict) -> None:
    der_keys = sorted(results["configs"][0]["der"])
    print(f"\n{results['audio_s']:.0f} s of audio in {len(results['recordings'])} recordings; device "
          f"{results['device']}; baseline {results['baseline']}")
    print(f"{'step':>6}{'emb bs':>8}{'excl ov':>9}{'RTF':>9}{'speed-up':>10}" + "".join(f"{k:>18}" for k in der_keys))
    for c in sorted(results["configs"], key=lambda c: c["seconds"]):
        settings = f"{c['segmentation_step']:>6g}{c['embedding_batch_size']:>8}{str(c['exclude_overlap']):>9}"
        ders = "".join(f"{c['der'][k]:>10.3f} ({c['der_change'][k]:+.3f})" for k in der_keys)
        print(f"{settings}{c['rtf']:>9.4f}{c['speed_up']:>9.2f}x{ders}")
    print("(DER pooled per group at collar 0 and 0.25 s; in brackets the change from the baseline)")
