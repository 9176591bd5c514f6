"""Replacement styles end to end: the demo study and typed transcripts with the real detector (slow:
spaCy loads), through the command line, `apply` and the review studio."""

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

pytestmark = pytest.mark.slow

STUDY = """\
[study]
interviewer_label = "I"
language = "en"
places = ["Lewisham", "Manchester", "Leeds", "Harehills", "London", "Bristol", "Clifton"]
organisations = ["Riverside Surgery", "St James's Hospital", "Brunel Community Trust"]
styles = { person = "pseudonym", place = "generalise", organisation = "generalise" }

[study.generalised]
"Harehills" = "an inner-city district"

[[interviews]]
audio = "p1.txt"
codes = ["p1"]

[[interviews]]
audio = "p2.txt"
codes = ["p2"]

[[people]]
name = "Helen Carter"
aliases = ["Helen", "Dr Carter"]
role = "interviewer"

[[people]]
name = "Sarah Jones"
aliases = ["Sarah", "Ms Jones"]
code = "p1"

[[people]]
name = "David Okafor"
aliases = ["David", "Dave", "Mr Okafor"]
code = "p2"
pseudonym = "Jerome"

[[people]]
name = "Tom"

[[people]]
name = "Priya Patel"
aliases = ["Priya"]
"""
ROSTER_WORDS = ("Helen", "Carter", "Sarah", "Jones", "David", "Okafor", "Dave", "Tom", "Priya", "Patel")
NUMBERED = re.compile(r"^\s*(\d+)  (\S+:)?")


def typed(truth: str, path: Path) -> Path:
    """The demo interview's true text, typed with first names as labels."""
    turns = json.loads((SAMPLES / "truth" / f"{truth}.json").read_text())["turns"]
    names = {"helen_carter": "Helen"}
    path.write_text("\n\n".join(f"{names.get(t['speaker'], 'Participant')}: {t['text']}" for t in turns) + "\n",
                    encoding="utf-8")
    return path


