"""A researcher's first day without surprises (issue 23), one test or more per finding, in the
fast tier: the real command line, batch, folders, key and renderer, with no model (first_day.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from first_day import TYPED, invoke, make_study, no_models, typed


@pytest.fixture(autouse=True)
def without_models(monkeypatch):
    no_models(monkeypatch)


def prose(path: Path) -> str:
    """The words of a numbered transcript, without its header, line numbers and speaker labels."""
    import re

    lines = path.read_text().splitlines()[3:]
    return " ".join(re.sub(r"^\s*\d+\s+(?:\w+:\s+)?", "", line) for line in lines)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- 1. codes are unique per output folder ---------------------------------------------------------


def test_typed_transcripts_without_a_study_file_take_new_codes_and_the_folders_study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_study(tmp_path / "study")
    monkeypatch.chdir(tmp_path / "study")
    run = invoke("run", ".")
    assert run.exit_code == 0, run.output
    shared, private = files(Path("transcripts")), files(Path("transcripts.private"))
    # The README's own example: typed files, no study.toml beside them, from the study folder.
    a, b = typed(Path("typed/a.txt")), typed(Path("typed/b.txt"), "I: Hello, I am Helen.\nAnna: Hello to you.\nI: And then?\nAnna: Then it was spring.\n")
    result = invoke("anonymise", a, b)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("transcripts").glob("p*.txt")) == ["p1.txt", "p2.txt", "p3.txt", "p4.txt", "p5.txt"]
    for name, content in shared.items():  # nothing of the recorded interviews was overwritten
        if name.startswith(("p1.", "p2.", "p3.")):
            assert Path("transcripts", name).read_bytes() == content, name
    for name in ("p1.identifiable.json", "p2.identifiable.json", "p3.identifiable.json"):
        assert Path("transcripts.private", name).read_bytes() == private[name]
    # With the study the output folder was made with: Helen, on its roster, is the interviewer.
    assert "Study file: study.toml (the study file of transcripts)" in result.output
    assert "Helen" not in Path("transcripts/p4.txt").read_text()


def test_a_code_already_given_to_other_content_is_never_given_again(tmp_path):
    out = tmp_path / "transcripts"
    first = invoke("anonymise", typed(tmp_path / "typed" / "a.txt"), "-o", out)
    assert first.exit_code == 0 and (out / "p1.txt").exists(), first.output
    before = (tmp_path / "transcripts.private" / "p1.identifiable.json").read_bytes()
    # Later the researcher writes a study file whose p1 is a recording: p1 is taken, so it is refused.
    study = make_study(tmp_path / "study")
    result = invoke("run", study, "-o", out)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "p1 is already the code of another recording or transcript in" in text
    assert "nothing was overwritten" in text and "Give interview_01.wav another code in" in text
    assert (tmp_path / "transcripts.private" / "p1.identifiable.json").read_bytes() == before
    assert (out / "p2.txt").exists() and (out / "p3.txt").exists()  # the batch carried on


# --- 2. one study per pair of output folders ---------------------------------------------------------


def test_a_run_from_the_parent_folder_does_not_start_a_second_key(tmp_path, monkeypatch):
    make_study(tmp_path / "study")
    monkeypatch.chdir(tmp_path / "study")
    assert invoke("run", ".").exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "study/")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert ("study/study.toml is already the study file of study/transcripts (its key, codes and review file). "
            "Writing into transcripts would start a second key for the same recordings. Add -o study/transcripts "
            "to work on that study, or --new-study to start a separate one in transcripts.") in text
    assert not (tmp_path / "transcripts").exists() and not (tmp_path / "transcripts.private").exists()
    # Said on purpose, it is done, and the study file is named as the researcher would type it.
    again = invoke("run", "study/", "--new-study")
    assert again.exit_code == 0, again.output
    assert "Study file: study/study.toml\n" in again.output
    assert (tmp_path / "transcripts" / "p1.txt").exists()


def test_an_output_folder_keeps_to_its_own_study_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_study(tmp_path / "a")
    assert invoke("run", "a", "-o", "out").exit_code == 0
    other = make_study(tmp_path / "b")
    result = invoke("run", "b", "-o", "out")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert ("out was made with the study file a/study.toml, not b/study.toml: one output folder holds one study's "
            "key and codes. Use --study a/study.toml, or another output folder (-o), or add --new-study") in text
    # The same study file moved (same content) is recognised, and the folder follows it.
    (tmp_path / "a" / "study.toml").rename(tmp_path / "a" / "renamed.toml")
    moved = invoke("run", "a", "--study", "a/renamed.toml", "-o", "out")
    assert moved.exit_code == 0, moved.output
    assert "The study file of out has moved: it is now a/renamed.toml." in moved.output
    assert other.exists()


@pytest.mark.parametrize("command", [["review", "--csv"], ["review", "--no-browser"], ["apply"],
                                     ["export", "--format", "+docx"]])
def test_commands_from_the_wrong_folder_name_the_output_folder_they_meant(tmp_path, monkeypatch, command):
    home = tmp_path / "home"  # the folder above is looked at too: only this test's folders may be there
    make_study(home / "study")
    monkeypatch.chdir(home / "study")
    assert invoke("run", ".").exit_code == 0
    monkeypatch.chdir(home)
    result = invoke(*command)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "no transcripts were made there" in text
    assert ("Output folders found near here: study/transcripts (study file study/study.toml). Give the one you mean "
            "with -o study/transcripts.") in text


# --- 8. withdrawal ---------------------------------------------------------------------------------


def test_a_withdrawn_participant_keeps_their_code_for_mentions_elsewhere(tmp_path):
    study = make_study(tmp_path / "study")
    out = tmp_path / "transcripts"
    assert invoke("run", study, "-o", out).exit_code == 0
    assert "[p1]" in (out / "p2.txt").read_text()  # David mentions Sarah Jones
    # As a researcher withdraws p1: the entry goes, the recording is moved away, the person stays.
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace('[[interviews]]\naudio = "interview_01.wav"\ncodes = ["p1"]\n\n', ""))
    (study / "interview_01.wav").rename(tmp_path / "interview_01.wav")
    result = invoke("run", study, "-o", out)
    assert result.exit_code == 0, result.output
    assert not list(out.glob("p1.*"))  # the withdrawn interview's shareable files are gone
    assert (tmp_path / "transcripts.private" / "p1.identifiable.json").exists()  # its private files stay
    text = " ".join(result.output.split())
    assert ("p1 withdrawn: no longer in the study file: its shareable files were removed (private files kept); the "
            "participant keeps [p1] where other interviews mention them") in text
    p2 = (out / "p2.txt").read_text()
    assert "[p1]" in p2 and "Sarah" not in p2


def test_a_roster_code_that_no_interview_ever_had_is_still_a_mistake(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = make_study(tmp_path / "study")
    toml = study / "study.toml"
    toml.write_text(toml.read_text() + '\n[[people]]\nname = "Ann Lee"\ncode = "p9"\n')
    result = invoke("run", study, "-o", tmp_path / "transcripts")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "study.toml, line 41: person Ann Lee has code 'p9', which no interview uses, here or in transcripts. Give the person the code of their interview" in text


# --- 4. every mark and message true ----------------------------------------------------------------


def test_resuming_an_interrupted_redo_redoes_only_what_was_not_finished(tmp_path, monkeypatch):
    import transcribe.batch
    from first_day import Interrupt

    study, out = make_study(tmp_path / "study"), tmp_path / "transcripts"
    assert invoke("run", study, "-o", out).exit_code == 0
    interrupted = Interrupt(at="interview_02.wav")
    monkeypatch.setattr(transcribe.batch, "transcribe_interview", interrupted)
    stopped = invoke("run", study, "-o", out, "--redo", "recognise")
    assert stopped.exit_code == 130
    resumed = Interrupt()
    monkeypatch.setattr(transcribe.batch, "transcribe_interview", resumed)
    assert invoke("run", study, "-o", out, "--redo", "recognise").exit_code == 0
    assert resumed.calls == [("interview_01.wav", set()), ("interview_02.wav", {"recognise"}),
                             ("interview_03.wav", {"recognise"})]
    text = " ".join(stopped.output.split())  # and the message said so
    assert ("2 recording(s) not finished; run the same command again to resume (the 1 finished with --redo are not "
            "redone).") in text
    # Finished, the next --redo redoes every recording again.
    again = Interrupt()
    monkeypatch.setattr(transcribe.batch, "transcribe_interview", again)
    assert invoke("run", study, "-o", out, "--redo", "recognise").exit_code == 0
    assert all(stages == {"recognise"} for _, stages in again.calls)


def test_init_on_a_folder_without_recordings_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("init", empty)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "There are no recordings in" in text and "so no study.toml was written" in text
    assert "transcribe run" not in text and "p1-p0" not in text
    assert not (empty / "study.toml").exists()
    # Typed transcripts only: they are the interviews, and the next step is anonymise, not run.
    folder = tmp_path / "typed"
    typed(folder / "a.txt"), typed(folder / "b.docx.txt")
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    assert "2 typed transcript(s) as its interviews, codes p1-p2" in result.output
    assert "then run: transcribe anonymise" in result.output and "transcribe run" not in result.output
    import tomllib

    study = tomllib.loads((folder / "study.toml").read_text())
    assert [(i["audio"], i["codes"]) for i in study["interviews"]] == [("a.txt", ["p1"]), ("b.docx.txt", ["p2"])]


def test_a_typed_file_without_speaker_labels_is_refused_and_unlabelled_text_is_named(tmp_path):
    out = tmp_path / "transcripts"
    plain = typed(tmp_path / "plain.txt", "We talked about the group and how it started.\nIt was good.\n")
    result = invoke("anonymise", plain, "-o", out)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "plain.txt has no speaker labels, so who said what cannot be told" in text
    assert not (out / "p1.txt").exists()
    titled = typed(tmp_path / "titled.txt", "Interview with a volunteer\n\n" + TYPED)
    result = invoke("anonymise", titled, "-o", out)
    assert result.exit_code == 0, result.output
    assert ("titled.txt: the text before the first speaker label (4 word(s)) was given to speaker S1; give it a "
            "label, or remove it if it is a title.") in " ".join(result.output.split())


def test_typed_transcripts_without_times_claim_no_duration(tmp_path):
    out = tmp_path / "transcripts"
    assert invoke("anonymise", typed(tmp_path / "a.txt"), "-o", out).exit_code == 0
    header = (out / "p1.txt").read_text().splitlines()[1]
    assert header.startswith("Duration not known (no times in the file), processed ") and "0 min" not in header
    methods = (out / "methods.md").read_text()
    assert "| p1 | no times |" in methods and "typed transcript(s) without times not counted" in methods


def test_a_file_outside_the_study_file_is_told_the_exact_lines_to_add(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_study(tmp_path / "study")
    path = typed(tmp_path / "study" / "typed" / "p4_typed.txt")
    result = invoke("anonymise", path, "--study", "study/study.toml")
    assert result.exit_code == 0, result.output
    lines = '    [[interviews]]\n    audio = "typed/p4_typed.txt"\n    codes = ["p4"]\n'
    assert ("p4_typed.txt is not in the study file; it is p4 for now. To keep it, add these lines to "
            "study/study.toml:\n" + lines) in result.output
    # The lines, added as they are, make it an interview of the study with that code.
    toml = tmp_path / "study" / "study.toml"
    toml.write_text(toml.read_text() + "\n" + lines)
    again = invoke("anonymise", path, "--study", "study/study.toml")
    assert again.exit_code == 0 and "not in the study file" not in again.output, again.output
    assert "p4" in again.output and Path("transcripts/p4.txt").exists()


def test_a_reflow_message_names_its_real_cause_and_lines(tmp_path):
    study, out = make_study(tmp_path / "study"), tmp_path / "transcripts"
    assert invoke("run", study, "-o", out).exit_code == 0
    assert "[Organisation]" in (out / "p1.txt").read_text()  # "scheme", a guess of the language model
    # The researcher says never to replace it (Shift+N in the studio adds it to the allow list).
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace('allow = ["WellTogether"]', 'allow = ["WellTogether", "scheme"]'))
    result = invoke("apply", "-o", out)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("p1 done: 4 identifier(s) found, 1 to check first; line numbers changed from line 2 on (an identifier no "
            "longer replaced (never replace, or the allow list) re-flowed lines 2-3 and 6, so the lines after them "
            "moved: 1 line(s) fewer in all); check citations of those lines") in text, text
    assert "newly found" not in text


# --- 5. every command ends with what it did and what to do next ------------------------------------


def test_run_and_export_end_with_what_they_did_and_the_next_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_study(tmp_path / "study")
    run = invoke("run", "study")
    assert run.exit_code == 0, run.output
    tail = run.output.split("Finished 3 of 3 recording(s):")[1]
    assert "p1     interview_01.wav: done: 6 identifier(s) found, 1 to check first" in tail
    assert "Shareable transcripts: transcripts/   Identifiable files and the key: transcripts.private/" in tail
    assert "16 identifier(s) found in 3 interview(s), 1 to check first." in tail
    assert tail.rstrip().splitlines()[-1].startswith(
        'Next: transcribe review   (check the 1 item(s) marked "check first", then Render all), then share transcripts/')
    export = invoke("export", "--format", "+docx")
    assert export.exit_code == 0, export.output
    assert "Wrote in transcripts/:" in export.output
    assert "  p1.docx p2.docx p3.docx" in export.output
    assert export.output.rstrip().splitlines()[-1].startswith("Next: transcribe review")


def test_the_top_level_help_describes_review_as_it_is():
    text = invoke("--help").output
    line = next(line for line in text.splitlines() if "transcribe review" in line)
    assert "browser" in line and "review.csv" not in line


# --- 3. the study key holds only people and what is sure ------------------------------------------


def key_originals(private: Path) -> dict[str, str]:
    import csv

    with open(private / "key.csv", newline="", encoding="utf-8-sig") as f:
        return {row["original"]: row["replacement"] for row in csv.DictReader(f)}


def test_one_off_guesses_stay_in_their_line_until_accepted(tmp_path):
    study, out, private = make_study(tmp_path / "study"), tmp_path / "transcripts", tmp_path / "transcripts.private"
    assert invoke("run", study, "-o", out).exit_code == 0
    key = key_originals(private)
    assert "together" not in key and "brother" not in key  # an ordinary word guessed, an unsure guess
    assert key["plefton"] == "[Place 1]"  # a sure guess that is no ordinary word: study-wide
    assert "[Name] we walk" in prose(out / "p2.txt")  # replaced where it stands, without a number
    # The ordinary word is not made a name anywhere else: nothing about it to check in p3.
    assert "together" in (out / "p3.txt").read_text()
    review = (private / "review.csv").read_text(encoding="utf-8-sig")
    assert not [row for row in review.splitlines() if row.startswith("check first,p3") and "together" in row]
    # Accepted by the researcher, it enters the key and takes a number.
    rows = review.splitlines()
    row = next(r for r in rows if ",p2," in r and ",Together," in r)
    (private / "review.csv").write_text("\n".join(r if r != row else r.replace(",,t", ",accept,t") for r in rows) + "\n",
                                        encoding="utf-8-sig")
    assert invoke("apply", "-o", out).exit_code == 0
    assert key_originals(private)["together"] == "[Name 1]"
    assert "[Name 1] we walk" in prose(out / "p2.txt")


@pytest.mark.parametrize("where", ["allow", "vocabulary"])
def test_allowed_and_vocabulary_names_match_with_a_space_or_in_any_case(tmp_path, where):
    study, out = make_study(tmp_path / "study"), tmp_path / "transcripts"
    toml = study / "study.toml"
    other = "vocabulary" if where == "allow" else "allow"
    toml.write_text(toml.read_text().replace(f'{other} = ["WellTogether"]', f"{other} = []"))
    assert invoke("run", study, "-o", out).exit_code == 0
    assert "The Well Together group" in prose(out / "p2.txt")


def test_compound_names_match_however_they_are_spaced():
    from transcribe.anonymise.recognizers.phrases import compound_regex

    pattern = compound_regex("WellTogether")
    for text in ("Well Together", "well together", "welltogether", "WELL-TOGETHER", "at WellTogether."):
        assert pattern.search(text), text
    for text in ("well, together", "farewell together", "welltogetherness"):
        assert not pattern.search(text), text

