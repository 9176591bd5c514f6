"""One REFI-QDA project (`.qdpx`) for a whole study, from plain data.

A `.qdpx` is a zip holding `project.qde` (XML, QDA-XML 1.0, schema in `Project-mrt2019.xsd` beside
this module) and a flat `sources/` folder whose files are named by GUID (REFI-QDA 1.5, 8.1–8.4).
Each interview is a text source; each participant code a Case with the study's variables and a
reference to the interview it took part in; each speaker a code with a coding on every turn, so
"everything p3 said" is one selection in any program; the methods record is a project note.

With recordings (the private project) each interview is instead an AudioSource holding the
recording and, as its Transcript, the identifiable text with a SyncPoint at the start and end of
every turn, so a program can play the audio from any turn.

Everything is derived from content: GUIDs are UUID-5s of what they stand for, dates are the
interviews' processing dates and zip entries carry a fixed time, so the same study gives the same
bytes. Nothing here names a file, a path, a machine or a user; the caller chooses what text goes in.

Facts taken from QualCoder's REFI-QDA import (ccbogel/QualCoder, src/qualcoder/refi.py), read to
make the project import there: a coded selection is ``text[startPosition:endPosition]`` (the end is
exclusive); a Transcript and a Note without ``creationDateTime`` stop the import; a project without
``origin`` and ``basePath`` stops it too; a Transcript needs a ``name``; only sources given by
``plainTextPath`` (no ``richTextPath``) are read as plain text, as MAXQDA writes them; a note is
imported as a journal only from a ``plainTextPath`` with a ``name``; codings are shown for the
coder named by the first User.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from ..errors import TranscribeError

NS = "urn:QDA-XML:project:1.0"
SCHEMA = Path(__file__).with_name("Project-mrt2019.xsd")
# Every GUID is a UUID-5 in this namespace (a fixed random UUID): the same input, the same GUID.
GUIDS = uuid.UUID("6f1c2f4e-3b0a-4c55-9d7e-2a8e5b1f0c93")
# REFI-QDA 8.5: an internal file must be smaller than 2^31 bytes; a larger recording is referred to.
MAX_INTERNAL = 2**31 - 1
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
USER = "transcribe"  # the coder of the speaker codings; QualCoder shows codings of the first User
INTERVIEWER_CODE = "Interviewer"
SPEAKERS = "Speakers"
COLOURS = ("#1F77B4", "#D62728", "#2CA02C", "#9467BD", "#FF7F0E", "#8C564B", "#E377C2", "#17BECF", "#7F7F7F",
           "#BCBD22")


@dataclass(frozen=True)
class Turn:
    """One turn of a source text: who speaks, where in the text and when in the recording."""

    speaker: str  # the label in the text: the interviewer label, a participant code, S3
    start: int  # code point offset of its first character (the label) in the text
    end: int  # offset just after its last character
    begin_ms: int
    end_ms: int
    lines: tuple[int, int]  # its first and last line numbers


@dataclass(frozen=True)
class Interview:
    """One interview as a source: its text exactly as written, and its turns in that text."""

    code: str  # names the source (p3)
    cases: tuple[str, ...]  # the participant codes that took part (p3, or p3 and p4)
    text: str
    turns: tuple[Turn, ...]
    date: str = ""  # ISO date the interview was processed: the source's creation date
    recording: Path | None = None  # the private project: the audio to hold (None: text only)


@dataclass(frozen=True)
class Study:
    """What a project is made of."""

    interviews: tuple[Interview, ...]
    interviewer_label: str = "I"
    variables: dict[str, dict[str, object]] = field(default_factory=dict)  # case code -> name -> value
    note: str | None = None  # methods.md
    name: str = "Interview study"
    origin: str = "transcribe"


def guid(*parts: object) -> str:
    return str(uuid.uuid5(GUIDS, "\x1f".join(str(p) for p in parts)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _when(date: str) -> str:
    """An xsd:dateTime for an ISO date (or date and time); a fixed one when there is none."""
    try:
        day = datetime.date.fromisoformat(date[:10])
    except ValueError:
        day = datetime.date(2000, 1, 1)
    return f"{day.isoformat()}T00:00:00Z"


def code_name(label: str, interview: Interview, interviewer_label: str) -> str:
    """The code of a speaker: Interviewer, a participant code, or an unknown voice of one interview."""
    if label == interviewer_label:
        return INTERVIEWER_CODE
    if label in interview.cases:
        return label
    return f"{interview.code} {label}"


def _speaker_codes(study: Study) -> list[str]:
    names: list[str] = []
    for interview in study.interviews:
        for turn in interview.turns:
            names.append(code_name(turn.speaker, interview, study.interviewer_label))
    ordered = list(dict.fromkeys(names))
    return sorted(ordered, key=lambda n: (n != INTERVIEWER_CODE, ordered.index(n)))


def _variable_types(variables: dict[str, dict[str, object]]) -> dict[str, str]:
    types: dict[str, str] = {}
    for values in variables.values():
        for name, value in values.items():
            kind = _type_of(value)
            if types.get(name) == "Float" or (types.get(name) == "Integer" and kind == "Float"):
                kind = "Float"
            types[name] = kind
    return types


def _type_of(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, datetime.datetime):
        return "DateTime"
    if isinstance(value, datetime.date):
        return "Date"
    return "Text"


def _value_text(value: object, kind: str) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return format(Decimal(repr(float(value))), "f")  # xsd:decimal has no exponent
    if kind in ("Date", "DateTime"):
        return value.isoformat()
    return str(value)


class _Builder:
    def __init__(self, study: Study, with_audio: bool):
        self.study = study
        self.with_audio = with_audio
        self.user = guid("user", USER)
        self.files: dict[str, str | Path] = {}  # name in sources/ -> text or recording
        self.codes = {name: guid("code", name) for name in _speaker_codes(study)}
        self.sources: dict[str, str] = {}  # interview code -> source GUID

    def element(self, parent, tag: str, **attributes) -> etree._Element:
        node = etree.SubElement(parent, f"{{{NS}}}{tag}") if parent is not None else etree.Element(
            f"{{{NS}}}{tag}", nsmap={None: NS})
        for key, value in attributes.items():
            if value is not None:
                node.set(key, str(value))
        return node

    def created(self, date: str) -> dict[str, str]:
        return {"creatingUser": self.user, "creationDateTime": _when(date)}

    def build(self) -> etree._Element:
        s = self.study
        newest = max((i.date for i in s.interviews), default="")
        root = self.element(None, "Project", name=s.name, origin=s.origin, creatingUserGUID=self.user,
                            creationDateTime=_when(newest))
        users = self.element(root, "Users")
        self.element(users, "User", guid=self.user, name=USER)
        self.codebook(root)
        types = _variable_types({c: v for c, v in s.variables.items() if c in self.case_codes()})
        if types:
            variables = self.element(root, "Variables")
            for name, kind in types.items():
                self.element(variables, "Variable", guid=guid("variable", name), name=name, typeOfVariable=kind)
        sources = self.element(None, "Sources")  # filled first: cases refer to the sources' GUIDs
        for interview in s.interviews:
            self.source(sources, interview)
        self.cases(root, types)
        root.append(sources)
        if s.note:
            note_guid = guid("note", _digest(s.note))
            notes = self.element(root, "Notes")
            file = self.internal(("note", note_guid), ".txt", s.note)
            self.element(notes, "Note", guid=note_guid, name="Methods", plainTextPath=f"internal://{file}",
                         **self.created(newest))
            self.element(root, "NoteRef", targetGUID=note_guid)
        return root

    def case_codes(self) -> list[str]:
        return list(dict.fromkeys(c for i in self.study.interviews for c in i.cases))

    def codebook(self, root) -> None:
        codes = self.element(self.element(root, "CodeBook"), "Codes")
        folder = self.element(codes, "Code", guid=guid("code folder", SPEAKERS), name=SPEAKERS, isCodable="false")
        self.element(folder, "Description").text = "Who speaks: one coding on every turn of every interview."
        for index, (name, code_guid) in enumerate(self.codes.items()):
            self.element(folder, "Code", guid=code_guid, name=name, isCodable="true", color=COLOURS[index % len(COLOURS)])

    def cases(self, root, types: dict[str, str]) -> None:
        codes = self.case_codes()
        if not codes:
            return
        cases = self.element(root, "Cases")
        for code in codes:
            case = self.element(cases, "Case", guid=guid("case", code), name=code)
            for name, value in self.study.variables.get(code, {}).items():
                holder = self.element(case, "VariableValue")
                self.element(holder, "VariableRef", targetGUID=guid("variable", name))
                self.element(holder, f"{types[name]}Value").text = _value_text(value, types[name])
            for interview in self.study.interviews:
                if code in interview.cases:
                    self.element(case, "SourceRef", targetGUID=self.sources[interview.code])

    def internal(self, key: tuple, extension: str, content: str | Path) -> str:
        name = guid("file", *key) + extension
        self.files[name] = content
        return name

    def source(self, sources, interview: Interview) -> None:
        recording = interview.recording if self.with_audio else None
        text_key = _digest(interview.text)
        if recording is None:
            source_guid = guid("source", interview.code, text_key)
            file = self.internal(("text", source_guid), ".txt", interview.text)
            source = self.element(sources, "TextSource", guid=source_guid, name=interview.code,
                                  plainTextPath=f"internal://{file}", **self.created(interview.date))
            for index, turn in enumerate(interview.turns):
                selection = self.element(source, "PlainTextSelection", guid=guid("selection", source_guid, index),
                                         name=self.selection_name(turn), startPosition=turn.start, endPosition=turn.end,
                                         **self.created(interview.date))
                self.coding(selection, interview, turn, index)
        else:
            source_guid = guid("audio", interview.code, text_key)
            extension = recording.suffix.lower()
            if recording.stat().st_size < MAX_INTERNAL:
                path = "internal://" + self.internal(("audio", source_guid), extension, recording)
            else:  # a file this large may not be held inside (REFI-QDA 8.5): the project points to it
                path = "absolute:///" + recording.resolve().as_posix().lstrip("/")
            source = self.element(sources, "AudioSource", guid=source_guid, name=f"{interview.code}{extension}",
                                  path=path, **self.created(interview.date))
            self.transcript(source, interview, source_guid)
            for index, turn in enumerate(interview.turns):
                selection = self.element(source, "AudioSelection", guid=guid("audio selection", source_guid, index),
                                         name=self.selection_name(turn), begin=turn.begin_ms, end=turn.end_ms,
                                         **self.created(interview.date))
                self.coding(selection, interview, turn, index, "audio")
        self.sources[interview.code] = source_guid

    def transcript(self, source, interview: Interview, source_guid: str) -> None:
        transcript_guid = guid("transcript", source_guid)
        file = self.internal(("transcript", transcript_guid), ".txt", interview.text)
        node = self.element(source, "Transcript", guid=transcript_guid, name=f"{interview.code}.txt",
                            plainTextPath=f"internal://{file}", **self.created(interview.date))
        points = []
        for index, turn in enumerate(interview.turns):
            start = guid("sync", transcript_guid, index, "start")
            end = guid("sync", transcript_guid, index, "end")
            self.element(node, "SyncPoint", guid=start, timeStamp=turn.begin_ms, position=turn.start)
            self.element(node, "SyncPoint", guid=end, timeStamp=turn.end_ms, position=turn.end)
            points.append((start, end))
        for index, (turn, (start, end)) in enumerate(zip(interview.turns, points)):
            selection = self.element(node, "TranscriptSelection", guid=guid("transcript selection", transcript_guid, index),
                                     name=self.selection_name(turn), fromSyncPoint=start, toSyncPoint=end,
                                     **self.created(interview.date))
            self.coding(selection, interview, turn, index, "transcript")

    @staticmethod
    def selection_name(turn: Turn) -> str:
        first, last = turn.lines
        return f"{turn.speaker}, line {first}" if first == last else f"{turn.speaker}, lines {first}–{last}"

    def coding(self, selection, interview: Interview, turn: Turn, index: int, kind: str = "text") -> None:
        code = self.codes[code_name(turn.speaker, interview, self.study.interviewer_label)]
        coding = self.element(selection, "Coding", guid=guid("coding", kind, selection.get("guid")),
                              **self.created(interview.date))
        self.element(coding, "CodeRef", targetGUID=code)


def project_xml(study: Study, with_audio: bool = False) -> tuple[bytes, dict[str, str | Path]]:
    """`project.qde` and the files of `sources/` (name -> text, or the path of a recording)."""
    builder = _Builder(study, with_audio)
    root = builder.build()
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, builder.files


def write_qdpx(study: Study, file: BinaryIO, with_audio: bool = False) -> None:
    """Write the project to `file` (seekable): the same study gives the same bytes. The XML is
    checked against the schema first: a project no program could read is never written."""
    xml, files = project_xml(study, with_audio)
    validate(xml)
    with zipfile.ZipFile(file, "w") as archive:
        _add(archive, "project.qde", xml)
        for name in sorted(files):
            content = files[name]
            if isinstance(content, Path):
                _add_file(archive, f"sources/{name}", content)
            else:
                _add(archive, f"sources/{name}", content.encode("utf-8"))


def _info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = compress
    info.create_system = 3  # the same bytes on every system
    info.external_attr = 0o644 << 16
    return info


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_info(name, zipfile.ZIP_DEFLATED), data)


def _add_file(archive: zipfile.ZipFile, name: str, path: Path) -> None:
    """A recording, stored as it is (audio does not compress), read in pieces: never all in memory."""
    info = _info(name, zipfile.ZIP_STORED)
    info.file_size = path.stat().st_size
    try:
        with open(path, "rb") as source, archive.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)
    except OSError as error:
        raise TranscribeError(f"The recording of {Path(name).stem} cannot be read into the project "
                              f"({error.strerror or error}).") from None


def checked_texts(study: Study) -> Iterator[tuple[str, str]]:
    """Every text the project adds to its sources, as (where, text), for the safety net: the names
    of the project, codes and cases, the variables and their values, and the note. The sources'
    own texts are the caller's (the shareable text files, checked when they were written)."""
    yield "the project's name", study.name
    for interview in study.interviews:
        for turn in interview.turns:
            yield f"a speaker label of {interview.code}", turn.speaker
    for code, values in study.variables.items():
        yield f"the case name {code}", code
        for name, value in values.items():
            yield f"variable '{name}' of {code}", f"{name}: {value}"
    if study.note:
        yield "the methods note", study.note


def validate(xml: bytes) -> None:
    """Raise ValueError naming the first place where `xml` breaks the QDA-XML 1.0 project schema."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.fromstring(xml)
    if not schema.validate(document):
        error = schema.error_log.last_error
        raise ValueError(f"project.qde line {error.line}: {error.message}")
