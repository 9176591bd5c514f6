"""Words to speakers, turns, roles, and the inline reliability flags (no models needed)."""

from __future__ import annotations

import numpy as np

from transcribe.align import align, attribute_words
from transcribe.asr import RecognisedWord, Segment
from transcribe.diarise import Diarisation, SpeakerTurn
from transcribe.reliability import (
    INAUDIBLE,
    UNCERTAIN,
    ReliabilitySettings,
    count_flags,
    flag_words,
    mark,
    repetition_loops,
)
from transcribe.roles import assign_roles, heuristic_scores
from transcribe.transcript import Transcript, Turn, Word


def segment(words: list[tuple[str, float, float]], start=None, end=None, **stats) -> Segment:
    values = dict(avg_logprob=-0.2, no_speech_prob=0.01, compression_ratio=1.4, temperature=0.0) | stats
    recognised = [RecognisedWord(" " + t, a, b, 0.9) for t, a, b in words]
    return Segment(start if start is not None else recognised[0].start, end if end is not None else recognised[-1].end,
                   " ".join(t for t, _, _ in words), words=recognised, **values)


def spaced(text: str, start: float, step: float = 0.4) -> list[tuple[str, float, float]]:
    return [(w, round(start + i * step, 2), round(start + i * step + 0.3, 2)) for i, w in enumerate(text.split())]


DIARISATION = Diarisation(
    turns=[SpeakerTurn(0.0, 3.0, "SPEAKER_01"), SpeakerTurn(3.5, 9.0, "SPEAKER_00"), SpeakerTurn(8.5, 10.0, "SPEAKER_01")],
    exclusive=[SpeakerTurn(0.0, 3.0, "SPEAKER_01"), SpeakerTurn(3.5, 8.5, "SPEAKER_00"), SpeakerTurn(8.5, 10.0, "SPEAKER_01")],
)


def test_words_go_to_the_speaker_whose_turn_covers_them():
    words = attribute_words([segment(spaced("how did you hear of it?", 0.2)), segment(spaced("a friend told me about it then", 3.6))],
                            DIARISATION)
    assert [w.speaker for w in words[:6]] == ["SPEAKER_01"] * 6
    assert {w.speaker for w in words[6:]} == {"SPEAKER_00"}


def test_words_in_a_gap_go_to_the_nearest_turn_and_overlap_is_marked():
    words = attribute_words([segment([("yes", 3.15, 3.4)]), segment([("right", 8.6, 8.9)])], DIARISATION)
    assert words[0].speaker == "SPEAKER_00"  # 0.1 s before SPEAKER_00's turn, 0.15 s after the other
    assert words[1].speaker == "SPEAKER_01" and words[1].overlap  # both talk between 8.5 and 9.0


def test_consecutive_words_of_one_speaker_form_a_turn():
    turns = align([segment(spaced("how did you hear of it?", 0.2)), segment(spaced("a friend told me", 3.6))], DIARISATION)
    assert [t.raw_speaker for t in turns] == ["SPEAKER_01", "SPEAKER_00"]
    assert turns[0].text == "how did you hear of it?"


def interview(first_asks: bool = True) -> list[Turn]:
    lines = [("A", "Could you tell me about yourself?"), ("B", "I grew up here and I have worked at the school for twenty years now."),
             ("A", "What changed?"), ("B", "Mostly the people, and the way the place is run, and my own health too.")]
    if not first_asks:
        lines = lines[1:] + lines[:1]
    turns, t = [], 0.0
    for speaker, text in lines:
        words = [Word(" " + w, t + i * 0.4, t + i * 0.4 + 0.3, 0.9, speaker) for i, w in enumerate(text.split())]
        turns.append(Turn(speaker, speaker, words[0].start, words[-1].end, words))
        t = words[-1].end + 1
    return turns


def test_heuristic_finds_the_interviewer_who_asks_and_talks_less():
    assignment = assign_roles(interview(), ["p3"])
    assert assignment.labels == {"A": "I", "B": "p3"}
    assert assignment.method == "heuristic" and assignment.confidence > 0.5
    scores = heuristic_scores(interview(first_asks=False))
    assert scores["A"] > scores["B"]  # questions outweigh speaking first


def test_enrolment_decides_by_voice_when_given():
    rng = np.random.default_rng(0)
    voice_a, voice_b = rng.normal(size=192), rng.normal(size=192)
    embeddings = {"A": (voice_a + rng.normal(scale=0.2, size=192)).tolist(), "B": voice_b.tolist()}
    # B is enrolled as the interviewer: the voice wins over the question heuristic.
    assignment = assign_roles(interview(), ["p3"], embeddings=embeddings, interviewer_voice=voice_b)
    assert assignment.method == "enrolment" and assignment.labels == {"B": "I", "A": "p3"}


def test_an_override_is_honoured_even_when_it_looks_wrong():
    assignment = assign_roles(interview(), ["p3"], override=["p3", "I"])
    assert assignment.method == "override" and assignment.labels == {"A": "p3", "B": "I"}


def test_extra_voices_beyond_the_codes_stay_unnamed():
    turns = interview() + [Turn("C", "C", 30.0, 31.0, [Word(" Hello.", 30.0, 31.0, 0.9, "C")])]
    assignment = assign_roles(turns, ["p3"])
    assert assignment.labels["C"] == "S2" and assignment.labels["B"] == "p3"


