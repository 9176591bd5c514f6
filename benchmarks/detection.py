"""Identifier detection: recall and precision per category and per source, cased and as ASR writes.

Every set is scored twice: as written, and lower-cased with punctuation removed (what speech
recognition without punctuation gives), the gold spans mapped through the transform. Sets:

- ``interview``: tests/data/detect/interview_sentences.json, with the demo study's roster and
  lists (``study``) and with nothing known (``plain``);
- ``synth``: the presidio-research subset, tests/data/detect/synth_subset.json, nothing known;
- ``dev``: tests/data/detect/dev_sentences.json, lower-case interview-like speech written for
  tuning (new names, places, institutions, addresses, back-channels), nothing known;
- ``numbers``: tests/data/detect/number_sentences.json, lower-case speech with identifying numbers
  (phones, cards, flats) and everyday ones (years, ages, prices, bus routes), nothing known.

Spans match when they overlap. ``recall`` needs the right category, ``found`` any category (what
privacy needs); ``overall`` pools every identifying category.

    .venv/bin/python benchmarks/detection.py --label after -o benchmarks/results/detection-after.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "detect"
sys.path.insert(0, str(ROOT))

from transcribe.anonymise.detect import Detector, DetectorConfig  # noqa: E402
from transcribe.study import Person  # noqa: E402

ROSTER = (
    Person("helen_carter", ("Helen Carter", "Helen", "Dr Carter"), "interviewer"),
    Person("sarah_jones", ("Sarah Jones", "Sarah", "Ms Jones"), "participant"),
    Person("david_okafor", ("David Okafor", "David", "Dave"), "participant"),
    Person("margaret_wilson", ("Margaret Wilson", "Margaret", "Maggie"), "participant"),
    Person("tom", ("Tom",), "other"),
    Person("priya_patel", ("Priya Patel", "Priya"), "other"),
    Person("grace", ("Grace",), "other"),
)
STUDY = DetectorConfig(
    roster=ROSTER,
    places=("Lewisham", "Manchester", "Leeds", "Harehills", "Bristol", "Clifton", "London"),
    organisations=("Riverside Surgery", "St James's Hospital", "Saint James's Hospital", "Brunel Community Trust"),
    allow=("NHS", "WellTogether"),
)

# Gold label(s) each category is scored against; "address" also accepts a place, and a place an
# address, for precision (a town inside a street address is still identifying).
INTERVIEW_RECALL = {c: {c} for c in ("person", "place", "organisation", "address", "email", "phone", "url",
                                    "postcode", "nhs_number")}
INTERVIEW_PRECISION = {**INTERVIEW_RECALL, "place": {"place", "address"}, "address": {"address", "place"}}
SYNTH_RECALL = {
    "person": {"PERSON"}, "place": {"GPE"}, "organisation": {"ORGANIZATION"}, "address": {"STREET_ADDRESS"},
    "email": {"EMAIL_ADDRESS"}, "phone": {"PHONE_NUMBER"}, "url": {"DOMAIN_NAME"},
}
SYNTH_PRECISION = {**SYNTH_RECALL, "place": {"GPE", "STREET_ADDRESS"},
                   "address": {"STREET_ADDRESS", "GPE", "ZIP_CODE"}, "postcode": {"ZIP_CODE", "STREET_ADDRESS"}}
# Labels that identify someone: any detection on one counts as correct for overall precision.
SYNTH_IDENTIFYING = {"PERSON", "GPE", "ORGANIZATION", "STREET_ADDRESS", "EMAIL_ADDRESS", "PHONE_NUMBER",
                     "DOMAIN_NAME", "ZIP_CODE", "CREDIT_CARD", "IBAN_CODE"}


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    label: str


MARK = re.compile(r"\[([^\]]+)\]\(([a-z_]+)(?::([^)]+))?\)")


def parse_marked(marked: str) -> tuple[str, list[Gold]]:
    """Plain text and gold spans from "[Sarah](person:sarah_jones) lives in [Leeds](place)"."""
    text, golds, position = "", [], 0
    for match in MARK.finditer(marked):
        text += marked[position:match.start()]
        start = len(text)
        text += match.group(1)
        golds.append(Gold(start, len(text), match.group(2)))
        position = match.end()
    return text + marked[position:], golds


def as_speech(text: str, golds: list[Gold]) -> tuple[str, list[Gold]]:
    """Lower-cased, punctuation removed (kept inside a token: "don't", "a.b@c.org"), spaces single.

    Gold spans are mapped through the transform; one that loses every character is dropped.
    """
    kept: list[tuple[int, str]] = []  # (original index, new character)
    for i, char in enumerate(text):
        if unicodedata.category(char).startswith("P"):
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if not (before.isalnum() and after.isalnum()):
                continue
        if char.isspace():
            if not kept or kept[-1][1] == " ":
                continue
            char = " "
        kept.append((i, char.lower()))
    while kept and kept[-1][1] == " ":
        kept.pop()
    new_text = "".join(c for _, c in kept)
    mapped = []
    for gold in golds:
        inside = [n for n, (i, c) in enumerate(kept) if gold.start <= i < gold.end and c != " "]
        if inside:
            mapped.append(Gold(inside[0], inside[-1] + 1, gold.label))
    return new_text, mapped


def overlaps(a, b) -> bool:
    return a.start < b.end and b.start < a.end


def score(results, recall_labels: dict[str, set[str]], precision_labels: dict[str, set[str]],
          identifying: set[str]) -> dict:
    """Recall (right category, and any category) per category, precision per category and source."""
    gold_n, right_n, any_n = Counter(), Counter(), Counter()
    detected, correct, by_source, source_correct, source_hits = Counter(), Counter(), Counter(), Counter(), Counter()
    overall_gold = overall_found = overall_detected = overall_correct = 0
    missed: list[str] = []
    false_alarms: list[str] = []
    for text, detections, golds in results:
        for gold in golds:
            hits = [d for d in detections if overlaps(d, gold)]
            if gold.label in identifying:
                overall_gold += 1
                overall_found += bool(hits)
                if not hits:
                    missed.append(f"{gold.label}: {text[gold.start:gold.end]!r} in {text!r}")
            for category, labels in recall_labels.items():
                if gold.label in labels:
                    gold_n[category] += 1
                    any_n[category] += bool(hits)
                    right = [d for d in hits if d.category == category]
                    if right:
                        right_n[category] += 1
                        source_hits[right[0].source] += 1
        for d in detections:
            hits = [g for g in golds if overlaps(d, g)]
            detected[d.category] += 1
            correct[d.category] += any(g.label in precision_labels.get(d.category, ()) for g in hits)
            by_source[d.source] += 1
            good = any(g.label in identifying for g in hits)
            source_correct[d.source] += good
            overall_detected += 1
            overall_correct += good
            if not good:
                false_alarms.append(f"{d.category}/{d.source}: {d.text!r} in {text!r}")
    ratio = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    return {
        "overall": {"recall": ratio(overall_found, overall_gold), "precision": ratio(overall_correct, overall_detected),
                    "gold": overall_gold, "detections": overall_detected},
        "recall": {c: ratio(right_n[c], gold_n[c]) for c in sorted(gold_n)},
        "found": {c: ratio(any_n[c], gold_n[c]) for c in sorted(gold_n)},
        "gold": dict(sorted(gold_n.items())),
        "precision": {c: ratio(correct[c], detected[c]) for c in sorted(detected)},
        "source_precision": {s: ratio(source_correct[s], by_source[s]) for s in sorted(by_source)},
        "source_detections": dict(sorted(by_source.items())),
        "source_hits": dict(sorted(source_hits.items())),
        "missed": missed,
        "false_alarms": false_alarms,
    }


def marked_set(name: str) -> list[tuple[str, list[Gold]]]:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [parse_marked(s) for s in data["sentences"]]


def synth_set() -> list[tuple[str, list[Gold]]]:
    samples = json.loads((DATA / "synth_subset.json").read_text(encoding="utf-8"))
    return [(s["text"], [Gold(a, b, label) for a, b, label in s["spans"]]) for s in samples]


def run(detector: Detector, samples, recall, precision, identifying, speech: bool) -> dict:
    results = []
    for text, golds in samples:
        if speech:
            text, golds = as_speech(text, golds)
        results.append((text, detector.detect(text), golds))
    return score(results, recall, precision, identifying)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--sets", default="interview-study,interview-plain,synth,dev,numbers")
    parser.add_argument("--show", action="store_true", help="print misses and false alarms")
    args = parser.parse_args()

    detectors = {"study": Detector(STUDY), "plain": Detector(DetectorConfig())}
    interview_labels = (INTERVIEW_RECALL, INTERVIEW_PRECISION, set(INTERVIEW_RECALL))
    sets = {
        "interview-study": (detectors["study"], marked_set("interview_sentences.json"), *interview_labels),
        "interview-plain": (detectors["plain"], marked_set("interview_sentences.json"), *interview_labels),
        "synth": (detectors["plain"], synth_set(), SYNTH_RECALL, SYNTH_PRECISION, SYNTH_IDENTIFYING),
    }
    if (DATA / "dev_sentences.json").exists():
        sets["dev"] = (detectors["plain"], marked_set("dev_sentences.json"), *interview_labels)
    number_labels = {**INTERVIEW_RECALL, "number": {"number"}}
    sets["numbers"] = (detectors["plain"], marked_set("number_sentences.json"), number_labels,
                       {**number_labels, "phone": {"phone", "number"}, "number": {"number", "phone"}},
                       set(number_labels))
    report: dict = {"label": args.label, "date": time.strftime("%Y-%m-%d"), "sets": {}}
    for name in args.sets.split(","):
        if name not in sets:
            continue
        for form in ("cased", "speech"):
            started = time.perf_counter()
            result = run(*sets[name], speech=form == "speech")
            result["seconds"] = round(time.perf_counter() - started, 1)
            report["sets"][f"{name}/{form}"] = result
            o = result["overall"]
            print(f"{name:16} {form:7} recall {o['recall']:.3f} precision {o['precision']:.3f} "
                  f"({o['gold']} gold, {o['detections']} detections)  found {result['found']}", flush=True)
            if args.show:
                for line in result["missed"]:
                    print("   MISS", line)
                for line in result["false_alarms"]:
                    print("   FA  ", line)
    if args.output:
        args.output.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
