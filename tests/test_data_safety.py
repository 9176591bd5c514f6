"""Data safety, as an ordinary user and an attacker would test it (issue 10).

Recordings and the researcher's own files survive every failure path byte for byte; every
shareable format stays current; spreadsheet-saved key and review files are read or refused with
the row named, never erased; study-file mistakes, links, special files, a foreign private folder,
a really full disk and `-o .` each give a message; nothing goes online; a damaged or edited cache
never bypasses anonymisation. Built on the session's real run of the samples: the stage cache is
copied, so no test here runs diarisation or recognition again.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audio_files import encode
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe.audio import SAMPLE_RATE, decode
from transcribe.cli import cli
from transcribe.storage import output_lock
from transcribe.writers import WRITERS

ROSTER = ("Sarah", "Jones", "Okafor", "Margaret", "Wilson", "Helen", "Carter", "Priya", "Patel")


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def invoke_without_spacy(*args: str):
    """The CLI as on a machine where the spaCy model is missing: anonymisation cannot run."""
    import transcribe.anonymise.detect as detect
    from transcribe.anonymise.languages import ENGLISH
    from transcribe.errors import TranscribeError

    def missing(self, config):
        raise TranscribeError(f"The spaCy model {ENGLISH.spacy_model} is not installed; anonymisation needs it.")

    real = detect.Detector.__init__
    detect.Detector.__init__ = missing
    try:
        return invoke(*args)
    finally:
        detect.Detector.__init__ = real


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def shareable_text(folder: Path) -> str:
    """Every shareable file's text (docx included) in one string."""
    import docx

    parts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".docx":
            document = docx.Document(path)
            parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
            parts += [p.text for p in document.paragraphs]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8-sig"))
    return "\n".join(parts)


@pytest.fixture
def study(study_run, tmp_path):
    """The demo study with recordings named by code (p1.flac…), its stage cache from the session run."""
    _, private, _ = study_run
    folder = tmp_path / "rec"
    folder.mkdir()
    text = (SAMPLES / "study.toml").read_text()
    for n in (1, 2, 3):
        shutil.copy(SAMPLES / f"interview_0{n}.flac", folder / f"p{n}.flac")
        text = text.replace(f"interview_0{n}.flac", f"p{n}.flac")
    (folder / "study.toml").write_text(text)
    return folder, private / "cache"


def run_into(study, out: Path, *extra: str):
    folder, cache = study
    private = out.with_name(out.name + ".private")
    if not (private / "cache").exists():
        private.mkdir(mode=0o700, exist_ok=True)
        shutil.copytree(cache, private / "cache")
    result = invoke("run", folder, "-o", out, *extra)
    return result, private


# --- 1. never delete what the tool did not write ---------------------------------------------


def test_output_in_the_recordings_folder_never_touches_recordings_or_user_files(study):
    folder, _ = study
    (folder / "p1.coding-memo.docx").write_bytes(b"my own notes")
    (folder / "p2.txt.bak").write_text("mine")
    result, private = run_into(study, folder, "--format", "all")
    assert result.exit_code == 0, result.output
    before = {name: data for name, data in snapshot(folder).items() if name.endswith((".flac", "memo.docx", ".bak", ".toml"))}
    assert len(before) == 6

    # A failing apply: the study changed, so detection must run again, and it cannot (the spaCy
    # model is gone): every interview fails closed.
    study_file = folder / "study.toml"
    study_file.write_text(study_file.read_text() + '\n[[people]]\nname = "Imogen Small"\n')
    failed = invoke_without_spacy("apply", "-o", folder)
    assert failed.exit_code == 1 and "no shareable output" in failed.output
    after = snapshot(folder)
    for name, data in before.items():
        if name != "study.toml":
            assert after[name] == data, f"{name} was changed or deleted"
    assert not (folder / "p1.txt").exists() and not (folder / "p1.docx").exists()  # its own files: removed

    # A short row in review.csv: refused before anything is touched.
    review = private / "review.csv"
    lines = review.read_text(encoding="utf-8-sig").splitlines()
    review.write_text("\n".join(lines[:3] + ["p1,3,cut"] + lines[3:]) + "\n", encoding="utf-8")
    saved = review.read_bytes()
    broken = invoke("apply", "-o", folder)
    assert broken.exit_code == 1 and "review.csv, line 4" in broken.output and "Traceback" not in broken.output
    assert review.read_bytes() == saved
    assert all(snapshot(folder)[name] == data for name, data in before.items() if name != "study.toml")


