"""Quotes with citations and the quote bank (issue 26): the words of the shareable numbered text,
cited as the study says; omissions and clarifications marked; re-checked after a correction."""

from __future__ import annotations

import csv
import zipfile

import pytest
from click.testing import CliRunner

from typed_study import correct_word, typed
from transcribe.cli import cli
from transcribe.errors import TranscribeError
from transcribe.quotes import Quote, check, cite, drop_fillers, quote
from transcribe.writers.txt import read_numbered

TEXT = """\
Interview p3 (anonymised)
Duration 1 min 19 s, processed 2026-12-01, Whisper tiny.en

   1  I:   So could you start by telling me a little about how you came
   2       to the scheme?
   3  p3:  To be honest I didn't know that I was in that for a while, and
   4       me and [p4] were quite confused about what they were trying to
   5       accomplish at the start. Um, they are the people who actually
   6       listen, and it's why the model was set up in the way it is.
   7  I:   Thank you.
"""
LINES = read_numbered(TEXT)


def test_the_numbered_lines_are_read_with_their_speakers():
    assert [(line.number, line.speaker) for line in LINES] == [(1, "I"), (2, None), (3, "p3"), (4, None), (5, None),
                                                               (6, None), (7, "I")]
    assert LINES[3].text == "me and [p4] were quite confused about what they were trying to"


def test_lines_are_quoted_with_the_default_citation_and_the_study_s_own_form():
    printed, kept = quote("p3", LINES, 4, 5)
    assert printed == ("“me and [p4] were quite confused about what they were trying to accomplish at the start. "
                       "Um, they are the people who actually” (p3, lines 4–5)")
    assert (kept.first, kept.last) == (4, 5)
    assert quote("p3", LINES, 6, 6, form="[{code}: {range}]")[0].endswith("[p3: 6]")
    assert cite("p3", 214, 216) == "(p3, lines 214–216)" and cite("p3", 9, 9) == "(p3, line 9)"


@pytest.mark.parametrize("words, printed", [
    # An omission and a clarification, as the researcher writes them.
    ("they [mentors] are the people who actually listen, and [...] the model was set up in the way it is",
     "“they [mentors] are the people who actually listen, and [...] the model was set up in the way it is” (p3, lines 5–6)"),
    # The transcript's own placeholder is the transcript's, not a clarification.
    ("me and [p4] were quite confused", "“me and [p4] were quite confused” (p3, line 4)"),
    # Hesitations may be left out without [...]; the citation stays.
    ("at the start. They are the people", "“at the start. They are the people” (p3, line 5)"),
])
def test_quoted_words_are_checked_against_the_lines_and_cited_where_they_are(words, printed):
    assert quote("p3", LINES, 3, 6, words)[0] == printed


@pytest.mark.parametrize("words, message", [
    ("they are the people who listen", r"“they are the people who listen” is not in lines 3–6"),
    ("me and [p4] were confused", r"is not in lines 3–6"),
    ("me and [p4] quite confused", r"words are left out before “quite confused” without \[\.\.\.\]: “were”"),
    ("they are the people who actually listen, the model was set up", r"is not in lines 3–6"),
    ("trying to accomplish", r"is not in lines 3–4"),  # outside the lines asked for
])
def test_words_that_are_not_on_the_lines_or_leave_out_unmarked_words_are_refused(words, message):
    last = 4 if "accomplish" in words else 6
    with pytest.raises(TranscribeError, match=message):
        quote("p3", LINES, 3, last, words)


def test_fillers_can_be_removed_without_changing_the_citation():
    with_fillers = quote("p3", LINES, 5, 6, "Um, they are the people who actually listen")
    without = quote("p3", LINES, 5, 6, "Um, they are the people who actually listen", fillers=False)
    assert with_fillers[0] == "“Um, they are the people who actually listen” (p3, lines 5–6)"
    assert without[0] == "“They are the people who actually listen” (p3, lines 5–6)"
    assert drop_fillers("I go, um, every week. Er, yes.") == "I go, every week. Yes."
    assert drop_fillers("the umbrella, errand") == "the umbrella, errand"  # words that start like fillers stay


def test_several_speakers_are_quoted_with_their_labels():
    printed, _ = quote("p3", LINES, 6, 7)
    assert printed == "“p3: listen, and it's why the model was set up in the way it is. I: Thank you.” (p3, lines 6–7)"


