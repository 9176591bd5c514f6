"""Transcript integrity per recording: WER, DER, words under the wrong speaker, words out of order.

Runs transcribe's own pipeline (`transcribe_interview`, the stage cache under benchmarks/work/) on
every labelled recording and scores what a reader of the private JSON gets:

* ``wer``: all recognised words against the reference text (recordings with reference words);
* ``cpwer``: speaker-attributed WER (words scored under their speaker, speakers paired best);
* ``wrong_speaker_share``: share of words under a speaker who was not talking then (needs only an
  RTTM, so the meetings and the phone call are scored too; see scoring.wrong_speaker_words);
* ``der_turns`` / ``der_timeline``: DER of the transcript's turns (first to last word) and of the
  diarisation's speaker timeline kept beside them, at collar 0;
* ``out_of_order`` / ``duplicated``: words that run backwards in reading order, and words printed
  twice (same text, overlapping times), which overlapping decoding windows caused;
* ``speakers``: speakers in the transcript against the number requested.

    .venv/bin/python benchmarks/attribution.py [--model tiny.en] [--ami-train DIR] [--out results/attribution.json]

The AMI training excerpts with four speakers (trn01, trn08) are in tests/data/turntaking/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from inputs import AMI, LAYOUTS, SAMPLES, TRUTH, Turn, pyannote_sample, read_rttm  # noqa: E402
from scoring import cp_wer, der, normalised, wer, wrong_speaker_words  # noqa: E402

TURNTAKING = ROOT / "tests" / "data" / "turntaking"


def recordings() -> dict[str, dict]:
    """name → audio, reference turns (with text where known), speakers to ask for, group."""
    found = {}
    wav, rttm = pyannote_sample()
    found["pyannote-sample"] = {"audio": wav, "turns": read_rttm(rttm), "speakers": 2, "group": "phone call"}
    for uri in ("dev00", "dev01"):
        found[f"ami-{uri}"] = {"audio": AMI / f"{uri}.flac", "speakers": 2, "group": "meeting",
                               "turns": read_rttm(AMI / "debug.development.rttm", uri)}
    for uri in ("trn01", "trn08"):
        found[f"ami-{uri}"] = {"audio": TURNTAKING / f"ami-{uri}.flac", "speakers": 4, "group": "meeting, 4 voices",
                               "turns": read_rttm(TURNTAKING / "ami-train.rttm", uri)}
    for uri in ("fast_two", "fast_three"):
        truth = json.loads((TURNTAKING / f"{uri}.json").read_text())
        found[uri] = {"audio": TURNTAKING / f"{uri}.flac", "speakers": len(truth["speakers"]),
                      "group": "fast turn-taking",
                      "turns": [Turn(t["start"], t["end"], t["speaker"], t["text"]) for t in truth["turns"]]}
    for uri in LAYOUTS["all"]:
        truth = json.loads((TRUTH / f"{uri}.json").read_text())
        found[uri] = {"audio": SAMPLES / f"{uri}.flac", "speakers": 2, "group": "demo interviews",
                      "turns": [Turn(t["start"], t["end"], t["speaker"], t["text"]) for t in truth["turns"]]}
    return found


def reading_order_faults(transcript) -> tuple[int, int]:
    """Words whose start is before the previous word's, and words repeated over the same time."""
    words = [w for turn in transcript.turns for w in turn.words if w.text.strip()]
    backwards = sum(1 for a, b in zip(words, words[1:]) if b.start < a.start - 0.05)
    duplicated = 0
    by_time = sorted(words, key=lambda w: w.start)
    for i, a in enumerate(by_time):
        for b in by_time[i + 1 : i + 6]:
            overlap = min(a.end, b.end) - max(a.start, b.start)
            if normalised(a.text) == normalised(b.text) and overlap > 0.5 * max(a.end - a.start, 0.01):
                duplicated += 1
    return backwards, duplicated


def score(name: str, item: dict, transcript, timeline) -> dict:
    reference = item["turns"]
    words = [(w.start, w.end, w.speaker) for t in transcript.turns for w in t.words if w.text.strip()]
    turns = [(t.start, t.end, t.raw_speaker) for t in transcript.turns]
    backwards, duplicated = reading_order_faults(transcript)
    row = {
        "group": item["group"],
        "speakers_requested": item["speakers"],
        "speakers_in_transcript": len({t.raw_speaker for t in transcript.turns}),
        "speakers_in_timeline": len({t[2] for t in timeline}),
        "der_turns": round(der(reference, turns), 4),
        "der_timeline": round(der(reference, timeline), 4),
        **wrong_speaker_words(reference, timeline, words),
        "out_of_order": backwards,
        "duplicated": duplicated,
        "notes": [n for n in transcript.notes],
    }
    if all(t.text for t in reference):
        by_speaker: dict[str, str] = {}
        for t in reference:
            by_speaker[t.speaker] = by_speaker.get(t.speaker, "") + " " + t.text
        hyp: dict[str, str] = {}
        for t in transcript.turns:
            hyp[t.raw_speaker] = hyp.get(t.raw_speaker, "") + " " + t.text
        row["wer"] = round(wer(" ".join(t.text for t in reference), " ".join(t.text for t in transcript.turns)), 4)
        row["cpwer"] = round(cp_wer(by_speaker, hyp), 4)
    return row


