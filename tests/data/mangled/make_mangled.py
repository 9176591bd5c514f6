"""Generate tests/data/mangled/: a synthetic interview full of names Whisper tiny.en mishears.

Same method as samples/make_samples.py (flite voices, trimmed, loudness-matched, seeded pauses),
whose functions it reuses. Writes mangled_01.flac, truth.json (the spoken identifiers) and
study.toml. Usage: python tests/data/mangled/make_mangled.py   (needs `apt-get install flite`)
"""

import json
import sys
from pathlib import Path

import soundfile as sf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent.parent / "samples"))
import make_samples  # noqa: E402

INTERVIEW = {
    "uri": "mangled_01",
    "participant": ("siobhan_nwachukwu", "rms"),
    "turns": [
        "Thank you for coming in. Could you tell me a bit about where you live?",
        "My name is Siobhan Nwachukwu. I grew up in Cleckheaton, and now I live on Tredegar Crescent, near Oakfield Primary.",
        "And who helps you at home?",
        "My neighbour Tadhg Oyelaran does the shopping, and my friend Ruksana drives me to Pinderfields Hospital.",
        "Do you work at all?",
        "I work at Greggs three mornings a week, and I volunteer with the Trussell Trust in Batley.",
    ],
}
# Every identifier spoken, with its category: what must not stay readable in shareable files.
IDENTIFIERS = [
    ("Siobhan", "person"), ("Nwachukwu", "person"), ("Cleckheaton", "place"), ("Tredegar", "address"),
    ("Oakfield", "organisation"), ("Tadhg", "person"), ("Oyelaran", "person"), ("Ruksana", "person"),
    ("Pinderfields", "organisation"), ("Greggs", "organisation"), ("Trussell", "organisation"),
    ("Batley", "place"),
]
STUDY = """# Study file for the mangled-name recording (fictional people; see SOURCE.txt).
[study]
interviewer_label = "I"
language = "en"
places = ["Cleckheaton", "Batley"]
organisations = ["Oakfield Primary", "Pinderfields Hospital", "Greggs", "Trussell Trust"]

[[interviews]]
audio = "mangled_01.flac"
codes = ["p1"]
speakers = 2

[[people]]
name = "Siobhan Nwachukwu"
aliases = ["Siobhan"]
code = "p1"

[[people]]
name = "Tadhg Oyelaran"
aliases = ["Tadhg"]

[[people]]
name = "Ruksana"
"""


def main() -> None:
    audio, turns = make_samples.build(INTERVIEW, seed=11)
    sf.write(HERE / "mangled_01.flac", audio, make_samples.SR, subtype="PCM_16")
    truth = {"uri": INTERVIEW["uri"], "turns": turns,
             "identifiers": [{"text": t, "category": c} for t, c in IDENTIFIERS]}
    (HERE / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    (HERE / "study.toml").write_text(STUDY)


if __name__ == "__main__":
    main()