def test_output_inside_the_recordings_folder_is_safe(study):
    folder, _ = study
    result, private = run_into(study, folder / "transcripts")
    assert result.exit_code == 0, result.output
    assert (folder / "transcripts" / "p1.txt").is_file() and private.parent == folder
    again = invoke("run", folder, "-o", folder / "transcripts")  # the outputs are not taken for recordings
    assert again.exit_code == 0 and "Finished 3 of 3 recording(s)" in again.output, again.output


def test_a_transcript_the_researcher_edited_is_never_overwritten_or_removed(study, tmp_path):
    out = tmp_path / "t"
    result, _ = run_into(study, out)
    assert result.exit_code == 0, result.output
    (out / "p2.txt").write_text("my corrected transcript")
    again = invoke("apply", "-o", out)
    assert again.exit_code == 1 and "p2.txt" in again.output and "not written by transcribe" in again.output
    assert (out / "p2.txt").read_text() == "my corrected transcript"


# --- 2. every shareable file current ----------------------------------------------------------


def test_every_format_is_brought_up_to_date_by_any_command(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out, "--format", "all")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(private / "review.csv", encoding="utf-8-sig")))
    target = next(r for r in rows if r["interview"] == "p1" and r["category"] == "place")
    target["decision"] = "[Somewhere]"
    with open(private / "review.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    exported = invoke("export", out, "--format", "txt")
    assert exported.exit_code == 0, exported.output
    p1_files = sorted(p for p in out.iterdir() if p.name.startswith("p1."))
    assert len(p1_files) == len(WRITERS)  # every format of the interview, not only the txt asked for
    for path in p1_files:
        assert "Somewhere" in shareable_text_of(path), f"{path.name} is stale"
    rerun = invoke("run", study[0], "-o", out)  # the default formats: still every format current
    assert rerun.exit_code == 0 and len([p for p in out.iterdir() if p.name.startswith("p1.")]) == len(WRITERS)


def shareable_text_of(path: Path) -> str:
    folder = path.parent / f".one-{path.name}"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    try:
        return shareable_text(folder)
    finally:
        shutil.rmtree(folder)


def test_a_withdrawn_interview_loses_its_shareable_files(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out, "--format", "txt,docx")
    assert result.exit_code == 0, result.output
    study_file = study[0] / "study.toml"
    text = study_file.read_text()
    study_file.write_text(text.replace('[[interviews]]\naudio = "p3.flac"\ncodes = ["p3"]\nspeakers = 2\n', "")
                          .replace('code = "p3"', 'role = "other"'))
    applied = invoke("apply", "-o", out)
    assert applied.exit_code == 0, applied.output
    assert "withdrawn" in applied.output and "p3" in applied.output
    assert not any(p.name.startswith("p3.") for p in out.iterdir())
    assert (private / "p3.identifiable.json").is_file()  # nothing private is lost
    assert "p3" not in (out / "methods.md").read_text()


# --- 3. key and review files from a spreadsheet ------------------------------------------------


def rewrite_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8", change=None) -> None:
    rows = list(csv.reader(open(path, encoding="utf-8-sig", newline="")))
    if change:
        change(rows)
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\r\n").writerows(rows)


def test_review_saved_by_excel_with_semicolons_in_cp1252_keeps_every_decision(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out)
    assert result.exit_code == 0, result.output
    review = private / "review.csv"
    header = next(csv.reader(open(review, encoding="utf-8-sig")))
    decision = header.index("decision")

    def decide(rows):
        rows[1][decision] = "Lieu privé"  # a replacement with an accent, as cp1252 holds it

    rewrite_csv(review, ";", "cp1252", decide)
    applied = invoke("apply", "-o", out)
    assert applied.exit_code == 0, applied.output
    assert "Lieu privé" in shareable_text(out)
    again = review.read_bytes()
    assert again.startswith("\ufeff".encode()) and b";" in again.splitlines()[0]  # BOM for Excel, its delimiter kept
    rows = list(csv.reader(open(review, encoding="utf-8-sig"), delimiter=";"))
    assert sum(1 for r in rows[1:] if r[decision] == "Lieu privé") == 1, "the decision was lost"


def test_bom_key_is_read_and_a_bad_key_row_is_named(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out)
    assert result.exit_code == 0, result.output
    key = private / "key.csv"
    rewrite_csv(key, ",", "utf-8-sig")
    assert invoke("apply", "-o", out).exit_code == 0
    before = snapshot(out)

    def empty_original(rows):
        rows[5][2] = ""

    rewrite_csv(key, change=empty_original)
    broken = invoke("apply", "-o", out)
    assert broken.exit_code == 1 and "key.csv, line 6: the original cell is empty" in broken.output
    assert snapshot(out) == before  # nothing emptied


def test_a_missing_or_shrunken_key_is_refused_with_how_to_restore_it(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out)
    assert result.exit_code == 0, result.output
    assert invoke("apply", "-o", out).exit_code == 0  # a second save keeps the first in key-history/
    before = snapshot(out)
    (private / "key.csv").unlink()
    refused = invoke("apply", "-o", out)
    assert refused.exit_code == 1 and "key.csv is missing" in refused.output and "key-history" in refused.output
    assert snapshot(out) == before
    history = sorted((private / "key-history").glob("key-*.csv"))
    assert history and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in history)
    shutil.copy(history[-1], private / "key.csv")  # what the message says to do
    assert invoke("apply", "-o", out).exit_code == 0

    rewrite_csv(private / "key.csv", change=lambda rows: rows.pop())  # a row deleted by hand
    shrunk = invoke("run", study[0], "-o", out)
    assert shrunk.exit_code == 1 and "key.csv no longer has" in shrunk.output


