"""The demo study end to end: placeholders across interviews, roles, review and apply, export,
inline flags and the methods record. Built on one real run of the samples (session fixture);
re-runs reuse its cache, and the commands that must not run a model are checked to load none."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from audio_files import encode
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe.audio import SAMPLE_RATE, decode
from transcribe.cli import cli
from transcribe.folders import Folders
from transcribe.study import load_study
from transcribe.transcript import Transcript


@pytest.fixture
def study_copy(study_run, tmp_path):
    """The demo study (audio and study file) and a copy of its finished run, to change."""
    out, private, _ = study_run
    folder = tmp_path / "study"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("truth", "*.py", "SOURCE.txt"))
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, tmp_path / "transcripts.private")
    # The copy belongs to the copied study file, as if the researcher had moved the whole study.
    folders = Folders.of(copy)
    folders.write_last_run(folder / "study.toml", folders.read_last_run().output)
    return folder, copy, tmp_path / "transcripts.private"


@pytest.fixture
def no_models(monkeypatch):
    """Make loading any model fail, to prove a command runs none."""
    import transcribe.anonymise.detect
    import transcribe.asr
    import transcribe.diarise

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    for cls in (transcribe.asr.SpeechRecogniser, transcribe.diarise.Diariser, transcribe.anonymise.detect.Detector):
        monkeypatch.setattr(cls, "__init__", refuse)


def text_lines(path: Path) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\s*(\d+)  (.*)$", path.read_text(), re.M)}


def test_every_planted_name_and_place_is_replaced_as_the_study_says(study_run):
    out, _, _ = study_run
    p1, p2, p3 = ((out / f"p{n}.txt").read_text() for n in (1, 2, 3))
    assert "my name is [p1]" in p1.lower()
    assert "[I]" in p1 and "[I]" in p2 and "[I]" in p3  # the interviewer is named in each
    assert "[p1]" in p2  # Sarah Jones, participant p1, mentioned in interview p2: her code there too
    assert "[p2]" in p2 and "[p3]" in p3
    assert "WellTogether" in p3 or "well together" in p3.lower()  # the allow list keeps the scheme's name
    for text in (p1, p2, p3):
        assert "[Place " in text


def test_the_same_entity_gets_the_same_placeholder_in_every_interview(study_run):
    _, private, _ = study_run
    rows = list(csv.DictReader(open(private / "key.csv", encoding="utf-8-sig")))
    by_original = {(r["category"], r["original"]): r["replacement"] for r in rows}
    tom = by_original[("person", "tom")]
    texts = {n: (private.parent / "transcripts" / f"p{n}.txt").read_text() for n in (1, 3)}
    assert tom in texts[1] and tom in texts[3]  # Tom in p1 and p3: one placeholder
    replacements = [r["replacement"] for r in rows]
    numbers = [int(m.group(1)) for r in replacements if (m := re.match(r"\[Name (\d+)\]", r))]
    assert sorted(set(numbers)) == list(range(1, max(numbers) + 1))  # numbered without gaps


def test_adding_an_interview_later_keeps_earlier_numbering(study_run, study_copy):
    folder, _, _ = study_copy
    out, _, _ = study_run
    fresh = folder.parent / "later" / "transcripts"
    # First the study without its third interview (same people and vocabulary, so the same prompt).
    (folder / "interview_03.flac").rename(folder.parent / "interview_03.flac")
    study = (folder / "study.toml").read_text()
    without = re.sub(r'\[\[interviews\]\]\naudio = "interview_03.flac"\n.*?\n\n', "", study, flags=re.S)
    (folder / "study.toml").write_text(without.replace('code = "p3"\n', ""))
    fresh.with_name("transcripts.private").mkdir(mode=0o700, parents=True)
    shutil.copytree(out.with_name("transcripts.private") / "cache", fresh.with_name("transcripts.private") / "cache")
    # A separate output folder for the same study file: a study of its own, said with --new-study.
    first = CliRunner().invoke(cli, ["run", str(folder), "-o", str(fresh), "--new-study"])
    assert first.exit_code == 0, first.output
    assert not (fresh / "p3.txt").exists()
    # Then the whole study.
    (folder.parent / "interview_03.flac").rename(folder / "interview_03.flac")
    shutil.copy(SAMPLES / "study.toml", folder / "study.toml")
    later = CliRunner().invoke(cli, ["run", str(folder), "-o", str(fresh)])
    assert later.exit_code == 0, later.output
    for code in ("p1", "p2"):
        assert (fresh / f"{code}.txt").read_text() == (out / f"{code}.txt").read_text()
    assert "[p3]" in (fresh / "p3.txt").read_text()


def test_review_then_apply_changes_exactly_the_decided_places_without_a_model(study_copy, no_models):
    _, out, private = study_copy
    before = {n: text_lines(out / f"p{n}.txt") for n in (1, 2, 3)}
    rows = list(csv.DictReader(open(private / "review.csv", encoding="utf-8-sig")))
    reject = next(r for r in rows if r["interview"] == "p1" and r["category"] == "place")
    change = next(r for r in rows if r["interview"] == "p2" and r["category"] == "person" and r["proposed"].startswith("[Name"))
    reject["decision"], change["decision"] = "reject", "[wife]"
    with open(private / "review.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert result.exit_code == 0, result.output
    after = {n: text_lines(out / f"p{n}.txt") for n in (1, 2, 3)}
    assert after[3] == before[3]
    changed = {(n, line) for n in (1, 2) for line in before[n] if before[n][line] != after[n][line]}
    assert (1, int(reject["line"])) in changed and (2, int(change["line"])) in changed
    assert reject["text"] in after[1][int(reject["line"])]
    assert "[wife]" in after[2][int(change["line"])]
    # Only the lines holding a decided detection changed; no line moved.
    assert changed == {(1, int(reject["line"])), (2, int(change["line"]))}
    summary = CliRunner().invoke(cli, ["review", "--csv", "-o", str(out)])
    assert "2 with a decision" in summary.output


def test_export_renders_other_formats_from_the_cache_without_a_model(study_copy, no_models):
    _, out, _ = study_copy
    for path in out.glob("p*.srt"):
        path.unlink()
    result = CliRunner().invoke(cli, ["export", str(out), "--format", "srt,txt", "--timestamps"])
    assert result.exit_code == 0, result.output
    assert all((out / f"p{n}.srt").exists() for n in (1, 2, 3))
    assert re.search(r"^\s+1  I:\s+\[00:00:0\d\] ", (out / "p1.txt").read_text(), re.M)


def test_roles_by_heuristic_on_the_samples(study_run):
    _, private, _ = study_run
    for n in (1, 2, 3):
        transcript = Transcript.from_json((private / f"p{n}.identifiable.json").read_text())
        truth = json.loads((SAMPLES / "truth" / f"interview_0{n}.json").read_text())
        assert transcript.roles["method"] == "heuristic" and not transcript.roles["low_confidence"]
        assert_labels_match_truth(transcript, truth, {"helen_carter": "I"})


def assert_labels_match_truth(transcript: Transcript, truth: dict, expected: dict[str, str]) -> None:
    """Most words spoken in each true turn carry the label expected for that speaker."""
    for turn in truth["turns"]:
        label = expected.get(turn["speaker"], transcript.code)
        inside = [t.speaker for t in transcript.turns for w in t.words if turn["start"] <= (w.start + w.end) / 2 <= turn["end"]]
        assert inside and inside.count(label) / len(inside) > 0.8, (turn["speaker"], label, set(inside))


def test_roles_by_enrolled_voice_and_a_wrong_override_is_honoured(study_copy):
    folder, out, _ = study_copy
    truth = json.loads((SAMPLES / "truth" / "interview_02.json").read_text())
    first = truth["turns"][0]
    assert first["speaker"] == "helen_carter"
    samples = decode(SAMPLES / "interview_02.flac").samples
    encode(samples[int(first["start"] * SAMPLE_RATE) : int(first["end"] * SAMPLE_RATE)], folder / "helen.wav")
    study = (folder / "study.toml").read_text()
    study = study.replace('vocabulary = ["WellTogether"]', 'vocabulary = ["WellTogether"]\ninterviewer_voice = "helen.wav"')
    study = study.replace('audio = "interview_03.flac"\ncodes = ["p3"]', 'audio = "interview_03.flac"\ncodes = ["p3"]\nroles = ["p3", "I"]')
    (folder / "study.toml").write_text(study)
    result = CliRunner().invoke(cli, ["run", str(folder), "-o", str(out), "-v"])
    assert result.exit_code == 0, result.output
    assert result.output.count("reused from the cache") == 6  # roles change, recognition does not
    private = out.with_name("transcripts.private")
    for n in (1, 2):
        transcript = Transcript.from_json((private / f"p{n}.identifiable.json").read_text())
        assert transcript.roles["method"] == "enrolment"
        assert_labels_match_truth(transcript, json.loads((SAMPLES / "truth" / f"interview_0{n}.json").read_text()),
                                  {"helen_carter": "I"})
    wrong = Transcript.from_json((private / "p3.identifiable.json").read_text())
    assert wrong.roles["method"] == "override"
    participant = next(s for s in json.loads((SAMPLES / "truth" / "interview_03.json").read_text())["speakers"].values()
                       if s != "helen_carter")
    assert_labels_match_truth(wrong, json.loads((SAMPLES / "truth" / "interview_03.json").read_text()),
                              {"helen_carter": "p3", participant: "I"})


def test_methods_record_has_models_and_counts_and_no_names(study_run):
    out, _, _ = study_run
    record = (out / "methods.md").read_text()
    assert "tiny.en" in record and "pyannote.audio 4.0.7" in record and "openai-whisper 20250625" in record
    assert re.search(r"\| p1 \| 00:01:1\d \| \d+ \| \d+ \| \d+ \| \d+ \|", record)
    assert re.search(r"Replacements made: \d+ organisations, \d+ people and \d+ places", record)
    study = load_study(SAMPLES / "study.toml")
    for name in {part for p in study.people for n in p.names for part in n.split() if part not in ("Dr", "Ms", "Mr", "Mrs")}:
        assert not re.search(rf"\b{name}\b", record)
    assert "interview_0" not in record and str(SAMPLES.parent) not in record


def test_a_planted_loop_and_text_over_silence_become_inaudible(study_copy):
    """Doctor the cached stages of p1: a repetition loop inside one window, and text in a stretch
    where diarisation found nobody speaking. The re-run must hide both and keep the raw text private."""
    from transcribe.audio import file_sha256

    folder, out, private = study_copy
    cache = private / "cache" / file_sha256(folder / "interview_01.flac")
    (recognition,) = cache.glob("recognise-*.json")
    (diarisation,) = cache.glob("diarise-*.json")
    from transcribe.cache import StageCache

    def doctored(path, data):  # as the tool writes an entry: with the checksum of its data
        path.write_text(json.dumps({"checksum": StageCache.checksum(data), "data": data}))

    data = json.loads(recognition.read_text())["data"]
    window = data["segments"][1]
    start = window["words"][2]["start"]
    window["words"] = window["words"][:2] + [
        {"text": t, "start": round(start + i * 0.2, 2), "end": round(start + i * 0.2 + 0.15, 2), "probability": 0.9}
        for i, t in enumerate([" thank", " you"] * 6)]
    # Nobody speaks in the last turn any more, as far as diarisation knows; Whisper "hears" a phrase there.
    last = json.loads((SAMPLES / "truth" / "interview_01.json").read_text())["turns"][-1]
    speech = json.loads(diarisation.read_text())["data"]
    for key in ("turns", "exclusive"):
        speech[key] = [t for t in speech[key] if t["end"] < last["start"] - 0.5]
    doctored(diarisation, speech)
    ghost = last["start"] + 1.5
    data["segments"].append({"start": ghost, "end": ghost + 1.0, "text": " Thanks for watching!", "avg_logprob": -0.3,
                             "no_speech_prob": 0.2, "compression_ratio": 1.0, "temperature": 0.0,
                             "words": [{"text": w, "start": ghost + i * 0.3, "end": ghost + i * 0.3 + 0.25, "probability": 0.9}
                                       for i, w in enumerate([" Thanks", " for", " watching!"])]})
    doctored(recognition, data)
    result = CliRunner().invoke(cli, ["run", str(folder / "interview_01.flac"), "--study", str(folder / "study.toml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    shared = (out / "p1.txt").read_text()
    assert len(re.findall(r"\[inaudible 00:0\d:\d\d\]", shared)) >= 2
    assert "thank you thank you" not in shared.lower() and "watching" not in shared.lower()
    raw = json.loads((private / "p1.identifiable.json").read_text())
    spoken = "".join(w["text"] for t in raw["turns"] for w in t["words"])
    assert "thank you thank you thank you" in spoken and "watching!" in spoken
    assert "[inaudible" not in (private / "p1.identifiable.json").read_text()  # the JSON keeps words, not notation
    assert "[inaudible 00:0" in (private / "p1.identifiable.txt").read_text()  # the private text marks them too


@pytest.mark.slow
def test_silent_recording_has_no_invented_text(tmp_path):
    encode(np.zeros(SAMPLE_RATE * 5, np.float32), tmp_path / "quiet.wav")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "quiet.wav"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "p1.txt").read_text()
    assert "Note: The recording is silent" in text and not re.search(r"^\s+1  ", text, re.M)


def test_anonymisation_that_cannot_run_fails_closed(study_copy, monkeypatch):
    import transcribe.anonymise.detect

    folder, out, private = study_copy
    (private / "p1.identifiable.txt").unlink()
    for cached in private.rglob("detect-*.json"):  # detections not made yet, so the detector must run
        cached.unlink()

    def broken(self, config):
        raise RuntimeError("the NER model could not load")

    monkeypatch.setattr(transcribe.anonymise.detect.Detector, "__init__", broken)
    result = CliRunner().invoke(cli, ["run", str(folder), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.count("anonymisation failed") == 3
    assert not list(out.glob("p*.*"))  # earlier shareable files of these interviews are gone too
    assert (private / "p1.identifiable.txt").exists()  # the private transcript is still written


def test_a_writer_that_breaks_fails_its_interview_and_the_batch_goes_on(study_copy, monkeypatch):
    import transcribe.writers.docx

    folder, out, private = study_copy

    def broken(self, document, file):
        raise ValueError("a character the document format cannot hold")

    monkeypatch.setattr(transcribe.writers.docx.DocxWriter, "write", broken)
    result = CliRunner().invoke(cli, ["run", str(folder), "-o", str(out), "--format", "txt,docx"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("writing the outputs failed") == 3
    assert not list(out.glob("p*.*"))
