"""Transcripts made elsewhere: read by speaker label, anonymised with the study's key and outputs."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe.cli import cli
from transcribe.importers import cues_from_lines, import_transcript

TRUTH = json.loads((SAMPLES / "truth" / "interview_01.json").read_text())
WHO = {"helen_carter": "Helen", "sarah_jones": "Sarah"}


def stamp(seconds: float, sep: str = ",") -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def write_txt(path: Path) -> Path:
    # Typed by hand: first names as labels, a continuation paragraph, a time mark in running text.
    lines = []
    for i, turn in enumerate(TRUTH["turns"]):
        text = turn["text"]
        if i == 1:
            half = len(text) // 2
            cut = text.index(" ", half)
            lines += [f"{WHO[turn['speaker']]}: {text[:cut]}", text[cut + 1:]]
        else:
            lines.append(f"[{stamp(turn['start'], '.')[:8]}] {WHO[turn['speaker']]}: {text}")
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("Interview transcript")  # a title before the first turn
    for turn in TRUTH["turns"]:
        label = "Interviewer" if turn["speaker"] == "helen_carter" else "Respondent"
        document.add_paragraph(f"{label}: {turn['text']}")
    document.save(str(path))
    return path


def write_srt(path: Path) -> Path:
    # As subtitle tools write it: cues of a few seconds, the label only where the speaker changes.
    blocks, n = [], 0
    for turn in TRUTH["turns"]:
        words = turn["text"].split()
        chunks = [words[i:i + 8] for i in range(0, len(words), 8)]
        step = (turn["end"] - turn["start"]) / len(chunks)
        for k, chunk in enumerate(chunks):
            n += 1
            start = turn["start"] + k * step
            text = " ".join(chunk)
            if k == 0:
                text = f"{'SPEAKER_00' if turn['speaker'] == 'helen_carter' else 'SPEAKER_01'}: {text}"
            blocks.append(f"{n}\n{stamp(start)} --> {stamp(start + step)}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_labels_start_turns_and_running_text_is_not_a_label():
    cues = cues_from_lines([
        "Helen: So how did it start?",
        "Sarah: He said: come along, and I went.",
        "It was in March.",
        "Helen: And then?",
        "Sarah: Then it got better.",
    ])
    assert [c.speaker for c in cues] == ["Helen", "Sarah", "Helen", "Sarah"]
    assert cues[1].text == "He said: come along, and I went. It was in March."


def test_a_label_alone_on_its_line_and_vtt_voices(tmp_path):
    cues = cues_from_lines(["Interviewer:", "How are you?", "", "P1:", "Fine, thanks."])
    assert [(c.speaker, c.text) for c in cues] == [("Interviewer", "How are you?"), ("P1", "Fine, thanks.")]
    vtt = tmp_path / "a.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n<v Helen>How are you?\n\n"
                   "00:00:04.000 --> 00:00:06.000\n<v Sarah>Fine, <i>thanks</i>.\n")
    imported = import_transcript(vtt, "p7")
    t = imported.transcript
    assert [(turn.speaker, turn.text) for turn in t.turns] == [("I", "How are you?"), ("p7", "Fine, thanks.")]
    assert t.turns[1].start == 4.0 and t.turns[1].end == 6.0 and t.turns[1].words[0].start == 4.0
    assert imported.labels == {"Helen": "I", "Sarah": "p7"}


@pytest.mark.parametrize("writer", [write_txt, write_docx, write_srt])
def test_each_format_reads_the_truth_back(tmp_path, writer):
    path = writer(tmp_path / f"interview.{writer.__name__[6:]}")
    t = import_transcript(path, "p9").transcript
    spoken = [turn for turn in t.turns if turn.speaker in ("I", "p9")]
    assert [turn.speaker for turn in spoken] == ["I" if x["speaker"] == "helen_carter" else "p9" for x in TRUTH["turns"]]
    for turn, truth in zip(spoken, TRUTH["turns"]):
        assert turn.text == truth["text"]
        assert [w.text.strip() for w in turn.words] == truth["text"].split()  # one Word per token
    assert "Sarah" not in json.dumps(t.speakers) and "Helen" not in json.dumps([x.raw_speaker for x in t.turns])


def cli_copy(study_run, tmp_path) -> Path:
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, copy.with_name("transcripts.private"))
    return copy


def key_rows(private: Path) -> dict[str, str]:
    with open(private / "key.csv", newline="", encoding="utf-8-sig") as f:
        return {row["original"]: row["replacement"] for row in csv.DictReader(f)}


def test_anonymise_shares_the_study_key_with_recorded_interviews(study_run, tmp_path):
    out = cli_copy(study_run, tmp_path)
    private = out.with_name("transcripts.private")
    before = key_rows(private)
    files = tmp_path / "typed"
    files.mkdir()
    paths = [write_txt(files / "sarah_again.txt"), write_docx(files / "sarah_docx.docx"), write_srt(files / "sarah.srt")]
    result = CliRunner().invoke(cli, ["anonymise", *map(str, paths), "-o", str(out), "--study",
                                      str(SAMPLES / "study.toml"), "--format", "+docx"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 3 of 3 transcript(s):" in result.output
    codes = re.findall(r"^\s+(p\d+)\s+sarah", result.output, flags=re.M)
    assert codes == ["p4", "p5", "p6"]  # after the study's p1-p3, in codes.json with the recordings
    after = key_rows(private)
    assert {k: v for k, v in after.items() if k in before} == before  # recorded interviews' entries unchanged
    for code in codes:
        text = (out / f"{code}.txt").read_text()
        for name in ("Sarah", "Helen", "Tom", "Priya", "Lewisham", "Riverside Surgery"):
            assert name not in text, (code, name)
        assert (out / f"{code}.docx").exists() and (out / f"{code}.json").exists()
        # Same people, same placeholders as in the recorded interview p1.
        assert after["tom"] in text
        assert after["tom"] == before["tom"] and after["lewisham"] == before["lewisham"]
        identifiable = (private / f"{code}.identifiable.txt").read_text()
        assert "Lewisham" in identifiable
        assert [ln[:8] for ln in text.splitlines() if re.match(r"^\s*\d+  ", ln)] == \
               [ln[:8] for ln in identifiable.splitlines() if re.match(r"^\s*\d+  ", ln)]  # same line numbers
    review = (private / "review.csv").read_text(encoding="utf-8-sig")
    assert all(code in review for code in codes)
    # A second run finds the same files by content and keeps their codes; apply re-renders them.
    again = CliRunner().invoke(cli, ["anonymise", *map(str, paths), "-o", str(out), "--study", str(SAMPLES / "study.toml")])
    assert re.findall(r"^\s+(p\d+)\s+sarah", again.output, flags=re.M) == codes
    applied = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert applied.exit_code == 0, applied.output
    assert all(code in applied.output for code in codes)


def test_anonymise_refuses_other_files(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(cli, ["anonymise", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "transcripts are read from .txt, .docx, .srt, .vtt" in result.output
    assert not (tmp_path / "out").exists()


def test_header_and_methods_say_the_transcript_was_imported(tmp_path):
    from transcribe.layout import layout
    from transcribe.methods import methods_record
    from transcribe.writers import Document

    t = import_transcript(write_txt(tmp_path / "a.txt"), "p9").transcript
    header = Document(t, layout([t], 80, False)[0]).header()
    assert header[1].endswith("imported from a txt transcript") and "Whisper" not in header[1]
    record = methods_record([t], {})
    assert "1 interview transcript(s) made elsewhere (txt files) were imported" in record
    assert "recording(s)" not in record and "Whisper" not in record
