"""Development sets that sound like recordings made on a table in a room (issue 24).

Each recording is a scripted interview rendered with Debian's flite and espeak-ng voices, mixed with
the timing of real talk (pauses, back-channels such as "mm-hm" spoken over the answer, a second
participant cutting in), with fillers, false starts and repetitions in the answers, then put through
what a recorder hears: sox's room reverberation, a telephone band, and noise at a stated
signal-to-noise ratio. Names, places, organisations, phone numbers and addresses are planted in the
answers with their category, and a study file names the people and places a researcher would list.

Written for every recording, under ``benchmarks/work/devsets/<part>/``:

* ``NAME.wav``: 16 kHz mono 16-bit PCM;
* ``NAME.json``: the reference: every turn (speaker, start, end, text as spoken), the condition, the
  speaker count, the participant codes, the planted identifiers (words as spoken, category) and the
  fillers spoken;
* ``NAME.rttm``: the reference speaker turns;
* ``NAME.study.toml``: the study file of the recording (codes, people, places, organisations).

Two parts: ``tuning`` (used to choose settings and models) and ``heldout`` (other scripts, other
voices, other seeds; never used for choosing anything, reported apart). Deterministic: the same
command writes the same audio (seeded noise and pauses; flite, espeak-ng and sox are deterministic).
About 5 minutes of audio in all (8 recordings), not kept in the repository:

    .venv/bin/python benchmarks/devsets.py            # needs flite, espeak-ng and sox
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from math import gcd
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "work" / "devsets"
SR = 16_000
TARGET_RMS = 0.05  # -26 dBFS per utterance, before the room


@dataclass
class Voice:
    engine: str  # flite or espeak-ng
    name: str  # flite voice, or espeak-ng voice (with a +variant)
    gain_db: float = 0.0  # distance from the recorder
    speed: int = 160  # espeak-ng words per minute


@dataclass
class Line:
    speaker: str
    text: str
    overlap: float | None = None  # start this far (s) into the previous turn instead of after it: a back-channel or a cut-in


@dataclass
class Script:
    name: str
    part: str
    condition: str
    voices: dict[str, Voice]
    codes: dict[str, str]  # speaker -> participant code; the interviewer has none
    interviewer: str
    lines: list[Line]
    identifiers: list[tuple[str, str]]  # (words as spoken, category)
    study: dict = field(default_factory=dict)  # people / places / organisations for the study file
    effects: tuple[str, ...] = ()  # sox effects on the whole mix
    snr_db: float | None = None  # noise added after the effects
    seed: int = 0


FILLERS = ("um", "uh", "er", "erm", "hmm", "mm", "mm-hm")

# Conditions, as in the held-out evaluation: reverberation of a room, a telephone band, noise.
ROOM = ("reverb", "60", "50", "80", "50", "10", "0")  # reverberance %, HF damping %, room scale %, stereo depth, pre-delay ms, wet gain
SMALL_ROOM = ("reverb", "40", "60", "50", "50", "5", "0")
TELEPHONE = ("sinc", "300-3400", "rate", "8k", "rate", "16k")

SCRIPTS: list[Script] = [
    # --- tuning --------------------------------------------------------------------------------
    Script(
        name="paired_room", part="tuning", condition="paired interview, three voices, room reverb, noise 20 dB",
        voices={"ann": Voice("flite", "slt"), "joe": Voice("flite", "rms", -3), "bea": Voice("espeak-ng", "en-gb-x-rp+f2", -5, 150)},
        codes={"joe": "p1", "bea": "p2"}, interviewer="ann", effects=ROOM, snr_db=20, seed=11,
        identifiers=[("Joe Hartley", "person"), ("Beatrice", "person"), ("Leyton", "place"),
                     ("fourteen Chatsworth Road", "address"), ("Homerton Hospital", "organisation"),
                     ("Marcus", "person"), ("oh seven seven oh oh nine oh oh one two three", "phone")],
        study={"people": [("Joe Hartley", ["Joe"], "p1"), ("Beatrice Lowe", ["Beatrice", "Bea"], "p2"), ("Marcus Lowe", ["Marcus"], None)],
               "places": ["Leyton", "Chatsworth Road"], "organisations": ["Homerton Hospital"]},
        lines=[
            Line("ann", "Thank you both for coming. Could you each say who you are and where you live?"),
            Line("joe", "Um, I'm Joe Hartley. We, uh, we live in Leyton, at fourteen Chatsworth Road."),
            Line("bea", "And I'm Beatrice, his sister. I moved in with him last year."),
            Line("ann", "How did you hear about the support group?"),
            Line("bea", "The nurse at Homerton Hospital, she gave us a leaflet. I mean, she gave me the leaflet and I showed Joe."),
            Line("joe", "Yeah, I, I wasn't keen at first, to be honest."),
            Line("ann", "Mm-hm.", overlap=1.2),
            Line("ann", "What changed your mind?"),
            Line("joe", "My son Marcus. He said, you know, go once and see. So I went once and I kept going."),
            Line("bea", "He goes every week now.", overlap=None),
            Line("ann", "If the group wanted to reach you, how would they do that?"),
            Line("joe", "They ring me. My number is oh seven seven oh oh nine oh oh one two three. Er, that's the mobile."),
            Line("ann", "Thank you. That's everything I wanted to ask."),
        ],
    ),
    Script(
        name="handheld_phone", part="tuning", condition="hand-held recorder: telephone band, noise 12 dB, accented voice",
        voices={"ann": Voice("flite", "slt"), "ian": Voice("espeak-ng", "en-gb-scotland", -2, 155)},
        codes={"ian": "p1"}, interviewer="ann", effects=TELEPHONE, snr_db=12, seed=12,
        identifiers=[("Ian Crawford", "person"), ("Paisley", "place"), ("Greenock", "place"),
                     ("twenty two Glebe Street", "address"), ("Morag", "person"), ("Clyde Housing", "organisation")],
        study={"people": [("Ian Crawford", ["Ian"], "p1"), ("Morag Crawford", ["Morag"], None)],
               "places": ["Paisley", "Greenock"], "organisations": ["Clyde Housing"]},
        lines=[
            Line("ann", "Can you hear me all right on this line?"),
            Line("ian", "Aye, I can hear you fine. I'm Ian Crawford, I'm calling from Paisley."),
            Line("ann", "Could you tell me about your home?"),
            Line("ian", "We rent from Clyde Housing. Um, the flat is at twenty two Glebe Street. It's damp, it's, it's always been damp."),
            Line("ann", "Have you asked them to fix it?"),
            Line("ian", "Uh, many times. My wife Morag wrote to them twice. They sent a man once and he, er, he painted over it."),
            Line("ann", "That sounds frustrating."),
            Line("ian", "It is. We're thinking of moving to Greenock to be near her mother, you know, if we can find something."),
            Line("ann", "Thank you, that's very helpful."),
        ],
    ),
    Script(
        name="backchannel_reverb", part="tuning", condition="reverb, the interviewer's back-channels over the participant",
        voices={"kim": Voice("flite", "slt"), "raj": Voice("flite", "awb", -2)},
        codes={"raj": "p1"}, interviewer="kim", effects=SMALL_ROOM, snr_db=25, seed=13,
        identifiers=[("Rajesh Menon", "person"), ("Walthamstow", "place"), ("Kiran", "person"),
                     ("Forest Road", "address"), ("Sainsbury's", "organisation")],
        study={"people": [("Rajesh Menon", ["Rajesh", "Raj"], "p1"), ("Kiran Menon", ["Kiran"], None)],
               "places": ["Walthamstow", "Forest Road"], "organisations": ["Sainsbury's"]},
        lines=[
            Line("kim", "So tell me about your working day."),
            Line("raj", "Well, I'm Rajesh Menon, I work nights at the Sainsbury's on Forest Road in Walthamstow. I start at ten and I finish at six in the morning, and by then I'm, um, I'm completely done."),
            Line("kim", "Mm-hm.", overlap=3.0),
            Line("kim", "Right.", overlap=7.5),
            Line("kim", "And how does that fit with your family?"),
            Line("raj", "It's hard. My daughter Kiran is seven, and I only see her at breakfast. Uh, at weekends I try, I try to sleep less so we can go to the park together, but I'm tired all the time."),
            Line("kim", "Yeah.", overlap=4.0),
            Line("kim", "Mm.", overlap=8.5),
            Line("kim", "Has anything helped?"),
            Line("raj", "The, uh, the occupational health nurse moved me to four nights instead of five. That made a big difference, honestly."),
        ],
    ),
    Script(
        name="meeting_four", part="tuning", condition="four voices, cut-ins, small room, noise 15 dB",
        voices={"ann": Voice("flite", "slt"), "tom": Voice("flite", "rms", -2), "liz": Voice("espeak-ng", "en-us+f3", -3, 165),
                "sam": Voice("flite", "kal16", -4)},
        codes={"tom": "p1", "liz": "p2", "sam": "p3"}, interviewer="ann", effects=SMALL_ROOM, snr_db=15, seed=14,
        identifiers=[("Tom Fielding", "person"), ("Elizabeth", "person"), ("Hackney", "place"), ("Dalston", "place"),
                     ("Samuel", "person")],
        study={"people": [("Tom Fielding", ["Tom"], "p1"), ("Elizabeth Hart", ["Elizabeth", "Liz"], "p2"), ("Samuel Oduya", ["Samuel", "Sam"], "p3")],
               "places": ["Hackney", "Dalston"], "organisations": []},
        lines=[
            Line("ann", "Let's go round the table. Who would like to start?"),
            Line("tom", "I will. I'm Tom Fielding, I run the food bank in Hackney."),
            Line("liz", "I'm Elizabeth, I volunteer there on Fridays."),
            Line("sam", "And I'm Samuel, I do the deliveries in Dalston."),
            Line("ann", "What has been hardest this winter?"),
            Line("tom", "Demand. We, um, we had twice as many families in December as last year."),
            Line("liz", "And fewer donations.", overlap=2.2),
            Line("sam", "The van broke down too, so I was doing it all on foot for a week."),
            Line("tom", "That was a bad week.", overlap=2.5),
            Line("ann", "What would help most?"),
            Line("liz", "Honestly, more volunteers. Uh, people with a car especially."),
        ],
    ),
    # --- held out: never used to choose a model or a setting --------------------------------------
    Script(
        name="paired_room_h", part="heldout", condition="paired interview, three voices, room reverb, noise 20 dB",
        voices={"eve": Voice("flite", "slt"), "dan": Voice("flite", "awb", -3), "mia": Voice("espeak-ng", "en-029+f4", -5, 150)},
        codes={"dan": "p1", "mia": "p2"}, interviewer="eve", effects=ROOM, snr_db=20, seed=21,
        identifiers=[("Daniel Price", "person"), ("Mia", "person"), ("Tottenham", "place"), ("Bruce Grove", "address"),
                     ("forty one Lordship Lane", "address"), ("Whittington Health", "organisation"),
                     ("oh two oh seven nine four six oh nine five eight", "phone")],
        study={"people": [("Daniel Price", ["Daniel", "Dan"], "p1"), ("Mia Price", ["Mia"], "p2")],
               "places": ["Tottenham", "Bruce Grove", "Lordship Lane"], "organisations": ["Whittington Health"]},
        lines=[
            Line("eve", "Could you both start by introducing yourselves?"),
            Line("dan", "Sure. Uh, I'm Daniel Price, and this is my wife Mia. We're in Tottenham, near Bruce Grove."),
            Line("mia", "We've been there eleven years now."),
            Line("eve", "And what brought you to the clinic?"),
            Line("mia", "Dan's knee. He, um, he couldn't manage the stairs, so Whittington Health sent us to the, to the physio."),
            Line("dan", "Six weeks of exercises.", overlap=3.0),
            Line("eve", "Mm-hm.", overlap=0.8),
            Line("eve", "Where should the clinic send letters?"),
            Line("dan", "To forty one Lordship Lane. Or call the landline, oh two oh seven nine four six oh nine five eight."),
            Line("mia", "But we're, you know, we're never in during the day."),
            Line("eve", "Thank you both."),
        ],
    ),
    Script(
        name="handheld_phone_h", part="heldout", condition="hand-held recorder: telephone band, noise 12 dB, accented voice",
        voices={"eve": Voice("flite", "slt"), "ola": Voice("espeak-ng", "en-us-nyc", -2, 150)},
        codes={"ola": "p1"}, interviewer="eve", effects=TELEPHONE, snr_db=12, seed=22,
        identifiers=[("Olamide Adeyemi", "person"), ("Peckham", "place"), ("Rye Lane", "address"),
                     ("Tunde", "person"), ("Lambeth Council", "organisation")],
        study={"people": [("Olamide Adeyemi", ["Olamide", "Ola"], "p1"), ("Tunde Adeyemi", ["Tunde"], None)],
               "places": ["Peckham", "Rye Lane"], "organisations": ["Lambeth Council"]},
        lines=[
            Line("eve", "Thanks for calling in. Can you say your name for the recording?"),
            Line("ola", "Yes, it's Olamide Adeyemi. I run a, um, a small hair salon on Rye Lane in Peckham."),
            Line("eve", "How has the last year been for the business?"),
            Line("ola", "Up and down. The rent went up, er, it went up twice. My brother Tunde helps with the accounts, so we, we just about manage."),
            Line("eve", "Have you had any support?"),
            Line("ola", "A small grant from Lambeth Council. Uh, it helped with the new chairs, you know, but not the rent."),
            Line("eve", "Thank you for your time."),
        ],
    ),
    Script(
        name="backchannel_reverb_h", part="heldout", condition="reverb, the interviewer's back-channels over the participant",
        voices={"kim": Voice("espeak-ng", "en-gb+f3", 0, 160), "lee": Voice("flite", "rms", -2)},
        codes={"lee": "p1"}, interviewer="kim", effects=SMALL_ROOM, snr_db=25, seed=23,
        identifiers=[("Lee Thompson", "person"), ("Croydon", "place"), ("Norbury", "place"), ("Grace", "person"),
                     ("seven Cherry Tree Avenue", "address")],
        study={"people": [("Lee Thompson", ["Lee"], "p1"), ("Grace Thompson", ["Grace"], None)],
               "places": ["Croydon", "Norbury"], "organisations": []},
        lines=[
            Line("kim", "Tell me about when you moved."),
            Line("lee", "Right, so I'm Lee Thompson. We moved from Croydon to Norbury in, um, in the spring, to seven Cherry Tree Avenue, because my mum Grace needed help with her shopping and her appointments."),
            Line("kim", "Mm-hm.", overlap=3.5),
            Line("kim", "Okay.", overlap=8.0),
            Line("kim", "How has it been since?"),
            Line("lee", "Better than I thought. Uh, the neighbours are friendly, and she's, she's less lonely now that we're round the corner and can pop in every evening."),
            Line("kim", "Yeah.", overlap=3.0),
            Line("kim", "Is there anything you miss?"),
            Line("lee", "The garden. We had a big garden in Croydon. Er, now it's just a yard."),
        ],
    ),
    Script(
        name="meeting_four_h", part="heldout", condition="four voices, cut-ins, small room, noise 15 dB",
        voices={"eve": Voice("flite", "slt"), "ben": Voice("flite", "awb", -2), "amy": Voice("espeak-ng", "en-gb-x-rp+f4", -3, 160),
                "raf": Voice("espeak-ng", "en-gb-x-gbcwmd", -4, 150)},
        codes={"ben": "p1", "amy": "p2", "raf": "p3"}, interviewer="eve", effects=SMALL_ROOM, snr_db=15, seed=24,
        identifiers=[("Ben Carter", "person"), ("Amy", "person"), ("Rafael", "person"), ("Brixton", "place"),
                     ("Stockwell", "place")],
        study={"people": [("Ben Carter", ["Ben"], "p1"), ("Amy Walsh", ["Amy"], "p2"), ("Rafael Costa", ["Rafael", "Raf"], "p3")],
               "places": ["Brixton", "Stockwell"], "organisations": []},
        lines=[
            Line("eve", "Shall we start with introductions?"),
            Line("ben", "I'm Ben Carter, I coach the youth team in Brixton."),
            Line("amy", "Amy, I'm the club secretary."),
            Line("raf", "And Rafael, I look after the pitch in Stockwell."),
            Line("eve", "What is the biggest problem for the club?"),
            Line("ben", "Money, mostly. Um, the kit, the travel, the fees for the league."),
            Line("amy", "And the pitch bookings.", overlap=2.0),
            Line("raf", "The pitch floods every time it rains, so we lose half the games."),
            Line("ben", "Half at least.", overlap=2.8),
            Line("eve", "What would you change first?"),
            Line("amy", "Er, the drainage. Everything else we can, we can work around."),
        ],
    ),
]


def synthesise(voice: Voice, text: str, tmp: Path) -> np.ndarray:
    """One utterance as float mono audio at SR, trimmed, at TARGET_RMS."""
    import soundfile as sf
    from scipy.signal import resample_poly

    wav = tmp / "utt.wav"
    if voice.engine == "flite":
        subprocess.run(["flite", "-voice", voice.name, "-t", text, "-o", str(wav)], check=True)
    else:
        subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-w", str(wav), text], check=True)
    audio, rate = sf.read(wav, dtype="float64")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    if rate != SR:
        g = gcd(SR, rate)
        audio = resample_poly(audio, SR // g, rate // g)
    frame = SR // 100
    n = len(audio) // frame
    rms = np.sqrt((audio[: n * frame].reshape(n, frame) ** 2).mean(axis=1))
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-40 / 20))
    audio = audio[loud[0] * frame : (loud[-1] + 1) * frame]
    return audio * TARGET_RMS / np.sqrt((audio**2).mean()) * 10 ** (voice.gain_db / 20)


def mix(script: Script, tmp: Path) -> tuple[np.ndarray, list[dict]]:
    """The dry mix and its reference turns: a pause of 0.3 to 0.9 s between turns, or an overlap."""
    rng = np.random.default_rng(script.seed)
    placed, position, previous = [], 0.5, None
    for line in script.lines:
        audio = synthesise(script.voices[line.speaker], line.text, tmp)
        if line.overlap is not None and previous is not None:
            start = min(previous[0] + line.overlap, previous[1] - 0.2)
        else:
            start = position + (0.0 if previous is None else round(float(rng.uniform(0.3, 0.9)), 2))
        end = start + len(audio) / SR
        placed.append((start, end, line, audio))
        position = max(position, end)
        if line.overlap is None:
            previous = (start, end)
    samples = np.zeros(int((position + 0.5) * SR) + 1)
    turns = []
    for start, end, line, audio in placed:
        first = int(round(start * SR))
        samples[first : first + len(audio)] += audio
        turns.append({"speaker": line.speaker, "start": round(first / SR, 3), "end": round((first + len(audio)) / SR, 3),
                      "text": line.text, "overlapping": line.overlap is not None})
    return samples, turns


def room(samples: np.ndarray, script: Script, tmp: Path) -> np.ndarray:
    """sox's effects on the mix (reverb, band), then noise at the script's SNR over the speech."""
    import soundfile as sf

    if script.effects:
        dry, wet = tmp / "dry.wav", tmp / "wet.wav"
        sf.write(dry, samples, SR, subtype="FLOAT")
        subprocess.run(["sox", "-V1", str(dry), "-r", str(SR), "-c", "1", str(wet), *script.effects], check=True)
        samples, _ = sf.read(wet, dtype="float64")
        if samples.ndim > 1:
            samples = samples.mean(axis=1)
    if script.snr_db is not None:
        rng = np.random.default_rng(script.seed + 1000)
        noise = room_noise(len(samples), rng)
        speech = samples[np.abs(samples) > 1e-4]
        power = float((speech**2).mean()) if len(speech) else 1e-6
        samples = samples + noise * np.sqrt(power / 10 ** (script.snr_db / 10) / float((noise**2).mean()))
    return np.clip(samples, -1.0, 1.0)


def room_noise(count: int, rng: np.random.Generator) -> np.ndarray:
    """Pink-ish noise (power falling as 1/f) with a slow hum of a ventilation fan at 100 Hz."""
    spectrum = np.fft.rfft(rng.normal(size=count))
    frequencies = np.fft.rfftfreq(count, 1 / SR)
    spectrum /= np.sqrt(np.maximum(frequencies, 20.0))
    noise = np.fft.irfft(spectrum, count)
    noise /= np.sqrt((noise**2).mean())
    t = np.arange(count) / SR
    return noise + 0.3 * np.sin(2 * np.pi * 100 * t)


def study_file(script: Script) -> str:
    lines = ["# Study file of a development recording (benchmarks/devsets.py): made-up people.", "", "[study]",
             'interviewer_label = "I"', 'language = "en"',
             f"places = {json.dumps(script.study.get('places', []))}",
             f"organisations = {json.dumps(script.study.get('organisations', []))}", "",
             "[[interviews]]", f'audio = "{script.name}.wav"',
             f"codes = {json.dumps(sorted(set(script.codes.values())))}", f"speakers = {len(script.voices)}", ""]
    for name, aliases, code in script.study.get("people", []):
        lines += ["[[people]]", f'name = "{name}"', f"aliases = {json.dumps(aliases)}"]
        lines += [f'code = "{code}"'] if code else []
        lines.append("")
    return "\n".join(lines)


def spoken_fillers(text: str) -> int:
    import re

    return sum(1 for word in re.findall(r"[\w'-]+", text.lower()) if word in FILLERS)


def build(script: Script, out: Path) -> dict:
    from inputs import write_wav

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        dry, turns = mix(script, tmp)
        samples = room(dry, script, tmp)
    folder = out / script.part
    write_wav(folder / f"{script.name}.wav", samples)
    reference = {
        "name": script.name, "part": script.part, "condition": script.condition,
        "duration": round(len(samples) / SR, 3), "speakers": len(script.voices),
        "interviewer": script.interviewer, "codes": script.codes,
        "voices": {s: f"{v.engine} {v.name}" for s, v in script.voices.items()},
        "effects": " ".join(script.effects), "snr_db": script.snr_db,
        "identifiers": [{"text": text, "category": category} for text, category in script.identifiers],
        "fillers": sum(spoken_fillers(t["text"]) for t in turns),
        "turns": turns,
    }
    (folder / f"{script.name}.json").write_text(json.dumps(reference, indent=1) + "\n")
    (folder / f"{script.name}.rttm").write_text("".join(
        f"SPEAKER {script.name} 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> {t['speaker']} <NA> <NA>\n"
        for t in turns))
    (folder / f"{script.name}.study.toml").write_text(study_file(script))
    return reference


def main() -> None:
    import sys

    sys.path.insert(0, str(HERE))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", help="comma-separated recording names")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    for script in SCRIPTS:
        if wanted and script.name not in wanted:
            continue
        reference = build(script, args.out)
        print(f"{script.part:8} {script.name:22} {reference['duration']:5.1f} s  {reference['speakers']} voices  "
              f"{reference['fillers']} fillers  {len(reference['identifiers'])} identifiers  {script.condition}")


if __name__ == "__main__":
    main()
