"""Does giving Whisper the study's vocabulary and names as a prompt help, and what does it harm?

Help: recognises the demo interviews and the mangled-name recording (tests/data/mangled: names
tiny.en mishears without help) with and without a prompt, on the same windows (the true speaker
turns, so that only recognition differs), and reports word error rate and how many of the
planted names and places come out spelled as the study spells them, with any sign of a loop.

Harm: a roster name written where it was not said. Counted on the demo interviews and on a small
development set of sentences naming people who are *not* on the roster but sound like someone who is
("Ellen Carver" beside the roster's Helen Carter, "Tim" beside Tom), rendered with flite under
benchmarks/work/ (deterministic). ``roster_names_inserted`` is, per roster-name word, how many more
times the recognised text has it than the reference, summed. ``roster_words_unsure`` counts the
roster words recognised below word probability LOW_PROBABILITY, which the review lists to check
first (transcribe/anonymise/review.py): on the near misses that is how many insertions a
researcher is pointed at; on the interviews, how many true names are listed needlessly.

Prompts compared: none; the whole study's (every name of every interview); the interview's own
(``Study.prompt(codes)``: vocabulary, places, organisations, the interviewer and the interview's own
participants); the interview's own plus the people the study lists without an interview (mentioned
people, who may come up in any interview); and no people at all (vocabulary, places and
organisations only: ``Study.prompt(codes, people=False)``).

    .venv/bin/python benchmarks/prompt.py [--model tiny.en] [--out benchmarks/results/prompt.json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SAMPLES, normalised, wer  # noqa: E402

MANGLED = ROOT / "tests" / "data" / "mangled"

from transcribe.anonymise.recognizers.misheard import LOW_PROBABILITY  # noqa: E402
from transcribe.asr import RecognitionSettings, SpeechRecogniser, plan_windows  # noqa: E402
from transcribe.audio import decode  # noqa: E402
from transcribe.models import find_whisper  # noqa: E402
from transcribe.reliability import repetition_loops  # noqa: E402
from transcribe.study import load_study  # noqa: E402
from transcribe.transcript import Word  # noqa: E402

# Spoken names that are not on the demo study's roster, each close to a name that is.
NEAR_MISSES = [
    "I spoke to Ellen Carver about the rota last week.",
    "My neighbour Sara Jonas helps me with the shopping.",
    "Dan Oakes drives the minibus on Fridays.",
    "We met Mary Watson at the library on Monday.",
    "Her son Tim started at the new school in September.",
    "Priyanka called me about the walking group.",
    "Grant and his wife moved to the coast last year.",
    "Sam Reid runs the cafe on the corner.",
    "I think Anne Wilton was the first nurse I saw.",
    "Davina Oakley organised the whole thing.",
    # Added later, measured once as written: more sound-alikes of the interview's own people.
    "Ellie Carson was my support worker for a while.",
    "I think Karen Jennings runs the group now.",
    "My cousin Sean Jonas lives up north.",
    "Hilary Carr gave me a lift to the clinic.",
    "Sally Johns was the one who phoned me.",
    "We used to see Helena Cartwright at church.",
    "Zara James helped me with the forms.",
    "Ellen told me to ask at the front desk.",
]


def planted_terms(study) -> list[str]:
    """Every multi-letter name, place and organisation word the study spells out."""
    terms = {part for p in study.people for name in p.names for part in name.split()}
    terms |= {part for item in study.places + study.organisations + study.vocabulary for part in item.split()}
    return sorted(t for t in terms if len(t) > 2 and t[0].isupper() and t not in ("Dr", "Ms", "Mr", "Mrs", "St"))


def roster_words(study) -> set[str]:
    return {normalised(part) for p in study.people for name in p.names for part in name.split()} - {"", "dr", "ms", "mr", "mrs"}


def roster_names_inserted(reference: str, hypothesis: str, roster: set[str]) -> int:
    ref, hyp = Counter(normalised(reference).split()), Counter(normalised(hypothesis).split())
    return sum(max(0, hyp[w] - ref[w]) for w in roster)


def prompts(study, codes: list[str]) -> dict[str, str | None]:
    mentioned = [n for p in study.people if p.role == "other" for n in p.names]
    own = study.prompt(codes)
    return {
        "none": None,
        "whole study": study.prompt(),
        "interview's own": own,
        "own + mentioned people": (own[:-1] + ", " + ", ".join(mentioned) + ".") if own and mentioned else own,
        "no people": study.prompt(codes, people=False),
    }


def near_miss_audio(work: Path):
    """The development sentences as one recording (one window per sentence), rendered once."""
    import numpy as np
    import soundfile as sf

    work.mkdir(parents=True, exist_ok=True)
    pieces, windows, position = [], [], 0.0
    for i, sentence in enumerate(NEAR_MISSES):
        wav = work / f"near-miss-{i}.wav"
        if not wav.exists():
            subprocess.run(["flite", "-voice", ("rms", "awb")[i % 2], "-t", sentence, "-o", str(wav)], check=True)
        samples = decode(wav).samples
        pieces += [samples, np.zeros(8000, dtype=samples.dtype)]
        windows.append((position, position + len(samples) / 16000))
        position += (len(samples) + 8000) / 16000
    path = work / "near-misses.wav"
    sf.write(path, np.concatenate(pieces), 16000, subtype="PCM_16")
    return decode(path), windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "prompt.json")
    parser.add_argument("--near-misses-only", action="store_true", help="skip the demo interviews (the help side)")
    args = parser.parse_args()
    study = load_study(SAMPLES / "study.toml")
    recogniser = SpeechRecogniser(find_whisper(args.model), "cpu")
    roster = roster_words(study)
    results = {}
    # The demo interviews, then the mangled-name recording (names tiny.en mishears without help).
    recordings = [(study, i, SAMPLES / "truth" / f"{i.audio.stem}.json") for i in study.interviews]
    mangled = load_study(MANGLED / "study.toml")
    recordings += [(mangled, i, MANGLED / "truth.json") for i in mangled.interviews]
    for own_study, interview, truth_path in [] if args.near_misses_only else recordings:
        terms, own_roster = planted_terms(own_study), roster_words(own_study)
        truth = json.loads(truth_path.read_text())
        reference = " ".join(t["text"] for t in truth["turns"])
        expected = [t for t in terms if re.search(rf"\b{re.escape(t)}\b", reference)]
        audio = decode(interview.audio)
        windows = plan_windows([(t["start"], t["end"], t["speaker"]) for t in truth["turns"]], audio.duration)
        label_of = interview.code if own_study is study else f"mangled {interview.code}"
        for label, prompt in prompts(own_study, interview.codes).items():
            started = time.perf_counter()
            segments = recogniser(audio.samples, windows, RecognitionSettings(initial_prompt=prompt))
            seconds = time.perf_counter() - started
            text = " ".join(s.text for s in segments)
            words = [Word(w.text, w.start, w.end, w.probability) for s in segments for w in s.words]
            found = [t for t in expected if re.search(rf"\b{re.escape(t)}\b", text)]
            listed = [w for w in words if normalised(w.text) in own_roster]
            results.setdefault(label_of, {})[label] = {
                "wer": round(wer(reference, text), 4),
                "names_spelled_as_study": f"{len(found)}/{len(expected)}",
                "names_missed": sorted(set(expected) - set(found)),
                "roster_names_inserted": roster_names_inserted(reference, text, own_roster),
                "roster_words": len(listed),
                "roster_words_unsure": sum(1 for w in listed if w.probability < LOW_PROBABILITY),
                "windows_over_compression_threshold": sum(1 for s in segments if s.compression_ratio > 2.4),
                "words_in_repetition_loops": len(repetition_loops(words, 3)),
                "seconds": round(seconds, 2),
            }
    audio, windows = near_miss_audio(ROOT / "benchmarks" / "work" / "prompt-harm")
    for label, prompt in prompts(study, ["p1"]).items():
        segments = recogniser(audio.samples, windows, RecognitionSettings(initial_prompt=prompt))
        by_window = {(s.start, s.end): s.text for s in segments}
        heard = [w for s in segments for w in s.words if normalised(w.text) in roster]
        inserted, replaced = 0, []
        for sentence, window in zip(NEAR_MISSES, windows):
            text = by_window.get(window, "")
            count = roster_names_inserted(sentence, text, roster)
            inserted += count
            if count:
                replaced.append(text.strip())
        results.setdefault("near misses (p1's prompt)", {})[label] = {
            "wer": round(wer(" ".join(NEAR_MISSES), " ".join(s.text for s in segments)), 4),
            "roster_names_inserted": inserted, "sentences": len(NEAR_MISSES), "heard_as": replaced,
            # No roster name is spoken here: every roster word heard is inserted; these the review lists first.
            "roster_words_unsure": sum(1 for w in heard if w.probability < LOW_PROBABILITY),
        }
    for code, rows in results.items():
        for label, row in rows.items():
            print(f"{code:28} {label:24} WER {row['wer']:.3f}  names {row.get('names_spelled_as_study', '-'):>6}  "
                  f"roster names inserted {row['roster_names_inserted']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "prompts": prompts(study, ["p1"]), "results": results},
                                   indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
