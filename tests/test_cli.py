"""The whole command line on the demo interviews, through Click's CliRunner, with the real models."""

from __future__ import annotations

import json
import re
import shutil

from click.testing import CliRunner
from conftest import SAMPLES, wer

from transcribe.cli import cli
from transcribe.transcript import Transcript

LINE = re.compile(r"^\s*(\d+)  (\S+:)?\s*(.*)$")


def numbered_lines(text: str) -> list[tuple[int, str | None, str]]:
    body = text.split("\n\n", 1)[1]
    rows = []
    for line in body.splitlines():
        if line.startswith("Note:") or not line.strip():
            continue
        match = LINE.match(line)
        assert match, f"not a numbered line: {line!r}"
        rows.append((int(match.group(1)), match.group(2), match.group(3)))
    return rows


def test_numbered_text_for_each_interview(study_run):
    out, _, _ = study_run
    for code in ("p1", "p2", "p3"):
        text = (out / f"{code}.txt").read_text()
        rows = numbered_lines(text)
        assert [n for n, _, _ in rows] == list(range(1, len(rows) + 1))  # consecutive from 1
        assert all(len(line) <= 80 for line in text.splitlines())
        assert {label for _, label, _ in rows if label} == {"I:", f"{code}:"}  # both speakers appear
        assert rows[0][1] == "I:"  # the interviewer opens the interview


def test_transcript_matches_what_was_said(study_run):
    _, private, _ = study_run
    for number in (1, 2, 3):
        transcript = Transcript.from_json((private / f"p{number}.identifiable.json").read_text())
        reference = (SAMPLES / "truth" / f"interview_0{number}.txt").read_text()
        hypothesis = " ".join(turn.text for turn in transcript.turns)
        assert wer(reference, hypothesis) <= 0.15


def test_json_round_trips(study_run):
    out, private, _ = study_run
    for path in [out / "p1.json", private / "p1.identifiable.json"]:
        data = json.loads(path.read_text())
        assert Transcript.from_dict(data).to_dict(drop_empty_words=True) == data
        assert data["schema_version"] == 1
        assert data["models"]["recognition"]["name"] == "tiny.en"
        assert "format" in data["audio"]
        assert ("sha256" in data["audio"]) == (path.parent == private)  # no recording hash in a shareable file
        assert all({"text", "start", "end", "probability"} <= set(w) for t in data["turns"] for w in t["words"])


def test_identifiable_and_shareable_texts_share_line_numbers(study_run):
    out, private, _ = study_run
    shared = numbered_lines((out / "p1.txt").read_text())
    identifiable = numbered_lines((private / "p1.identifiable.txt").read_text())
    assert [(n, label) for n, label, _ in shared] == [(n, label) for n, label, _ in identifiable]
    assert "Sarah" in " ".join(t for _, _, t in identifiable)
    assert "Sarah" not in " ".join(t for _, _, t in shared)


def test_rerun_reuses_every_stage_and_gives_identical_outputs(study_run, tmp_path):
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, copy.with_name("transcripts.private"))
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(copy), "--format", "all", "-v", "--new-study"])
    assert result.exit_code == 0, result.output
    assert result.output.count("reused from the cache") == 6  # diarisation + recognition, three interviews
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before