# --- 5. locks, folders and special files --------------------------------------------------------


@pytest.fixture
def clip(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    encode(decode(SAMPLES / "interview_01.flac").samples[7 * SAMPLE_RATE: 17 * SAMPLE_RATE], folder / "clip.wav")
    return folder


def test_the_lock_is_never_opened_through_a_link(tmp_path, clip):
    private = tmp_path / "t.private"
    private.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (private / "run.lock").symlink_to(victim)
    result = invoke("run", clip, "-o", tmp_path / "t")
    assert result.exit_code == 1 and "is a link" in result.output
    assert victim.read_text() == "precious"


def test_two_runs_through_a_linked_path_share_one_lock(tmp_path, clip):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    private = tmp_path / "real.private"
    private.mkdir(mode=0o700)
    with output_lock(private):
        result = invoke("run", clip, "-o", tmp_path / "link")
    assert result.exit_code == 1 and "Another transcribe run" in result.output


def test_a_private_folder_of_another_user_is_refused(tmp_path, clip):
    private = tmp_path / "t.private"
    private.mkdir(mode=0o700)
    os.chown(private, 12345, 12345)
    result = invoke("run", clip, "-o", tmp_path / "t")
    assert result.exit_code == 1 and "belongs to another user" in result.output


def test_pipes_and_devices_are_skipped_with_a_reason(tmp_path, clip, study_run):
    os.mkfifo(clip / "pipe.wav")
    (clip / "zero.wav").symlink_to("/dev/zero")
    process = subprocess.run([sys.executable, "-c", BLOCKED_RUN, "run", str(clip), "-o", str(tmp_path / "t")],
                             capture_output=True, text=True, timeout=300, env=os.environ)
    assert process.returncode == 1, process.stderr
    assert "pipe.wav: failed: pipe.wav is a named pipe" in process.stderr
    assert "zero.wav: failed: zero.wav is a device" in process.stderr
    assert "clip.wav: done" in process.stderr


def test_a_really_full_disk_stops_with_a_message_and_the_summary(tmp_path, clip):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], check=True)
    try:
        result = invoke("run", clip, "-o", mount / "t")
        assert result.exit_code == 1, result.output
        assert "the disk is full" in result.output and "unexpected error" not in result.output
        assert "run the same command again" in result.output
        assert not list(mount.rglob(".tmp-*"))
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_output_dot_works(tmp_path, clip, monkeypatch, study_run):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", clip, "-o", ".")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p1.txt").is_file() and (tmp_path.with_name(tmp_path.name + ".private") / "key.csv").is_file()