def test_repetition_loops_are_found():
    words = [Word(f" {w}", i, i + 0.5, 0.9) for i, w in enumerate(
        "so I went there and thank you thank you thank you thank you thank you and then".split())]
    looped = repetition_loops(words, max_repeats=3)
    assert {words[i].text.strip() for i in looped} == {"thank", "you"}
    assert 4 not in looped  # "and" before the loop is kept


def test_suspect_segments_become_inaudible_and_keep_raw_text_private():
    good = segment(spaced("this part was clear", 0.2))
    bad = segment(spaced("the the words invented here", 4.0), avg_logprob=-1.6)
    turns = align([good, bad], Diarisation([SpeakerTurn(0, 10, "A")], [SpeakerTurn(0, 10, "A")]))
    flag_words(turns, [good, bad], Diarisation([SpeakerTurn(0, 10, "A")], []), ReliabilitySettings())
    t = Transcript("p1", 10.0, turns)
    assert [w.flag for w in t.turns[0].words[4:]] == [INAUDIBLE] * 5
    shown = mark(t)
    assert shown.turns[0].text == "this part was clear [inaudible 00:00:04]"
    assert t.turns[0].text.endswith("invented here")  # the raw words stay in the canonical transcript
    assert count_flags(t)[INAUDIBLE] == 1


def test_text_where_nobody_spoke_is_inaudible():
    speech = segment(spaced("hello there", 0.2))
    ghost = segment(spaced("thanks for watching", 20.0))
    diarisation = Diarisation([SpeakerTurn(0, 2, "A")], [SpeakerTurn(0, 2, "A")])
    turns = align([speech, ghost], diarisation)
    flag_words(turns, [speech, ghost], diarisation, ReliabilitySettings())
    assert [w.flag for w in turns[0].words] == [None, None, INAUDIBLE, INAUDIBLE, INAUDIBLE]


def test_uncertain_words_and_crosstalk_notation():
    words = [Word(" I", 0, 0.2, 0.9, "A"), Word(" saw", 0.3, 0.5, 0.1, "A", flag=UNCERTAIN),
             Word(" Jordon,", 0.6, 0.9, 0.2, "A", flag=UNCERTAIN), Word(" yes", 1.0, 1.2, 0.9, "A", overlap=True),
             Word(" yes.", 1.3, 1.5, 0.9, "A", overlap=True)]
    shown = mark(Transcript("p1", 2.0, [Turn("A", "A", 0, 1.5, words)]))
    assert shown.turns[0].text == "I saw(?) Jordon(?), [crosstalk 00:00:01] yes yes."


# The participant (P) talks from 0 to 10 s; the interviewer (I) says "mm-hm" over them at 4 s.
OVER = Diarisation(turns=[SpeakerTurn(0.0, 10.0, "P"), SpeakerTurn(3.9, 4.6, "I")],
                   exclusive=[SpeakerTurn(0.0, 10.0, "P")])


def test_a_back_channel_said_over_the_participant_goes_to_the_interviewer_inside_the_turn():
    words = [("I", 0.2, 0.4), ("worked", 0.5, 0.9), ("nights.", 1.0, 1.5), ("Mm-hm.", 4.0, 4.4), ("Then", 5.0, 5.3),
             ("days.", 5.4, 5.9)]
    turns = align([segment(words)], OVER)
    assert [t.raw_speaker for t in turns] == ["P"]  # not split
    assert [(w.text.strip(), w.speaker, w.aside) for w in turns[0].words][3] == ("Mm-hm.", "I", True)
    shown = mark(Transcript("p1", 10.0, turns, speakers=[{"id": "P", "label": "p1"}, {"id": "I", "label": "I"}]))
    assert shown.turns[0].text == "I worked nights. [I: Mm-hm.] Then days."
    assert count_flags(shown)["crosstalk"] == 0
    # The aside is kept in the JSON; a transcript without asides is written as before.
    again = Transcript.from_json(Transcript("p1", 10.0, turns).to_json())
    assert [w.aside for w in again.turns[0].words] == [False, False, False, True, False, False]
    assert '"aside"' not in Transcript("p1", 10.0, align([segment(words[:3])], OVER)).to_json()


def test_only_a_short_back_channel_over_someone_who_goes_on_stays_inside_their_turn():
    # Said in a pause, not over the participant: a turn of its own, as before.
    pause = Diarisation(turns=[SpeakerTurn(0.0, 3.0, "P"), SpeakerTurn(3.2, 3.8, "I"), SpeakerTurn(4.0, 8.0, "P")],
                        exclusive=[SpeakerTurn(0.0, 3.0, "P"), SpeakerTurn(3.2, 3.8, "I"), SpeakerTurn(4.0, 8.0, "P")])
    turns = align([segment([("Nights.", 1.0, 1.5), ("Right.", 3.3, 3.6), ("Then", 4.2, 4.5)])], pause)
    assert [t.raw_speaker for t in turns] == ["P", "I", "P"]
    # Words that are not a back-channel, over the participant: the interviewer's own turn.
    turns = align([segment([("Nights.", 1.0, 1.5), ("Why?", 4.0, 4.4), ("Then", 5.0, 5.3)])], OVER)
    assert all(not w.aside for t in turns for w in t.words)
    # The last words of the recording: nobody goes on after them, so they are not an aside.
    turns = align([segment([("Nights.", 1.0, 1.5), ("Mm-hm.", 4.0, 4.4)])], OVER)
    assert not turns[-1].words[-1].aside
