"""Make synth_subset.json from presidio-research's synth_dataset_v2.json (see SOURCE.txt).

Usage: python tests/data/detect/make_synth_subset.py PATH/TO/synth_dataset_v2.json
Deterministic: the same input gives the same subset.
"""

import json
import random
import sys
from pathlib import Path

GROUPS = [  # (entity types, how many sentences with at least one of them)
    ({"PERSON", "GPE"}, 250),
    ({"ORGANIZATION"}, 50),
    ({"EMAIL_ADDRESS", "PHONE_NUMBER", "DOMAIN_NAME"}, 40),
    (set(), 60),  # sentences with no entity at all
]


def main(source: Path) -> None:
    samples = json.loads(source.read_text(encoding="utf-8"))
    rng = random.Random(0)
    rng.shuffle(samples)
    chosen, seen = [], set()
    for types, count in GROUPS:
        matching = [
            s for s in samples
            if s["full_text"] not in seen
            and (types & {span["entity_type"] for span in s["spans"]} if types else not s["spans"])
        ]
        for sample in matching[:count]:
            seen.add(sample["full_text"])
            chosen.append({
                "text": sample["full_text"],
                "spans": sorted([span["start_position"], span["end_position"], span["entity_type"]]
                                for span in sample["spans"]),
            })
    out = Path(__file__).with_name("synth_subset.json")
    lines = ",\n".join(json.dumps(sample, ensure_ascii=False) for sample in chosen)
    out.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print(f"{len(chosen)} sentences -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
