"""End to end: how many spoken identifiers of the mangled-name recordings stay readable.

Reads a finished run (``transcribe run tests/data/mangled -o DIR``) and the recordings' truth
(tests/data/mangled/truth.json). Each spoken identifier is located in the identifiable
transcript by aligning the spoken words with the recognised ones (difflib); what the recogniser
wrote for it ("Klekhedan" for "Cleckheaton") is readable if it still appears, as a whole word, in
a shareable file. Only recognised forms that look like the identifier count (Jaro-Winkler >= 0.6):
an ordinary word the recogniser wrote in its place ("and") identifies no one.

    .venv/bin/python benchmarks/detection_mangled.py DIR [--label L] [-o results.json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from pathlib import Path

import jellyfish

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "tests" / "data" / "mangled" / "truth.json"
LOOKS_LIKE = 0.6


def words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text)]


def transcript_words(path: Path) -> list[str]:
    """The words of a numbered .txt transcript, without header, line numbers or speaker labels."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*\d+\s+(?:\S+:\s+)?(.*)$", line)
        if match:
            out += words(match.group(1).replace("(?)", ""))
    return out


def recognised_forms(truth: dict, recognised: list[str]) -> dict[str, list[str]]:
    """For each identifier of the truth, the recognised words aligned with it."""
    spoken = [w for turn in truth["turns"] for w in words(turn["text"])]
    matcher = difflib.SequenceMatcher(None, spoken, recognised, autojunk=False)
    forms: dict[str, list[str]] = {}
    names = {item["text"].lower() for item in truth["identifiers"]}
    ordinary = set(spoken) - names
    for item in truth["identifiers"]:
        target = item["text"].lower()
        found: list[str] = []
        for index in [i for i, w in enumerate(spoken) if w == target]:
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if i1 <= index < i2 and tag in ("equal", "replace"):
                    block = recognised[j1 + (index - i1)] if tag == "equal" else None
                    found += [block] if block else recognised[j1:j2]
        # A word of the script written in the identifier's place ("and") is not the identifier.
        forms[item["text"]] = [w for w in dict.fromkeys(found)
                               if jellyfish.jaro_winkler_similarity(w, target) >= LOOKS_LIKE and w not in ordinary]
    return forms


def measure(out: Path, truth_path: Path = TRUTH) -> dict:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    code_files = sorted(Path(str(out) + ".private").glob("*.identifiable.txt"))
    report: dict = {"identifiers": len(truth["identifiers"]), "interviews": {}}
    for identifiable in code_files:
        code = identifiable.name.split(".")[0]
        forms = recognised_forms(truth, transcript_words(identifiable))
        shareable = {p.suffix.lstrip("."): p.read_text(encoding="utf-8", errors="replace").lower()
                     for p in out.glob(f"{code}.*") if p.is_file()}
        readable = {fmt: sorted(name for name, ws in forms.items()
                                if any(re.search(rf"(?<![^\W_]){re.escape(w)}(?![^\W_])", text) for w in ws))
                    for fmt, text in shareable.items()}
        report["interviews"][code] = {"recognised_as": forms, "readable": readable,
                                      "readable_count": {fmt: len(v) for fmt, v in readable.items()}}
    return report


def redetect(identifiable_json: Path, study: Path | None, truth_path: Path = TRUTH) -> dict:
    """Detection alone, on a run's recognised text: which recognised forms no detection covers.

    For comparing detector versions on the same recognition without re-running the models (put
    the version to test first on PYTHONPATH). Every detection is replaced by default, so this is
    what the shareable files show before the study-wide safety net.
    """
    import tomllib

    from transcribe.anonymise.detect import Detector, DetectorConfig
    from transcribe.study import Person

    config = DetectorConfig()
    if study is not None:
        data = tomllib.loads(study.read_text(encoding="utf-8"))
        roster = tuple(Person(p["name"], (p["name"], *p.get("aliases", ())), "participant" if p.get("code") else "other")
                       for p in data.get("people", ()))
        config = DetectorConfig(roster=roster, places=tuple(data["study"].get("places", ())),
                                organisations=tuple(data["study"].get("organisations", ())),
                                allow=tuple(data["study"].get("allow", ())))
    detector = Detector(config)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    turns = ["".join(w["text"] for w in t["words"]).strip()
             for t in json.loads(identifiable_json.read_text(encoding="utf-8"))["turns"]]
    forms = recognised_forms(truth, [w for text in turns for w in words(text.replace("(?)", ""))])
    readable = []
    for name, ws in forms.items():
        for text in turns:
            spans = [(d.start, d.end) for d in detector.detect(text)]
            for w in ws:
                for m in re.finditer(rf"(?<![^\W_]){re.escape(w)}(?![^\W_])", text, re.IGNORECASE):
                    if not any(a <= m.start() and m.end() <= b for a, b in spans):
                        readable.append(name)
    return {"identifiers": len(truth["identifiers"]), "recognised_as": forms, "readable": sorted(set(readable)),
            "readable_count": len(set(readable))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the shareable folder of the run (its .private beside it)")
    parser.add_argument("--redetect", type=Path, metavar="IDENTIFIABLE_JSON",
                        help="run detection again on this recognised transcript instead")
    parser.add_argument("--study", type=Path, help="with --redetect: the study file")
    parser.add_argument("--label", default="current")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    if args.redetect:
        report = {"label": args.label, **redetect(args.redetect, args.study)}
    else:
        report = {"label": args.label, **measure(args.out)}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.output:
        existing = json.loads(args.output.read_text()) if args.output.exists() else {}
        existing[args.label] = report
        args.output.write_text(json.dumps(existing, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
