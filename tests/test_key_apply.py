"""The study-wide key, replacement inside words, and the review file (no models needed)."""

from __future__ import annotations

import csv
import os
import stat

from transcribe.anonymise import review
from transcribe.anonymise.apply import Found, anonymise
from transcribe.anonymise.spans import replace_span
from transcribe.anonymise.detect import Detection
from transcribe.anonymise.key import StudyKey, normalise
from transcribe.layout import layout
from transcribe.study import Person
from transcribe.transcript import Transcript, Turn, Word

PEOPLE = [Person("I", ("Helen Carter", "Helen"), "interviewer"), Person("p1", ("Sarah Jones", "Sarah", "Ms Jones"), "participant"),
          Person("tom", ("Tom",), "other")]


def turn(text: str, speaker: str = "p1") -> Turn:
    words = [Word(" " + w, i * 0.5, i * 0.5 + 0.4, 0.9, speaker) for i, w in enumerate(text.split())]
    return Turn(speaker, speaker, 0.0, words[-1].end, words)


def found(t: int, text: str, sub: str, category: str, source: str = "ner", entity: str | None = None, score=0.85) -> Found:
    start = text.index(sub)
    return Found(t, Detection(start, start + len(sub), sub, category, source, score, entity))


def test_replacing_a_span_keeps_one_text_per_word():
    t = turn("I asked Sarah Jones's brother.")
    replace_span(t, t.text.index("Sarah"), t.text.index("Jones") + 5, "[p1]")
    assert [w.text for w in t.words] == [" I", " asked", " [p1]'s", "", " brother."]
    assert t.text == "I asked [p1]'s brother."


def test_replacing_inside_one_word_keeps_punctuation():
    t = turn("Well, Lewisham.")
    replace_span(t, 6, 14, "[Place 1]")
    assert t.text == "Well, [Place 1]."


def test_placeholders_follow_the_study_rules():
    key = StudyKey(PEOPLE)
    assert key.replacement(Detection(0, 5, "Sarah", "person", "roster", 1.0, "p1"), "p1") == "[p1]"
    assert key.replacement(Detection(0, 5, "Helen", "person", "roster", 1.0, "I"), "p1") == "[I]"
    assert key.replacement(Detection(0, 3, "Tom", "person", "roster", 1.0, "tom"), "p1") == "[Name 1]"
    assert key.replacement(Detection(0, 5, "Priya", "person", "ner", 0.85, None), "p1") == "[Name 2]"
    assert key.replacement(Detection(0, 8, "Lewisham", "place", "ner", 0.85, None), "p1") == "[Place 1]"
    assert key.replacement(Detection(0, 8, "Riverside Surgery", "organisation", "list", 1.0, "Riverside Surgery"), "p1") == "[Organisation 1]"
    # Variants of one entity share a placeholder.
    assert key.replacement(Detection(0, 11, "Priya Patel", "person", "ner", 0.85, None), "p2") == "[Name 2]"
    assert key.replacement(Detection(0, 8, "Ms Jones", "person", "ner", 0.85, None), "p2") == "[p1]"
    assert key.replacement(Detection(0, 8, "LEWISHAM", "place", "gazetteer", 0.5, None), "p2") == "[Place 1]"


def test_the_key_is_stable_across_runs_and_new_interviews(tmp_path):
    path = tmp_path / "key.csv"
    key = StudyKey(PEOPLE)
    first = [key.replacement(Detection(0, 1, name, "person", "ner", 0.85, None), "p1") for name in ("Priya", "Grace")]
    key.save(path)
    again = StudyKey.load(path, PEOPLE)
    assert [again.replacement(Detection(0, 1, name, "person", "ner", 0.85, None), "p1") for name in ("Grace", "Priya")] == first[::-1]
    assert again.replacement(Detection(0, 1, "Mo", "person", "ner", 0.85, None), "p2") == "[Name 3]"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert {"[p1]", "[I]"} <= {r["replacement"] for r in rows}  # the key names every participant


def test_numbering_follows_first_appearance_and_rejections_take_no_number():
    turns = [turn("I met Priya and Grace at Bristol."), turn("Grace and Mo came too.")]
    t = Transcript("p1", 10.0, turns)
    items = [found(0, turns[0].text, "Priya", "person"), found(0, turns[0].text, "Grace", "person"),
             found(0, turns[0].text, "Bristol", "place"), found(1, turns[1].text, "Grace", "person"),
             found(1, turns[1].text, "Mo", "person")]
    anonymised, proposals = anonymise(t, items, {items[0].id: "reject"}, StudyKey(PEOPLE))
    assert anonymised.turns[0].text == "I met Priya and [Name 1] at [Place 1]."
    assert anonymised.turns[1].text == "[Name 1] and [Name 2] came too."
    assert items[0].id not in proposals
    assert anonymised.anonymisation == {"replacements": {"person": 3, "place": 1}, "rejected": 1, "custom": 0}
    assert [len(a.words) for a in anonymised.turns] == [len(b.words) for b in turns]


