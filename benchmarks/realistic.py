"""Recognition quality per condition and per model on realistic recordings (issue 24).

Runs `transcribe run` as the library runs it (transcribe.batch.Batch: every stage, anonymisation with
the recording's study file included) on the development sets of benchmarks/devsets.py and on the real
clips in the shared data folder, once per model, and scores per recording:

* ``wer``: all recognised words (the identifiable JSON) against the reference, Whisper's normaliser
  (which leaves out um, uh, hmm and mm-hm on both sides);
* ``der``: the speaker timeline against the reference turns, collar 0;
* ``wrong_speaker_share``: recognised words under a speaker who was not talking then
  (scoring.wrong_speaker_words);
* ``speakers``: speakers in the transcript against the number asked for;
* ``identifiers_readable``: planted identifiers whose recognised words (aligned to the reference)
  are still readable, with the words either side, in the shareable transcript; ``identifiers_lost``:
  those recognition dropped altogether;
* ``identifiers_as_spoken``: planted identifiers readable in the shareable transcript exactly as
  they were spoken (a name or number recognised right and not replaced: the plainest leak);
* ``fillers_kept``: fillers (um, uh, er, erm, hmm, mm, mm-hm) recognised, over those spoken;
* ``recognition_s``: the recognition stage's wall time (diarisation is cached across models, so the
  models differ only there).

Pooled per condition and part (tuning, held out, real clips): words and errors summed.

    .venv/bin/python benchmarks/devsets.py                       # once: the audio
    .venv/bin/python benchmarks/realistic.py --models tiny.en,base --label "before"
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from devsets import FILLERS, OUT as DEVSETS  # noqa: E402
from inputs import Turn, read_rttm  # noqa: E402
from scoring import der, normalised, wrong_speaker_words  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"  # the project's shared data, beside the repository
WORK = HERE / "work" / "realistic"


def devset_recordings(parts: list[str]) -> dict[str, dict]:
    found = {}
    for part in parts:
        for path in sorted((DEVSETS / part).glob("*.json")):
            ref = json.loads(path.read_text())
            found[ref["name"]] = {
                "audio": path.with_suffix(".wav"), "study": path.with_suffix(".study.toml"), "part": part,
                "condition": ref["condition"], "speakers": ref["speakers"], "identifiers": ref["identifiers"],
                "fillers": ref["fillers"],
                "turns": [Turn(t["start"], t["end"], t["speaker"], t["text"]) for t in ref["turns"]],
            }
    return found


def real_recordings(shared: Path) -> dict[str, dict]:
    """The real clips: AMI meeting excerpts (speaker turns only), JFK and LibriVox (words only)."""
    found = {}
    ami = shared / "ami-excerpts"
    for rttm, uris in ((ami / "debug.development.rttm", ("dev00", "dev01")),
                       (ami / "debug.train.rttm", ("trn00", "trn05", "trn07", "trn08", "trn09"))):
        for uri in uris:
            turns = read_rttm(rttm, uri)
            found[f"ami-{uri}"] = {"audio": ami / f"{uri}.flac", "part": "real", "speakers": len({t.speaker for t in turns}),
                                   "condition": "AMI meeting excerpt (real, far-field)", "turns": turns}
    jfk = shared / "whisper-jfk"
    if jfk.exists():
        found["jfk"] = {"audio": jfk / "jfk.flac", "part": "real", "speakers": 1, "condition": "speech recording (real)",
                        "text": (jfk / "reference.txt").read_text()}
    for wav in sorted((shared / "pocketsphinx-librivox").glob("*.wav")):
        found[f"librivox-{wav.stem[-4:]}"] = {"audio": wav, "part": "real", "speakers": 1, "condition": "audiobook (real)",
                                              "text": wav.with_suffix(".txt").read_text()}
    return found


class StageTimes(logging.Handler):
    """The pipeline's own stage timings, from its log lines."""

    def __init__(self):
        super().__init__()
        self.seconds: dict[str, float] = {}

    def emit(self, record):
        match = re.search(r": (diarised|recognised) [\d.]+ min of audio in ([\d.]+) s", record.getMessage())
        if match:
            self.seconds[match.group(1)] = float(match.group(2))


