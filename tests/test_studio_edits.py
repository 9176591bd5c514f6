"""The edit layer: corrections anchored to recognised words, applied before detection, version-checked."""

from __future__ import annotations

import copy

import pytest

from transcribe import edits
from transcribe.storage import make_private_dir
from transcribe.transcript import Transcript, Turn, Word


def transcript() -> Transcript:
    def words(text, start):
        return [Word(f" {w}", start + i, start + i + 0.8, 0.9, "SPEAKER_00") for i, w in enumerate(text.split())]

    return Transcript("p1", 20.0, [
        Turn("I", "SPEAKER_00", 0.0, 5.0, words("how was the clinic in leads", 0.0)),
        Turn("p1", "SPEAKER_01", 6.0, 14.0, words("it was fine thanks and you said that too", 6.0)),
    ], audio={"sha256": "ab" * 32})


@pytest.fixture
def private(tmp_path):
    return make_private_dir(tmp_path / "transcripts.private")


def save(private, layer):
    sha = transcript().audio["sha256"]
    return edits.save_layer(private, sha, layer, edits.version_of(edits.layer_path(private, sha)))


def test_a_turn_text_correction_becomes_word_edits_that_keep_the_word_count(private):
    raw = transcript()
    changes = edits.turn_text_edits(raw, raw, 0, "How was the clinic in Leeds today?", edits.positions_map(raw, raw))
    assert [(c["at"]["raw"], c["text"]) for c in changes] == [(" how", "How"), (" leads", "Leeds today?")]
    save(private, changes)
    fitted = edits.corrected(raw, private).transcript
    assert fitted.turns[0].text == "How was the clinic in Leeds today?"
    assert [len(t.words) for t in fitted.turns] == [len(t.words) for t in raw.turns]
    assert raw.turns[0].text == "how was the clinic in leads"  # the raw recognition is not touched


def test_split_and_speaker_change_make_a_new_turn_for_the_other_speaker(private):
    raw = transcript()
    split_at = edits.anchor(raw, 1, 5)  # "you said that too" was the interviewer
    save(private, [{"kind": "split", "at": split_at}, {"kind": "speaker", "at": split_at, "speaker": "I"}])
    fitted = edits.corrected(raw, private).transcript
    assert [(t.speaker, t.text) for t in fitted.turns] == [
        ("I", "how was the clinic in leads"), ("p1", "it was fine thanks and"), ("I", "you said that too")]
    assert fitted.turns[2].start == raw.turns[1].words[5].start and fitted.turns[1].end == raw.turns[1].words[4].end
    assert fitted.turns[2].raw_speaker == "SPEAKER_00"


def test_corrections_survive_unchanged_words_and_are_reported_where_recognition_changed(private):
    raw = transcript()
    save(private, [{"kind": "word", "at": edits.anchor(raw, 0, 5), "text": "Leeds"},
                   {"kind": "word", "at": edits.anchor(raw, 1, 2), "text": "fine,"}])
    rerun = copy.deepcopy(raw)
    rerun.turns[1].words[2].text = " find"  # recognised differently this time
    fitted = edits.fit(rerun, edits.load_layer(private, raw.audio["sha256"]))
    assert fitted.transcript.turns[0].text.endswith("in Leeds")
    assert [e["text"] for e in fitted.applied] == ["Leeds"]
    assert [e["at"]["raw"] for e in fitted.unfit] == [" fine"]
    assert "find" in fitted.transcript.turns[1].text


def test_a_stale_save_is_refused_and_the_layer_is_left_as_the_first_tab_saved_it(private):
    raw = transcript()
    sha = raw.audio["sha256"]
    loaded = edits.version_of(edits.layer_path(private, sha))
    first = [{"kind": "word", "at": edits.anchor(raw, 0, 0), "text": "How"}]
    edits.save_layer(private, sha, first, loaded)
    with pytest.raises(edits.StaleEdit):
        edits.save_layer(private, sha, [{"kind": "word", "at": edits.anchor(raw, 0, 1), "text": "is"}], loaded)
    assert edits.load_layer(private, sha) == first
    assert (edits.layer_path(private, sha).stat().st_mode & 0o777) == 0o600


def test_an_edited_word_is_no_longer_flagged_as_inaudible_or_uncertain(private):
    raw = transcript()
    raw.turns[0].words[5].flag = "uncertain"
    raw.turns[0].words[5].probability = 0.1
    save(private, [{"kind": "word", "at": edits.anchor(raw, 0, 5), "text": "Leeds"}])
    word = edits.corrected(raw, private).transcript.turns[0].words[5]
    assert (word.text, word.flag, word.probability) == (" Leeds", None, 1.0)
