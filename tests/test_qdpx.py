"""The study as one REFI-QDA project (issue 26): schema-valid, read back, byte-identical again.

Every project.qde is validated against the QDA-XML 1.0 schema (Project-mrt2019.xsd, REFI) with
lxml and read back: cases and their variables, codings that point at the right text, SyncPoints
at the right times, and the archive layout REFI-QDA 1.5 section 8 asks for.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass

import pytest
from lxml import etree

from typed_study import NAMES, TYPED_STUDY, typed
from transcribe.qdpx import Interview, Study, Turn, project_xml, validate, write_qdpx
from transcribe.qdpx.project import SCHEMA

NS = {"q": "urn:QDA-XML:project:1.0"}


@dataclass
class Read:
    """A project read back the way an importing program reads it."""

    root: etree._Element
    files: dict[str, bytes]

    def source_text(self, element) -> str:
        path = element.get("plainTextPath")
        assert path.startswith("internal://")
        return self.files["sources/" + path.removeprefix("internal://")].decode("utf-8")

    def code_names(self) -> dict[str, str]:
        return {c.get("guid"): c.get("name") for c in self.root.iterfind(".//q:CodeBook//q:Code", NS)}

    def codings(self, source) -> list[tuple[str, str]]:
        """(code name, coded text) of every coded selection of a text source."""
        text, names = self.source_text(source), self.code_names()
        return [(names[s.find("q:Coding/q:CodeRef", NS).get("targetGUID")],
                 text[int(s.get("startPosition")):int(s.get("endPosition"))])
                for s in source.iterfind("q:PlainTextSelection", NS)]


def read(data: bytes) -> Read:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    xml = files["project.qde"]
    validate(xml)
    return Read(etree.fromstring(xml), files)


def turns_of(text: str, spans: list[tuple[str, str, float, float]]) -> tuple[Turn, ...]:
    """Turns located in `text` by their words, with times in seconds."""
    turns, at = [], 0
    for speaker, words, begin, end in spans:
        match = re.compile(rf"{re.escape(speaker)}:\s+{re.escape(words)}").search(text, at)
        start, at = match.start(), match.end()
        line = text.count("\n", 0, start) + 1
        turns.append(Turn(speaker, start, at, round(begin * 1000), round(end * 1000), (line, line)))
    return tuple(turns)


P3 = "   1  I:   Could you tell me about [Place 1]?\n   2  p3:  It was hard at first, and [Name 1] helped.\n"
P4 = ("   1  I:   How did you two meet?\n   2  p4:  Through the scheme.\n   3  p5:  Yes, both of us, at [Organisation 1].\n"
      "   4  S3:  Sorry, I'm just passing.\n")
STUDY = Study(
    interviews=(
        Interview("p3", ("p3",), P3, turns_of(P3, [("I", "Could you tell me about [Place 1]?", 0.5, 2.25),
                                                   ("p3", "It was hard at first, and [Name 1] helped.", 2.5, 6.0)]),
                  "2026-12-01"),
        Interview("p4", ("p4", "p5"), P4, turns_of(P4, [("I", "How did you two meet?", 1, 2), ("p4", "Through the scheme.", 2.2, 3),
                                                        ("p5", "Yes, both of us, at [Organisation 1].", 3.1, 5),
                                                        ("S3", "Sorry, I'm just passing.", 5.5, 6.5)]),
                  "2026-12-03"),
    ),
    variables={"p3": {"role": "staff", "years_in_role": 3, "started": datetime.date(2019, 9, 1), "lead": True},
               "p4": {"role": "peer mentor", "years_in_role": 1.5}, "p5": {"role": "peer mentor"}},
    note="# Methods\n\nTranscribed offline with transcribe.\n",
)


def qdpx(study: Study = STUDY, with_audio: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_qdpx(study, buffer, with_audio)
    return buffer.getvalue()


def test_the_schema_is_the_published_one_and_rejects_a_broken_project():
    assert b"Copyright 2019 REFI" in SCHEMA.read_bytes() and b"MIT license" in SCHEMA.read_bytes()
    xml, _ = project_xml(STUDY)
    broken = xml.replace(b'isCodable="true"', b'isCodable="maybe"', 1)
    with pytest.raises(ValueError, match="isCodable"):
        validate(broken)


def test_the_archive_holds_project_qde_and_a_flat_sources_folder_named_by_guid():
    project = read(qdpx())
    names = sorted(project.files)
    assert names[0] == "project.qde"
    sources = [n for n in names if n != "project.qde"]
    assert sources and all(n.startswith("sources/") and n.count("/") == 1 for n in sources)
    guid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert all(re.fullmatch(rf"sources/{guid}\.txt", n) for n in sources)
    # Every internal:// reference names a file that is there, and every file is referred to.
    referred = {v.removeprefix("internal://") for e in project.root.iter() for k, v in e.attrib.items()
                if v.startswith("internal://")}
    assert {f"sources/{r}" for r in referred} == set(sources)
    assert project.files["project.qde"].startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_each_interview_is_a_source_with_every_turn_coded_by_its_speaker():
    project = read(qdpx())
    sources = {s.get("name"): s for s in project.root.iterfind("q:Sources/q:TextSource", NS)}
    assert list(sources) == ["p3", "p4"]
    assert project.source_text(sources["p3"]) == P3  # the text exactly as given
    assert project.codings(sources["p3"]) == [("Interviewer", "I:   Could you tell me about [Place 1]?"),
                                              ("p3", "p3:  It was hard at first, and [Name 1] helped.")]
    assert project.codings(sources["p4"])[2:] == [("p5", "p5:  Yes, both of us, at [Organisation 1]."),
                                                  ("p4 S3", "S3:  Sorry, I'm just passing.")]
    # The speaker codes sit in a folder that is not itself a code to apply.
    folder = project.root.find("q:CodeBook/q:Codes/q:Code", NS)
    assert folder.get("name") == "Speakers" and folder.get("isCodable") == "false"
    assert [c.get("name") for c in folder.iterfind("q:Code", NS)] == ["Interviewer", "p3", "p4", "p5", "p4 S3"]


def test_cases_carry_the_study_variables_with_their_types_and_refer_to_their_interview():
    project = read(qdpx())
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable"))
                 for v in project.root.iterfind("q:Variables/q:Variable", NS)}
    assert sorted(variables.values()) == [("lead", "Boolean"), ("role", "Text"), ("started", "Date"),
                                          ("years_in_role", "Float")]  # 3 and 1.5: one Float variable
    sources = {s.get("guid"): s.get("name") for s in project.root.iterfind("q:Sources/*", NS)}
    cases = {}
    for case in project.root.iterfind("q:Cases/q:Case", NS):
        values = {variables[v.find("q:VariableRef", NS).get("targetGUID")][0]: v[1].text
                  for v in case.iterfind("q:VariableValue", NS)}
        refs = [sources[r.get("targetGUID")] for r in case.iterfind("q:SourceRef", NS)]
        cases[case.get("name")] = (values, refs)
    assert cases == {"p3": ({"role": "staff", "years_in_role": "3.0", "started": "2019-09-01", "lead": "true"}, ["p3"]),
                     "p4": ({"role": "peer mentor", "years_in_role": "1.5"}, ["p4"]),
                     "p5": ({"role": "peer mentor"}, ["p4"])}  # a paired interview: both cases, one source


def test_the_methods_record_is_a_project_note():
    project = read(qdpx())
    note = project.root.find("q:Notes/q:Note", NS)
    assert project.source_text(note) == STUDY.note and note.get("name") == "Methods"
    assert note.get("creationDateTime") == "2026-12-03T00:00:00Z"  # QualCoder's import needs a date
    assert project.root.find("q:NoteRef", NS).get("targetGUID") == note.get("guid")


def test_a_second_export_is_byte_identical_and_a_changed_text_changes_only_its_source():
    first, again = qdpx(), qdpx()
    assert first == again
    changed = Study(interviews=(STUDY.interviews[0], Interview(
        "p4", ("p4", "p5"), P4.replace("meet", "meet up"),
        turns_of(P4.replace("meet", "meet up"), [("I", "How did you two meet up?", 1, 2), ("p4", "Through the scheme.", 2.2, 3),
                                                 ("p5", "Yes, both of us, at [Organisation 1].", 3.1, 5),
                                                 ("S3", "Sorry, I'm just passing.", 5.5, 6.5)]), "2026-12-03")),
        variables=STUDY.variables, note=STUDY.note)
    before, after = read(first).root, read(qdpx(changed)).root
    guids = lambda root, path: [e.get("guid") for e in root.iterfind(path, NS)]  # noqa: E731
    assert guids(before, "q:Sources/q:TextSource")[0] == guids(after, "q:Sources/q:TextSource")[0]
    assert guids(before, "q:Sources/q:TextSource")[1] != guids(after, "q:Sources/q:TextSource")[1]
    assert guids(before, "q:Cases/q:Case") == guids(after, "q:Cases/q:Case")
    assert guids(before, ".//q:CodeBook//q:Code") == guids(after, ".//q:CodeBook//q:Code")
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_with_its_recording_an_interview_is_audio_with_a_synchronised_transcript(tmp_path):
    recording = tmp_path / "anything.FLAC"
    recording.write_bytes(b"fLaC" + bytes(range(256)) * 40)
    study = Study(interviews=(Interview("p3", ("p3",), P3, STUDY.interviews[0].turns, "2026-12-01", recording),
                              STUDY.interviews[1]), variables=STUDY.variables)
    project = read(qdpx(study, with_audio=True))
    audio = project.root.find("q:Sources/q:AudioSource", NS)
    assert audio.get("name") == "p3.flac"  # the code, never the recording's own name
    assert project.files["sources/" + audio.get("path").removeprefix("internal://")] == recording.read_bytes()
    transcript = audio.find("q:Transcript", NS)
    assert project.source_text(transcript) == P3 and transcript.get("creationDateTime")
    points = {p.get("guid"): (int(p.get("position")), int(p.get("timeStamp"))) for p in transcript.iterfind("q:SyncPoint", NS)}
    names = project.code_names()
    spoken = []
    for selection in transcript.iterfind("q:TranscriptSelection", NS):
        (start, begin), (end, finish) = points[selection.get("fromSyncPoint")], points[selection.get("toSyncPoint")]
        spoken.append((names[selection.find("q:Coding/q:CodeRef", NS).get("targetGUID")], P3[start:end], begin, finish))
    assert spoken == [("Interviewer", "I:   Could you tell me about [Place 1]?", 500, 2250),
                      ("p3", "p3:  It was hard at first, and [Name 1] helped.", 2500, 6000)]
    clips = [(int(s.get("begin")), int(s.get("end"))) for s in audio.iterfind("q:AudioSelection", NS)]
    assert clips == [(500, 2250), (2500, 6000)]
    # An interview without its recording stays a text source in the same project.
    assert [s.get("name") for s in project.root.iterfind("q:Sources/q:TextSource", NS)] == ["p4"]
    with zipfile.ZipFile(io.BytesIO(qdpx(study, with_audio=True))) as archive:
        stored = [i for i in archive.infolist() if i.filename.endswith(".flac")]
        assert stored[0].compress_type == zipfile.ZIP_STORED


# --- from the output folders: `transcribe anonymise --format qdpx` on typed interviews --------------

def test_the_shareable_project_holds_the_numbered_texts_as_written_and_no_name(tmp_path, monkeypatch):
    import getpass
    import socket

    out, private, _ = typed(tmp_path, monkeypatch)
    project = read((out / "study.qdpx").read_bytes())
    sources = {s.get("name"): s for s in project.root.iterfind("q:Sources/q:TextSource", NS)}
    assert list(sources) == ["p1", "p2"]
    for code, source in sources.items():
        text = (out / f"{code}.txt").read_text(encoding="utf-8")
        assert project.source_text(source) == text  # the shareable text file, byte for byte
        numbered = {int(m.group(1)): m.group(2) for m in re.finditer(r"^ *(\d+)  (.*)$", text, re.M)}
        for (speaker, coded), selection in zip(project.codings(source), source.iterfind("q:PlainTextSelection", NS)):
            first, last = map(int, re.findall(r"\d+", selection.get("name"))[-2:]) if "lines" in selection.get("name") \
                else (int(selection.get("name").split()[-1]),) * 2
            # The coding covers exactly the turn's lines, from its label to the end of its last line.
            assert coded.startswith(numbered[first]) and coded.endswith(numbered[last].strip())
    assert [name for name, _ in project.codings(sources["p1"])] == ["Interviewer", "p1", "Interviewer", "p1"]
    assert [name for name, _ in project.codings(sources["p2"])] == ["Interviewer", "p2", "p2 S2", "Interviewer"]
    cases = {c.get("name"): [r.get("targetGUID") for r in c.iterfind("q:SourceRef", NS)]
             for c in project.root.iterfind("q:Cases/q:Case", NS)}
    assert cases == {"p1": [sources["p1"].get("guid")], "p2": [sources["p2"].get("guid")],
                     "p3": [sources["p2"].get("guid")]}
    assert project.source_text(project.root.find("q:Notes/q:Note", NS)) == (out / "methods.md").read_text()
    # Nothing identifiable anywhere in the archive: names, the typed files' names, paths, user, host.
    everything = b"".join(project.files.values()).decode("utf-8")
    for forbidden in (*NAMES, "one.txt", "pair.txt", str(tmp_path), getpass.getuser(), socket.gethostname()):
        assert not re.search(rf"(?<!\w){re.escape(forbidden)}(?!\w)", everything, re.I), forbidden


def test_the_private_project_holds_the_identifiable_texts_and_re_exports_byte_identical(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from transcribe.cli import cli

    out, private, _ = typed(tmp_path, monkeypatch)
    path = private / "study-with-audio.qdpx"
    assert path.stat().st_mode & 0o777 == 0o600
    project = read(path.read_bytes())
    texts = [project.source_text(s) for s in project.root.iterfind("q:Sources/q:TextSource", NS)]
    assert texts == [(private / f"{c}.identifiable.txt").read_text(encoding="utf-8") for c in ("p1", "p2")]
    assert "Sarah Jones" in texts[0]
    before = {name: (folder / name).read_bytes() for folder, name in ((out, "study.qdpx"), (private, path.name))}
    result = CliRunner().invoke(cli, ["export", "-o", str(out)])  # the formats of the last run: qdpx again
    assert result.exit_code == 0, result.output
    assert {name: (folder / name).read_bytes() for folder, name in ((out, "study.qdpx"), (private, path.name))} == before


def test_a_name_in_a_case_variable_keeps_the_shareable_project_from_being_written(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    assert (out / "study.qdpx").exists()
    leaky = TYPED_STUDY.replace('variables = { role = "peer mentor" }', 'variables = { role = "mentee of Ann" }')
    out, private, output = typed(tmp_path, monkeypatch, leaky, exit_code=1)  # a file asked for is missing
    assert not (out / "study.qdpx").exists()  # the older one is removed: it would be out of date
    assert "study.qdpx: failed: not written: a name the study knows is readable in variable 'role' of p3" in output
    assert "Anonymised 2 of 2 transcript(s)" in output  # the interviews themselves are written
    assert "Ann" not in output.replace("Anonymised", "")  # where, never what
    from click.testing import CliRunner

    from transcribe.cli import cli

    again = CliRunner().invoke(cli, ["export", "-o", str(out)])  # every later render says so too
    assert again.exit_code == 1 and "study.qdpx: failed: not written" in again.output


def test_qdpx_brings_the_numbered_text_and_is_not_part_of_all():
    from transcribe.writers import WRITERS, parse_formats

    assert parse_formats("qdpx") == ["qdpx", "txt"]
    assert parse_formats("all") == list(WRITERS) and "qdpx" in parse_formats("all,qdpx")


# --- the demo study, recorded: the projects with the recordings (slow: the session's real run) ---------

def test_the_demo_study_as_projects_with_its_recordings_synchronised(study_run, tmp_path):
    import json
    import shutil

    from click.testing import CliRunner

    from conftest import SAMPLES
    from typed_study import demo_copy
    from transcribe.cli import cli
    from transcribe.study import load_study

    out, private = demo_copy(study_run, tmp_path)
    # The demo study with case variables, beside its recordings, as the study of the copied run.
    folder = tmp_path / "study"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("truth", "*.py", "SOURCE.txt"))
    text = (folder / "study.toml").read_text()
    for code, role in (("p1", "carer"), ("p2", "shift worker"), ("p3", "retired")):
        text = text.replace(f'code = "{code}"\n', f'code = "{code}"\nvariables = {{ role = "{role}", employed = '
                            f'{str(code != "p3").lower()}, sessions_per_week = {2 if code == "p2" else 1} }}\n')
    (folder / "study.toml").write_text(text)
    manifest = json.loads((private / "manifest.json").read_text())
    (private / "manifest.json").write_text(json.dumps({**manifest, "study": str(folder / "study.toml")}))
    result = CliRunner().invoke(cli, ["export", "-o", str(out), "--format", "+qdpx"])
    assert result.exit_code == 0, result.output
    study = load_study(folder / "study.toml")
    shareable = read((out / "study.qdpx").read_bytes())
    everything = b"".join(shareable.files.values()).decode("utf-8")
    for person in study.people:
        for name in person.names:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", everything, re.I), name
    assert "interview_0" not in everything and str(tmp_path) not in everything
    cases = {c.get("name"): len(c.findall("q:VariableValue", NS)) for c in shareable.root.iterfind("q:Cases/q:Case", NS)}
    assert cases == {"p1": 3, "p2": 3, "p3": 3}

    full = read((private / "study-with-audio.qdpx").read_bytes())
    names = full.code_names()
    audio = full.root.findall("q:Sources/q:AudioSource", NS)
    assert [a.get("name") for a in audio] == ["p1.flac", "p2.flac", "p3.flac"]
    for number, source in enumerate(audio, start=1):
        code = f"p{number}"
        recording = (folder / f"interview_0{number}.flac").read_bytes()
        assert full.files["sources/" + source.get("path").removeprefix("internal://")] == recording
        transcript = source.find("q:Transcript", NS)
        text = full.source_text(transcript)
        assert text == (private / f"{code}.identifiable.txt").read_text(encoding="utf-8")
        turns = [t for t in json.loads((private / f"{code}.identifiable.json").read_text())["turns"] if t["text"]]
        points = {p.get("guid"): (int(p.get("position")), int(p.get("timeStamp"))) for p in transcript.iterfind("q:SyncPoint", NS)}
        selections = transcript.findall("q:TranscriptSelection", NS)
        assert len(selections) == len(turns)
        for selection, turn in zip(selections, turns):
            (start, begin), (end, finish) = points[selection.get("fromSyncPoint")], points[selection.get("toSyncPoint")]
            label = turn["speaker"]
            assert text[start:end].startswith(f"{label}:")  # the turn's own text, from its label
            assert (begin, finish) == (round(turn["start"] * 1000), round(turn["end"] * 1000))
            assert names[selection.find("q:Coding/q:CodeRef", NS).get("targetGUID")] == \
                ("Interviewer" if label == "I" else label)


def test_a_project_changed_by_hand_is_left_as_it_is(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from transcribe.cli import cli

    out, private, _ = typed(tmp_path, monkeypatch)
    mine = private / "study-with-audio.qdpx"
    mine.write_bytes(mine.read_bytes() + b"my own bytes")
    result = CliRunner().invoke(cli, ["export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "study-with-audio.qdpx was changed after transcribe wrote it; left as it is" in result.output
    assert mine.read_bytes().endswith(b"my own bytes")
    assert not list(private.glob(".tmp-*"))  # nothing staged is left behind


def test_the_studio_s_render_names_the_project_the_safety_net_kept_back(tmp_path, monkeypatch):
    from transcribe.studio.workspace import Studio

    leaky = TYPED_STUDY.replace('variables = { role = "peer mentor" }', 'variables = { role = "mentee of Ann" }')
    out, _, _ = typed(tmp_path, monkeypatch, leaky, exit_code=1)
    results = Studio(out).render()
    assert [r["code"] for r in results] == ["p1", "p2", "study.qdpx"]
    assert results[-1]["status"] == "failed" and results[-1]["message"].startswith("not written: a name")


def test_a_recording_that_cannot_be_read_into_the_private_project_fails_that_file_only(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from transcribe.cli import cli
    from transcribe.qdpx import export

    out, private, _ = typed(tmp_path, monkeypatch)
    unreadable = tmp_path / "recording.flac"
    unreadable.mkdir()  # given by the study file and the one transcribed, but it cannot be read
    monkeypatch.setattr(export, "_recording", lambda entry, transcript: unreadable)
    result = CliRunner().invoke(cli, ["export", "-o", str(out)])
    assert result.exit_code == 1
    assert "study-with-audio.qdpx: failed: The recording of" in result.output and "cannot be read" in result.output
    assert "p1     " in result.output and "p2     " in result.output  # the summary of the interviews is printed
    assert (out / "study.qdpx").is_file()  # the shareable project does not depend on it