def simple_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def identifiers_readable(reference_text: str, hypothesis_text: str, shareable_text: str, identifiers: list[dict]) -> dict:
    """For each planted identifier: its recognised words (aligned to the reference) and whether they,
    with the recognised word either side, are still readable in the shareable transcript."""
    import jiwer

    ref, hyp = simple_words(reference_text), simple_words(hypothesis_text)
    shared = " " + " ".join(simple_words(shareable_text)) + " "
    ref_to_hyp: dict[int, list[int]] = {}
    for chunk in jiwer.process_words(" ".join(ref), " ".join(hyp)).alignments[0]:
        for k in range(chunk.ref_start_idx, chunk.ref_end_idx):
            if chunk.type in ("equal", "substitute"):
                ref_to_hyp[k] = [chunk.hyp_start_idx + (k - chunk.ref_start_idx)]
            else:
                ref_to_hyp[k] = []
        if chunk.type == "insert" and chunk.ref_start_idx > 0:
            ref_to_hyp.setdefault(chunk.ref_start_idx - 1, []).extend(range(chunk.hyp_start_idx, chunk.hyp_end_idx))
    rows = []
    for item in identifiers:
        words = simple_words(item["text"])
        starts = [i for i in range(len(ref) - len(words) + 1) if ref[i : i + len(words)] == words]
        for start in starts:
            recognised = sorted(h for k in range(start, start + len(words)) for h in ref_to_hyp.get(k, []))
            if not recognised:
                rows.append({**item, "recognised": "", "readable": False, "lost": True})
                continue
            a, b = recognised[0], recognised[-1] + 1
            phrase = hyp[max(0, a - 1) : b + 1]
            readable = f" {' '.join(phrase)} " in shared
            rows.append({**item, "recognised": " ".join(hyp[a:b]), "readable": readable, "lost": False,
                         "as_spoken": f" {' '.join(words)} " in shared})
    return {"identifiers": len(rows), "identifiers_readable": sum(r["readable"] for r in rows),
            "identifiers_as_spoken": sum(r.get("as_spoken", False) for r in rows),
            "identifiers_lost": sum(r["lost"] for r in rows), "identifier_rows": rows}


def fillers_in(text: str) -> int:
    return sum(1 for word in simple_words(text) if word in FILLERS or word in ("mhm", "hm", "uhm", "mm-hm"))


def run_one(name: str, item: dict, model: str, args) -> dict:
    from transcribe.batch import Batch
    from transcribe.folders import Folders, OutputSettings
    from transcribe.diarise import DiarisationSettings
    from transcribe.pipeline import RunSettings
    from transcribe.study import Study, load_study
    from transcribe.transcript import Transcript

    out = WORK / args.tag / name / "transcripts"
    recognition = {k: v for k, v in (("quantise", args.quantise),) if v is not None}
    settings = RunSettings(model=model, device="cpu", language="en",
                           diarisation=DiarisationSettings(num_speakers=item["speakers"]),
                           **recognition, **({"verbatim": True} if args.verbatim else {}))
    study = load_study(item["study"]) if item.get("study") else Study()
    timer = StageTimes()
    logging.getLogger("transcribe").addHandler(timer)
    logging.getLogger("transcribe").setLevel(logging.INFO)
    started = time.perf_counter()
    try:
        batch = Batch(out, settings, OutputSettings(anonymise=True), study)
        (result,) = batch.run([item["audio"]])
    finally:
        logging.getLogger("transcribe").removeHandler(timer)
    wall = time.perf_counter() - started
    if result.status == "failed":
        return {"error": result.message}
    private = Folders.of(out).private
    (path,) = private.glob("*.identifiable.json")
    transcript = Transcript.from_json(path.read_text())
    words = [w for t in transcript.turns for w in t.words if w.text.strip()]
    hypothesis = "".join(w.text for w in words)
    timeline = [(t["start"], t["end"], t["raw_speaker"]) for t in transcript.timeline]
    row = {"part": item["part"], "condition": item["condition"], "model": model,
           "speakers_requested": item["speakers"],
           "speakers_in_transcript": len({t.raw_speaker for t in transcript.turns}),
           "recognition_s": timer.seconds.get("recognised"), "diarisation_s": timer.seconds.get("diarised"),
           "wall_s": round(wall, 1), "audio_s": transcript.duration}
    turns = item.get("turns")
    if turns:
        row["der"] = round(der(turns, timeline), 4)
        row.update(wrong_speaker_words(turns, timeline, [(w.start, w.end, w.speaker) for w in words]))
    reference = item.get("text") or (" ".join(t.text for t in turns) if turns and turns[0].text else None)
    if reference:
        import jiwer

        measured = jiwer.process_words(normalised(reference), normalised(hypothesis))
        row["ref_words"] = measured.hits + measured.substitutions + measured.deletions
        row["errors"] = measured.substitutions + measured.deletions + measured.insertions
        row["wer"] = round(row["errors"] / max(row["ref_words"], 1), 4)
        row["fillers_spoken"] = fillers_in(reference)
        row["fillers_kept"] = min(fillers_in(hypothesis), row["fillers_spoken"])
    if item.get("identifiers"):
        shareable = "\n".join(p.read_text() for p in out.glob("*.txt"))
        row.update(identifiers_readable(reference, hypothesis, shareable, item["identifiers"]))
    row["hypothesis"] = hypothesis.strip()
    return row