def key_rows(private: Path) -> list[dict]:
    with open(private / "key.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def pseudonym_of(private: Path, original: str) -> str:
    return next(r["replacement"] for r in key_rows(private) if r["style"] == "pseudonym" and r["original"] == original)


def numbering(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for line in text.splitlines() if (m := NUMBERED.match(line))]


def test_one_pseudonym_per_person_across_interviews_a_typed_transcript_apply_and_the_studio(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.toml").write_text(STUDY, encoding="utf-8")
    typed("interview_01", folder / "p1.txt")
    typed("interview_02", folder / "p2.txt")
    out = tmp_path / "transcripts"
    private = tmp_path / "transcripts.private"
    result = CliRunner().invoke(cli, ["anonymise", str(folder / "p1.txt"), str(folder / "p2.txt"), "-o", str(out),
                                      "--study", str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    # A transcript typed elsewhere, outside the study file, anonymised later into the same study.
    later = typed("interview_01", tmp_path / "sarah_again.txt")
    result = CliRunner().invoke(cli, ["anonymise", str(later), "-o", str(out), "--study", str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    (code,) = re.findall(r"^\s+(p\d+)\s+sarah_again", result.output, flags=re.M)

    sarah, tom, priya = (pseudonym_of(private, o) for o in ("sarah jones", "tom", "priya patel"))
    assert pseudonym_of(private, "david okafor").startswith("Jerome")  # fixed in the study file
    texts = {c: (out / f"{c}.txt").read_text(encoding="utf-8") for c in ("p1", "p2", code)}
    for c, text in texts.items():
        for word in ROSTER_WORDS + ("Lewisham", "Riverside", "Harehills"):
            assert not re.search(rf"\b{word}\b", text), (c, word)
    for c in ("p1", code):  # the same interview, recorded in the study and typed again: the same people
        assert sarah.split()[0] in texts[c] and tom in texts[c] and priya in texts[c]
        assert "[a London borough]" in texts[c] and "[a GP surgery]" in texts[c]
    assert "Jerome" in texts["p2"] and "[an inner-city district]" in texts["p2"]
    body = [line for line in texts[code].replace(f"{code}:", "p1:").splitlines() if NUMBERED.match(line)]
    assert body == [line for line in texts["p1"].splitlines() if NUMBERED.match(line)]  # the same words, the same lines
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "was given a pseudonym" in methods and "Places and organisations were replaced by a description" in methods
    review = (private / "review.csv").read_text(encoding="utf-8-sig")
    assert f",{tom}," in review  # the review proposes pseudonyms like any replacement

    # apply re-renders byte for byte (the key decides), and the studio shows the same lines.
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".txt", ".json")}
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".txt", ".json")} == before
    from transcribe.studio.workspace import Studio

    shown = [line["shared_text"] for line in Studio(out).interview("p1")["lines"]]
    assert shown == [line for line in texts["p1"].splitlines() if NUMBERED.match(line)]

    # Another style: every line keeps its number and label, and the names become placeholders.
    result = CliRunner().invoke(cli, ["apply", "-o", str(out), "--style", "placeholder"])
    assert result.exit_code == 0, result.output
    for c, text in texts.items():
        now = (out / f"{c}.txt").read_text(encoding="utf-8")
        assert numbering(now) == numbering(text), c
        assert re.search(r"\[(Name \d+|p\d)\]", now) and not re.search(rf"\b{tom}\b", now), c
    result = CliRunner().invoke(cli, ["apply", "-o", str(out), "--style", "study"])
    assert result.exit_code == 0, result.output
    assert (out / "p1.txt").read_bytes() == before["p1.txt"]
    # Participants labelled by their pseudonym: the same line numbers, the label column wider.
    study = (folder / "study.toml").read_text(encoding="utf-8")
    (folder / "study.toml").write_text(study.replace('organisation = "generalise" }\n',
                                                     'organisation = "generalise" }\nspeaker_labels = "pseudonym"\n'))
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert result.exit_code == 0, result.output
    now = (out / "p1.txt").read_text(encoding="utf-8")
    assert [n for n, _ in numbering(now)] == [n for n, _ in numbering(texts["p1"])]
    assert {label for _, label in numbering(now) if label} == {"I:", sarah.split()[0] + ":"}


def test_the_demo_study_in_every_style_keeps_its_line_numbers(study_run, tmp_path):
    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, copy.with_name("transcripts.private"))
    reference = {c: (out / f"{c}.txt").read_text(encoding="utf-8") for c in ("p1", "p2", "p3")}
    for style in ("pseudonym,generalise", "redact", "person=pseudonym,place=redact"):
        result = CliRunner().invoke(cli, ["apply", "-o", str(copy), "--style", style])
        assert result.exit_code == 0, result.output
        for c, text in reference.items():
            now = (copy / f"{c}.txt").read_text(encoding="utf-8")
            assert numbering(now) == numbering(text), (style, c)
            for word in ROSTER_WORDS:
                assert not re.search(rf"\b{word}\b", now), (style, c, word)
            for fmt in ("maxqda.txt", "nvivo.txt", "qualcoder.txt", "srt", "vtt", "json"):
                assert "Sarah" not in (copy / f"{c}.{fmt}").read_text(encoding="utf-8-sig")
    assert "[…]" in (copy / "p2.txt").read_text(encoding="utf-8")  # places redacted in the last style
    result = CliRunner().invoke(cli, ["apply", "-o", str(copy), "--style", "study"])
    assert result.exit_code == 0, result.output
    for c, text in reference.items():
        assert (copy / f"{c}.txt").read_text(encoding="utf-8") == text  # back to placeholders, byte for byte


def test_the_studio_fixes_a_pseudonym_for_the_whole_study(tmp_path):
    from transcribe.studio.workspace import Conflict, Studio

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.toml").write_text(STUDY, encoding="utf-8")
    paths = [typed("interview_01", folder / "p1.txt"), typed("interview_02", folder / "p2.txt")]
    out = tmp_path / "transcripts"
    result = CliRunner().invoke(cli, ["anonymise", *map(str, paths), "-o", str(out), "--study", str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    studio = Studio(out)
    page = studio.interview("p1")
    tom = next(d for d in page["detections"] if d["text"] == "Tom")
    for taken in ("Sarah", "Lewisham", "Jerome"):  # a roster name, a place of the study, someone's pseudonym
        with pytest.raises(Conflict, match="Not changed"):
            studio.set_pseudonym("p1", page["version"], tom["id"], taken)
    david = next(d for d in studio.interview("p2")["detections"] if d["text"].startswith("David"))
    with pytest.raises(Conflict, match="fixed in the study file"):
        studio.set_pseudonym("p2", studio.version("p2"), david["id"], "Rupert")
    studio.set_pseudonym("p1", page["version"], tom["id"], "Rupert")
    studio.render()
    assert re.search(r"\bRupert\b", (out / "p1.txt").read_text(encoding="utf-8"))
    assert pseudonym_of(out.with_name("transcripts.private"), "tom") == "Rupert"