def test_a_custom_decision_replaces_the_proposal():
    t = Transcript("p1", 5.0, [turn("We went to Clifton.")])
    item = found(0, t.turns[0].text, "Clifton", "place")
    anonymised, _ = anonymise(t, [item], {item.id: "[a district of the city]"}, StudyKey(PEOPLE))
    assert anonymised.turns[0].text == "We went to [a district of the city]."


def test_review_rows_point_at_the_identifiable_line_and_keep_decisions(tmp_path):
    t = Transcript("p2", 30.0, [turn("Hello, thank you for coming in today.", "I"),
                                turn("My friend Jordon told me about the scheme, and then we went to Harehills together.")])
    items = [found(1, t.turns[1].text, "Jordon", "person", "fuzzy", "tom", 0.7),
             found(1, t.turns[1].text, "Harehills", "place", "ner")]
    (page,) = layout([t], width=50)
    anonymised, proposals = anonymise(t, items, {}, StudyKey(PEOPLE))
    path = tmp_path / "review.csv"
    review.update(path, "p2", review.rows_for(t, page, items, proposals, {}))
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    jordon = next(r for r in rows if r["text"] == "Jordon")
    assert jordon["priority"] == review.CHECK_FIRST and rows[0] is not None and rows[0]["text"] == "Jordon"
    assert int(jordon["line"]) == page.line_of(1, 2)
    assert "<<Jordon>>" in jordon["context"] and jordon["proposed"] == "[Name 1]"
    harehills = next(r for r in rows if r["text"] == "Harehills")
    assert int(harehills["line"]) > int(jordon["line"])
    # The researcher rejects one; the decision survives a rewrite of the file.
    for row in rows:
        if row["text"] == "Harehills":
            row["decision"] = "reject"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, review.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    decisions = review.decisions_for(review.load_decisions(path), "p2", items)
    assert decisions == {items[1].id: "reject"}
    review.update(path, "p2", review.rows_for(t, page, items, proposals, decisions))
    assert next(r for r in csv.DictReader(open(path, encoding="utf-8-sig")) if r["text"] == "Harehills")["decision"] == "reject"


def test_normalise():
    assert normalise("Ms. Jones's") == "jones"
    assert normalise("St James's Hospital", "organisation") == normalise("Saint James's Hospital", "organisation")
    assert normalise("07700 900123", "phone") == "07700900123"


def test_a_participant_recoded_in_the_study_takes_the_new_code(tmp_path):
    path = tmp_path / "key.csv"
    StudyKey(PEOPLE).save(path)
    recoded = [Person("p2", ("Sarah Jones", "Sarah", "Ms Jones"), "participant")]
    key = StudyKey.load(path, recoded)
    assert key.replacement(Detection(0, 5, "sarah", "person", "ner", 0.85, None), "p2") == "[p2]"
    assert "[p1]" not in {e.replacement for e in key.entries if e.original.startswith("sarah")}


def test_custom_wording_takes_no_number_and_stale_decisions_are_kept(tmp_path):
    t = Transcript("p1", 10.0, [turn("I met Priya and Grace.")])
    items = [found(0, t.turns[0].text, "Priya", "person"), found(0, t.turns[0].text, "Grace", "person")]
    key = StudyKey(PEOPLE)
    anonymised, proposals = anonymise(t, items, {items[0].id: "[a friend]"}, key)
    assert anonymised.turns[0].text == "I met [a friend] and [Name 1]."
    path = tmp_path / "review.csv"
    (page,) = layout([t])
    review.update(path, "p1", review.rows_for(t, page, items, proposals, {items[0].id: "[a friend]"}))
    review.update(path, "p1", review.rows_for(t, page, items[1:], proposals, {}))  # Priya no longer detected
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    stale = next(r for r in rows if r["text"] == "Priya")
    assert stale["decision"] == "[a friend]" and stale["priority"] == review.STALE
    assert ":" not in stale["id"]  # ids a spreadsheet will not turn into times


def test_a_roster_name_the_recogniser_was_unsure_of_is_listed_to_check_first(tmp_path):
    # The interview's names are Whisper's prompt: a spoken "Ellen Carver" came out "Helen Carver"
    # at probability .06 (benchmarks/prompt.py). The placeholder stands; the review says check it.
    t = Transcript("p1", 30.0, [turn("I spoke to Helen Carver last week."), turn("Helen said yes.")])
    t.turns[0].words[3].probability = 0.06
    items = [found(0, t.turns[0].text, "Helen", "person", "roster", "I", 1.0),
             found(1, t.turns[1].text, "Helen", "person", "roster", "I", 1.0)]
    (page,) = layout([t], width=50)
    anonymised, proposals = anonymise(t, items, {}, StudyKey(PEOPLE))
    path = tmp_path / "review.csv"
    review.update(path, "p1", review.rows_for(t, page, items, proposals, {}))
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert [(r["id"], r["priority"]) for r in rows] == [(items[0].id, review.CHECK_FIRST), (items[1].id, "")]
    assert {r["proposed"] for r in rows} == {"[I]"}