def pooled(rows: list[dict]) -> dict:
    """Sums over recordings: WER from errors and words, shares from counts."""
    total = {}
    for key in ("errors", "ref_words", "words", "wrong_speaker", "identifiers", "identifiers_readable",
                "identifiers_lost", "identifiers_as_spoken", "fillers_spoken", "fillers_kept", "recognition_s", "audio_s"):
        values = [r[key] for r in rows if r.get(key) is not None]
        total[key] = round(sum(values), 2) if values else None
    out = {"recordings": len(rows)}
    if total["ref_words"]:
        out["wer"] = round(total["errors"] / total["ref_words"], 4)
    if total["words"]:
        out["wrong_speaker_share"] = round(total["wrong_speaker"] / total["words"], 4)
    ders = [r["der"] for r in rows if r.get("der") is not None]
    if ders:
        out["der_mean"] = round(sum(ders) / len(ders), 4)
    if total["identifiers"]:
        out["identifiers_readable"] = f"{int(total['identifiers_readable'])}/{int(total['identifiers'])}"
        out["identifiers_lost"] = int(total["identifiers_lost"])
        out["identifiers_as_spoken"] = f"{int(total['identifiers_as_spoken'])}/{int(total['identifiers'])}"
    if total["fillers_spoken"]:
        out["fillers_kept"] = f"{int(total['fillers_kept'])}/{int(total['fillers_spoken'])}"
    if total["recognition_s"] and total["audio_s"]:
        out["recognition_rtf"] = round(total["recognition_s"] / total["audio_s"], 3)
    out["speakers_honoured"] = f"{sum(r['speakers_in_transcript'] == r['speakers_requested'] for r in rows)}/{len(rows)}"
    return out


def markdown(results: dict) -> str:
    lines = [f"# {results['label']}", "", results["conditions"], "",
             "| part | condition | model | WER | DER (mean) | words under the wrong speaker | speakers as asked | identifiers readable (as spoken) | fillers kept | recognition RTF |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, row in results["pooled"].items():
        part, condition, model = key.split(" | ")
        cell = lambda k, f="{:.1%}": f.format(row[k]) if row.get(k) is not None else "-"  # noqa: E731
        lines.append(f"| {part} | {condition} | {model} | {cell('wer')} | {cell('der_mean')} | {cell('wrong_speaker_share')} | "
                     f"{row['speakers_honoured']} | {row.get('identifiers_readable', '-')} ({row.get('identifiers_as_spoken', '-')}) | {row.get('fillers_kept', '-')} | {cell('recognition_rtf', '{:.3f}')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--parts", default="tuning,heldout,real")
    parser.add_argument("--only", help="comma-separated recording names")
    parser.add_argument("--quantise", choices=["none", "int8"], default=None, help="recognition weights (default: the tool's)")
    parser.add_argument("--verbatim", action="store_true", help="transcribe with --verbatim")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperatures", help="decoding fallback, comma-separated (default: the tool's)")
    parser.add_argument("--tag", default="default", help="work folder (stage caches) under benchmarks/work/realistic/")
    parser.add_argument("--label", default="")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "realistic.json")
    args = parser.parse_args()

    import torch

    import transcribe

    print(f"transcribe from {Path(transcribe.__file__).parent}", flush=True)
    torch.set_num_threads(args.threads)
    decoding = {}
    if args.temperatures:
        decoding["temperatures"] = tuple(float(t) for t in args.temperatures.split(","))
    if decoding:  # the pipeline builds its RecognitionSettings with these defaults instead
        import functools

        from transcribe import asr, pipeline

        pipeline.RecognitionSettings = functools.partial(asr.RecognitionSettings, **decoding)
    parts = args.parts.split(",")
    items = devset_recordings([p for p in parts if p != "real"])
    if "real" in parts:
        items.update(real_recordings(args.shared))
    wanted = set(args.only.split(",")) if args.only else None
    rows: dict[str, dict] = {}
    for model in args.models.split(","):
        for name, item in items.items():
            if wanted and name not in wanted:
                continue
            row = run_one(name, item, model, args)
            rows[f"{name} | {model}"] = row
            print(f"{model:8} {name:22} " + " ".join(f"{k} {row[k]}" for k in (
                "wer", "der", "wrong_speaker_share", "speakers_in_transcript", "identifiers_readable", "fillers_kept",
                "recognition_s", "error") if k in row), flush=True)
    groups: dict[str, list[dict]] = {}
    for key, row in rows.items():
        if "error" in row:
            continue
        for condition in (row["condition"], "all"):
            groups.setdefault(f"{row['part']} | {condition} | {row['model']}", []).append(row)
    results = {"label": args.label, "threads": args.threads, "models": args.models, "quantise": args.quantise,
               "verbatim": args.verbatim, "temperatures": args.temperatures,
               "conditions": "2-core development machine shared with other work; times are wall seconds of the "
                             "recognition stage with diarisation cached.",
               "pooled": {key: pooled(group) for key, group in sorted(groups.items())}, "recordings": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