def test_a_quote_whose_lines_changed_is_flagged_and_one_that_moved_says_where():
    kept = Quote("p3", 5, 6, "they [mentors] are the people who actually listen")
    assert check(kept, LINES).ok
    corrected = read_numbered(TEXT.replace("actually", "really"))
    assert check(kept, corrected).status.startswith("changed: the words are no longer on these lines")
    reflowed = read_numbered(TEXT.replace("   5       accomplish at the start. Um, they are the people who actually\n"
                                          "   6       listen,", "   5       accomplish at the start.\n   6       Um, they are "
                                          "the people who actually listen,"))
    result = check(kept, reflowed)
    assert result.status.startswith("moved: the words are now on line 6") and result.lines == (6, 6)


# --- the command and the bank, on a study's folders -------------------------------------------------

def invoke(*args):
    return CliRunner().invoke(cli, ["quote", *args])


def bank(out):
    with open(out / "quotes.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_quote_command_prints_saves_and_re_checks_after_a_correction(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    printed = invoke("p1", "7-9", "--words", "they [mentors] are the people who actually listen, and it's why the "
                     "model was set up in the way it is", "-o", str(out))
    assert printed.exit_code == 0, printed.output
    assert printed.output.strip() == ("“they [mentors] are the people who actually listen, and it's why the model was "
                                      "set up in the way it is” (p1, lines 7–9)")
    saved = invoke("p1", "3-5", "--words", "I was nervous at first", "--theme", "Joining", "-o", str(out))
    assert saved.exit_code == 0, saved.output
    saved = invoke("p1", "7-9", "--words", "they [mentors] are the people who actually listen", "--theme",
                   "Being heard", "--no-fillers", "-o", str(out))
    assert saved.exit_code == 0, saved.output
    rows = bank(out)
    assert [(r["code"], r["lines"], r["theme"], r["citation"], r["status"]) for r in rows] == [
        ("p1", "7-8", "Being heard", "(p1, lines 7–8)", "ok"), ("p1", "3-4", "Joining", "(p1, lines 3–4)", "ok")]
    assert (out / "quotes.docx").is_file() and oct((out / "quotes.csv").stat().st_mode & 0o777) == "0o644"
    # A correction in the transcript (as the studio saves one, then apply): the quote on those lines
    # is flagged, in the CSV and in the document; the other one is still right.
    applied = correct_word(out, "p1", "actually", "really")
    assert "really listen" in (out / "p1.txt").read_text()
    assert "quote bank: 1 quote(s) no longer match their lines" in applied  # apply re-checked the bank
    assert bank(out)[0]["status"].startswith("changed")
    checked = invoke("--check", "-o", str(out))
    assert checked.exit_code == 0, checked.output
    rows = bank(out)
    assert rows[0]["status"].startswith("changed: the words are no longer on these lines") and rows[1]["status"] == "ok"
    assert "1 of 2 quote(s) to check" in checked.output
    with zipfile.ZipFile(out / "quotes.docx") as docx:
        assert "Check: changed" in docx.read("word/document.xml").decode()


def test_a_quote_naming_someone_is_refused_and_a_bank_row_with_a_name_is_moved_to_the_private_folder(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    refused = invoke("p1", "7-9", "--words", "they [Sarah's mentors] are the people", "--save", "-o", str(out))
    assert refused.exit_code == 1 and "a name the study knows is readable" in refused.output
    assert "Sarah" not in refused.output
    assert not (out / "quotes.csv").exists()
    assert invoke("p1", "3-5", "--words", "I was nervous at first", "--save", "-o", str(out)).exit_code == 0
    rows = bank(out)
    rows.append({**rows[0], "words": "I [Sarah] was nervous at first"})  # typed into the spreadsheet
    with open(out / "quotes.csv", "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    checked = invoke("--check", "-o", str(out))
    assert checked.exit_code == 1 and "moved out of the shareable folder into quotes-held.csv" in checked.output
    assert "Sarah" not in (out / "quotes.csv").read_text(encoding="utf-8-sig")
    assert "I [Sarah] was nervous" in (private / "quotes-held.csv").read_text(encoding="utf-8-sig")
    assert len(bank(out)) == 1