# --- 6. offline means offline --------------------------------------------------------------------

BLOCKED_RUN = """
import socket, sys
def refuse(*args, **kwargs):
    sys.stderr.write("NETWORK ATTEMPT\\n"); raise OSError("network blocked by the test")
socket.getaddrinfo = refuse
socket.socket.connect = refuse
sys.argv = ["transcribe", *sys.argv[1:]]
from transcribe.cli import main
main()
"""


@pytest.mark.slow
def test_a_pipeline_folder_that_needs_the_hub_is_refused_even_with_the_hub_online(tmp_path, clip):
    pipeline = tmp_path / "pipeline"
    pipeline.mkdir()
    (pipeline / "config.yaml").write_text(
        "pipeline:\n  name: pyannote.audio.pipelines.SpeakerDiarization\n  params:\n"
        "    segmentation: pyannote/segmentation-3.0\n    embedding: pyannote/wespeaker-voxceleb-resnet34-LM\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}
    process = subprocess.run([sys.executable, "-c", BLOCKED_RUN, "run", str(clip), "-o", str(tmp_path / "t"),
                              "--diarisation-pipeline", str(pipeline)],
                             capture_output=True, text=True, timeout=300, env=env)
    assert "NETWORK ATTEMPT" not in process.stderr
    assert process.returncode == 1
    assert "pyannote/segmentation-3.0" in process.stderr and "never goes online" in process.stderr


# --- 7. a damaged cache never bypasses anonymisation ---------------------------------------------


def test_damaged_or_forged_cache_entries_never_leak_names(study, tmp_path):
    out = tmp_path / "t"
    result, private = run_into(study, out)
    assert result.exit_code == 0, result.output
    good = snapshot(out)
    for entry in (private / "cache").rglob("diarise-*.json"):  # right JSON, wrong shape
        entry.write_text(json.dumps({"checksum": "x", "data": {"turns": "nonsense"}}))
    for entry in (private / "cache").rglob("detect-*.json"):  # detections emptied by hand
        record = json.loads(entry.read_text())
        record["data"]["found"] = []
        entry.write_text(json.dumps(record))
    rerun = invoke("run", study[0], "-o", out)
    assert rerun.exit_code == 0, rerun.output
    assert snapshot(out) == good  # recomputed: the same anonymised files

    from transcribe.cache import StageCache

    for entry in (private / "cache").rglob("detect-*.json"):  # forged: emptied, with a valid checksum
        data = {"found": []}
        entry.write_text(json.dumps({"checksum": StageCache.checksum(data), "data": data}))
    forged = invoke("apply", "-o", out)
    assert forged.exit_code == 0, forged.output
    text = shareable_text(out)
    leaked = [name for name in ROSTER if name in text]
    assert leaked == [], f"roster names readable after a forged cache: {leaked}"