def cached_diarisation(cache, transcript, speakers: int):
    from transcribe.diarise import DiarisationSettings
    from transcribe.pipeline import _cached_diarisation, diarisation_key

    key = diarisation_key(DiarisationSettings(num_speakers=speakers))
    return _cached_diarisation(cache, transcript.audio["sha256"], key)


def before_issue_12(item: dict, transcript, engines, cache, timeline_turns):
    """The pipeline as it was before issue 12, for the before/after figures: windows cut from the
    overlapping speaker turns, words taken window by window (not in time order, overlaps kept)."""
    from unittest import mock

    from transcribe import align as align_module
    from transcribe.asr import RecognitionSettings, Segment, plan_windows
    from transcribe.audio import decode
    from transcribe.transcript import Transcript

    audio = decode(item["audio"])
    diarisation = cached_diarisation(cache, transcript, item["speakers"])
    key = {"before-issue-12": True, "model": engines.checkpoint.sha256, "speakers": item["speakers"]}
    cached = cache.load(audio.sha256, "recognise-before", key)
    if cached is None:
        windows = plan_windows([(t.start, t.end, t.speaker) for t in diarisation.turns], audio.duration)
        segments = engines.recogniser(audio.samples, windows, RecognitionSettings(window_turns="turns"))
        cache.save(audio.sha256, "recognise-before", key, {"segments": [s.to_dict() for s in segments]})
    else:
        segments = [Segment.from_dict(s) for s in cached["segments"]]
    with mock.patch.object(align_module, "ordered_words", lambda segments: [w for s in segments for w in s.words]):
        turns = align_module.align(segments, diarisation)
    return Transcript(code="p1", duration=audio.duration, turns=turns, audio=transcript.audio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--before", action="store_true",
                        help="also score the pipeline as it was before issue 12, and without the speaker re-check")
    parser.add_argument("--only", help="comma-separated recording names")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "work" / "attribution",
                        help="stage cache (keep one per code version when comparing versions)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "attribution.json")
    args = parser.parse_args()

    import torch

    from transcribe.cache import StageCache
    from transcribe.pipeline import (
        Engines,
        InterviewJob,
        RunSettings,
        transcribe_interview,
    )

    torch.set_num_threads(2)
    settings = RunSettings(model=args.model, device="cpu")
    engines = Engines(settings)
    cache = StageCache(args.cache)
    results = {}
    wanted = set(args.only.split(",")) if args.only else None
    for name, item in recordings().items():
        if wanted and name not in wanted:
            continue
        started = time.perf_counter()
        job = InterviewJob(item["audio"], ["p1"], num_speakers=item["speakers"])
        transcript = transcribe_interview(job, engines, cache, settings)
        timeline = [(t["start"], t["end"], t["raw_speaker"]) for t in getattr(transcript, "timeline", [])]
        if not timeline:  # a version without the timeline in its transcript: read the diarisation stage
            timeline = [(t.start, t.end, t.speaker) for t in cached_diarisation(cache, transcript, item["speakers"]).turns]
        (ROOT / "benchmarks" / "work" / "attribution-json").mkdir(parents=True, exist_ok=True)
        (ROOT / "benchmarks" / "work" / "attribution-json" / f"{args.out.stem}-{name}.json").write_text(transcript.to_json())
        rows = {"after": score(name, item, transcript, timeline) | {"seconds": round(time.perf_counter() - started, 1)}}
        if args.before:
            plain = transcribe_interview(job, engines, cache, replace(settings, recheck_speakers=False))
            rows["without re-check"] = score(name, item, plain, timeline)
        if args.before:
            rows["before"] = score(name, item, before_issue_12(item, transcript, engines, cache, timeline), timeline)
        results[name] = rows
        for version, row in rows.items():
            report(f"{name} {version}", row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "results": results}, indent=1) + "\n")


def report(name: str, row: dict) -> None:
    print(f"{name:22} WER {row.get('wer', float('nan')):.3f} cpWER {row.get('cpwer', float('nan')):.3f} "
          f"DER turns {row['der_turns']:.3f} timeline {row['der_timeline']:.3f} "
          f"wrong-speaker {row['wrong_speaker']}/{row['words']} ({row['wrong_speaker_share']:.3f}) "
          f"backwards {row['out_of_order']} dup {row['duplicated']} "
          f"speakers {row['speakers_in_transcript']}/{row['speakers_in_timeline']}/{row['speakers_requested']}",
          flush=True)


if __name__ == "__main__":
    main()
