"""Generate the synthetic demo study in samples/ with Debian's flite TTS.

Three fictional interviews: the same interviewer (Dr Helen Carter, voice slt)
talks to a different participant in each.  Every turn is rendered by the
`flite` binary, resampled to 16 kHz mono, trimmed to its speech with an
energy threshold, loudness-matched, and joined with fixed-seed pauses.

Writes interview_0N.flac and, under truth/, the reference .rttm, .json and
.txt for each interview.  Deterministic: reruns give byte-identical files.

Usage: python samples/make_samples.py   (needs `apt-get install flite`)
"""

import json
import subprocess
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SR = 16_000
FRAME = SR // 100  # 10 ms: trim boundaries and pauses fall on this grid
TRIM_DB = -40.0  # a frame is speech if within 40 dB of the loudest frame
TARGET_RMS = 0.025  # -32 dBFS per utterance (keeps the FLACs small)
EDGE = 50 * FRAME  # 0.5 s of silence before the first and after the last turn
PAUSE_FRAMES = (40, 120)  # pause between turns: 0.4 to 1.2 s, in 10 ms steps
OUT = Path(__file__).resolve().parent

INTERVIEWER = ("helen_carter", "slt")

INTERVIEWS = [
    {
        "uri": "interview_01",
        "participant": ("sarah_jones", "rms"),
        "turns": [
            "Hello, and thank you for joining me today. My name is Helen, and I am a researcher looking at the community health scheme. Could you start by telling me a little about yourself?",
            "Of course. My name is Sarah Jones, and I have lived in Lewisham for most of my life. I work in a school kitchen, and I look after my younger brother, Tom, who has diabetes.",
            "How did you first hear about the scheme, Sarah?",
            "My friend Priya Patel told me about it. She had joined a walking group run by Riverside Surgery, and she said the staff were really kind. I will admit I was nervous at first.",
            "What has changed for you and for Tom since you joined?",
            "Tom goes to the cooking sessions every week now, and his sugar levels are much more stable. For me, it is mostly about feeling less alone.",
            "Were there any problems, or things you would like to see done differently?",
            "The sessions are always on weekday mornings, so people with jobs struggle to attend. My cousin in Manchester says their version runs in the evenings, which seems more sensible.",
            "Thank you, Sarah. Is there anything else you would like to add before we finish?",
            "Only that I am grateful. Riverside Surgery has been a lifeline for our family.",
        ],
    },
    {
        "uri": "interview_02",
        "participant": ("david_okafor", "awb"),
        "turns": [
            "Good morning, and thanks for making the time. I am Helen, one of the researchers on the community health project. Could you introduce yourself, please?",
            "Good morning. I am David Okafor, but my friends call me Dave. I live in Harehills with my wife Grace, and I drive buses across Leeds.",
            "How did you come to take part in the scheme?",
            "I heard about it from Sarah Jones, when I was visiting London. When I got home, I asked my doctor, and she referred me to the programme at Saint James's Hospital.",
            "What did a typical week on the programme look like for you, David?",
            "On Tuesdays I went to a group session about sleep and stress, and on Saturdays Grace and I joined the walking club in the park. It may seem a small thing, but those walks gave us time to talk.",
            "Did your shift work make it difficult to attend?",
            "Very much so. Some weeks I missed every session. The nurses at Saint James's Hospital were understanding, but the online materials were hard to follow on a phone.",
            "That is really helpful. Is there anything else you would like to tell me?",
            "Just that my blood pressure is down, and Grace says I am less grumpy. I will take that as a win.",
        ],
    },
    {
        "uri": "interview_03",
        "participant": ("margaret_wilson", "kal16"),
        "turns": [
            "Hello, and thank you for having me. My name is Helen, and I am talking to people who have used the WellTogether scheme. Could you tell me a bit about yourself?",
            "I am Margaret Wilson, though my friends call me Maggie. I am retired, and I have lived in Clifton, in Bristol, for most of my life.",
            "How did you first get involved with WellTogether, Maggie?",
            "After my husband died, my neighbour Tom noticed I was not going out much. He took me to a coffee morning run by the Brunel Community Trust, and that is where I heard about it.",
            "Which parts of the scheme have been most useful to you?",
            "The chair exercise class, without a doubt. It is run by Priya, a lovely young volunteer who makes everyone laugh. My balance is much better now.",
            "Have you found anything difficult about taking part?",
            "Getting there is the hardest part. The buses in Bristol are not reliable, and I cannot walk up the hill any more. Tom drives me when he can.",
            "Thank you so much, Maggie. Is there anything you would like to add?",
            "Only that I do hope they keep it going. It has given me a reason to get dressed in the morning.",
        ],
    },
]


def synthesise(text, voice, tmp):
    """Render text with a flite voice; return float mono audio at SR."""
    wav = Path(tmp) / "utt.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(wav)], check=True)
    audio, rate = sf.read(wav, dtype="float64")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    if rate != SR:
        g = gcd(SR, rate)
        audio = resample_poly(audio, SR // g, rate // g)
    return audio


def trim(audio):
    """Cut to the first..last 10 ms frame within TRIM_DB of the loudest one."""
    n = len(audio) // FRAME
    rms = np.sqrt((audio[: n * FRAME].reshape(n, FRAME) ** 2).mean(axis=1))
    speech = np.flatnonzero(rms >= rms.max() * 10 ** (TRIM_DB / 20))
    return audio[speech[0] * FRAME : (speech[-1] + 1) * FRAME]


def seconds(samples):
    """Sample count as seconds; exact, as every span is a whole 10 ms frame."""
    return round(samples / SR, 3)


def build(interview, seed):
    """Return the interview's audio and its turns with start/end in seconds."""
    rng = np.random.default_rng(seed)
    speakers = [INTERVIEWER, interview["participant"]]
    chunks, turns, pos = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(interview["turns"]):
            gap = EDGE if i == 0 else int(rng.integers(PAUSE_FRAMES[0], PAUSE_FRAMES[1] + 1)) * FRAME
            speaker, voice = speakers[i % 2]
            speech = trim(synthesise(text, voice, tmp))
            speech *= TARGET_RMS / np.sqrt((speech**2).mean())
            chunks += [np.zeros(gap), speech]
            start, pos = pos + gap, pos + gap + len(speech)
            turns.append({"speaker": speaker, "start": seconds(start), "end": seconds(pos), "text": text})
    chunks.append(np.zeros(EDGE))
    return np.clip(np.concatenate(chunks), -1.0, 1.0), turns


def write_truth(interview, audio, turns):
    """Write the RTTM, JSON and plain-text references for one interview."""
    uri, truth = interview["uri"], OUT / "truth"
    truth.mkdir(exist_ok=True)
    rttm = "".join(
        f"SPEAKER {uri} 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> {t['speaker']} <NA> <NA>\n"
        for t in turns
    )
    (truth / f"{uri}.rttm").write_text(rttm)
    meta = {
        "uri": uri,
        "duration": seconds(len(audio)),
        "speakers": {"interviewer": INTERVIEWER[0], "participant": interview["participant"][0]},
        "turns": turns,
    }
    (truth / f"{uri}.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    (truth / f"{uri}.txt").write_text("".join(t["text"] + "\n" for t in turns))


def main():
    for seed, interview in enumerate(INTERVIEWS, start=1):
        audio, turns = build(interview, seed)
        sf.write(OUT / f"{interview['uri']}.flac", audio, SR, subtype="PCM_16", compression_level=1.0)
        write_truth(interview, audio, turns)
        print(f"{interview['uri']}: {len(audio) / SR:.1f} s, {len(turns)} turns")


if __name__ == "__main__":
    main()
