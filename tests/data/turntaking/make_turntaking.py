"""Generate the fast turn-taking interviews in tests/data/turntaking/ with Debian's flite TTS.

Interviews where speakers change often, after short gaps (0.1 to 0.35 s), with one-word
interjections ("Yeah.", "Right.") between longer answers: the turn changes where words land under
the wrong speaker. Rendering, trimming and loudness follow samples/make_samples.py (imported);
only the scripts and the pauses differ. Deterministic: reruns give byte-identical files.

Usage: .venv/bin/python tests/data/turntaking/make_turntaking.py   (needs `apt-get install flite`)
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parents[2] / "samples"))

from make_samples import EDGE, FRAME, SR, TARGET_RMS, seconds, synthesise, trim  # noqa: E402

GAP_FRAMES = (10, 35)  # 0.1 to 0.35 s between turns, in 10 ms steps

INTERVIEWS = [
    {
        "uri": "fast_two",
        "voices": {"anna_berg": "slt", "tom_hale": "rms"},
        "turns": [
            ("anna_berg", "So when did you start working at the depot?"),
            ("tom_hale", "About six years ago, just after the move."),
            ("anna_berg", "Right."),
            ("tom_hale", "Before that I drove taxis in the city for a long time."),
            ("anna_berg", "And did you like it?"),
            ("tom_hale", "Not really. The hours were terrible."),
            ("anna_berg", "Yeah."),
            ("tom_hale", "But the money was fine, so I stayed longer than I meant to."),
            ("anna_berg", "What made you leave in the end?"),
            ("tom_hale", "My back. I could not sit that long any more."),
            ("anna_berg", "Okay. And the depot is better?"),
            ("tom_hale", "Much better. I walk around all day."),
        ],
    },
    {
        "uri": "fast_three",
        "voices": {"anna_berg": "slt", "joe_marsh": "awb", "ben_cole": "kal16"},
        "turns": [
            ("anna_berg", "Thank you both for coming in. Who wants to start?"),
            ("joe_marsh", "I can start. We run the garden on the estate together."),
            ("ben_cole", "Since the spring."),
            ("joe_marsh", "Since the spring, yes. It was empty before that."),
            ("anna_berg", "How many people come along?"),
            ("ben_cole", "Maybe twenty on a good Saturday."),
            ("joe_marsh", "More in the summer."),
            ("anna_berg", "Really?"),
            ("joe_marsh", "Oh yes. The children love the tomatoes."),
            ("ben_cole", "And the mud."),
            ("anna_berg", "What would you change, if you could?"),
            ("ben_cole", "A shed. We keep the tools in my kitchen at the moment."),
        ],
    },
]


def build(interview: dict, seed: int):
    rng = np.random.default_rng(seed)
    chunks, turns, pos = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (speaker, text) in enumerate(interview["turns"]):
            gap = EDGE if i == 0 else int(rng.integers(GAP_FRAMES[0], GAP_FRAMES[1] + 1)) * FRAME
            speech = trim(synthesise(text, interview["voices"][speaker], tmp))
            speech *= TARGET_RMS / np.sqrt((speech**2).mean())
            chunks += [np.zeros(gap), speech]
            start, pos = pos + gap, pos + gap + len(speech)
            turns.append({"speaker": speaker, "start": seconds(start), "end": seconds(pos), "text": text})
    chunks.append(np.zeros(EDGE))
    return np.clip(np.concatenate(chunks), -1.0, 1.0), turns


def main() -> None:
    for seed, interview in enumerate(INTERVIEWS, start=101):
        audio, turns = build(interview, seed)
        uri = interview["uri"]
        sf.write(OUT / f"{uri}.flac", audio, SR, subtype="PCM_16", compression_level=1.0)
        rttm = "".join(f"SPEAKER {uri} 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> {t['speaker']} <NA> <NA>\n"
                       for t in turns)
        (OUT / f"{uri}.rttm").write_text(rttm)
        meta = {"uri": uri, "duration": seconds(len(audio)), "speakers": sorted(interview["voices"]), "turns": turns}
        (OUT / f"{uri}.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        print(f"{uri}: {len(audio) / SR:.1f} s, {len(turns)} turns")


if __name__ == "__main__":
    main()
