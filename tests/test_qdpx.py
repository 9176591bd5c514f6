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
