"""Member-check copies: a participant's transcript to comment on, and their comments read back.

`transcribe member-check p3` writes `p3.member-check.docx` into the private folder: a cover page in
plain language (what this is, how to comment and correct, by when, that other people's names are
hidden), then the numbered transcript on the shareable text's lines, with a wide column for
comments. Other people, places and organisations are hidden as in the shareable text; the
participant's own name is shown as they said it. The copy carries its participant code and a
fingerprint of its lines as custom document properties, which Word and LibreOffice keep.

`transcribe member-check --read returned.docx` reads what came back, without changing the file:
Word and LibreOffice comments, tracked insertions and deletions, words typed into the comments
column and lines changed without tracking, each on its interview line. A document without the
marker, or made from lines that have changed since, is refused with the reason.
"""

from __future__ import annotations

import copy
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from .errors import TranscribeError
from .folders import Folders
from .study import Study
from .transcript import Transcript
from .writers.txt import NumberedLine as Line
from .writers.txt import read_numbered

CODE_PROPERTY = "transcribe member-check"
LINES_PROPERTY = "transcribe lines"
COLUMNS = ("Line", "Speaker", "What was said", "Your comments")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
TRACKED = {f"{_W}ins": "insertion", f"{_W}del": "deletion", f"{_W}moveTo": "insertion", f"{_W}moveFrom": "deletion"}
FEEDBACK_COLUMNS = ["line", "last_line", "kind", "text", "line_text", "author", "date"]


@dataclass(frozen=True)
class Cover:
    """What the cover page says besides the fixed text."""

    code: str  # the participant's code (their label in the transcript)
    interviewer_label: str = "I"
    by: str | None = None  # "Friday 14 March": when to send it back
    contact: str | None = None  # whom to send it to, and ask
    processed: str = ""  # ISO date: the document's date, so the same copy gives the same bytes


@dataclass(frozen=True)
class Feedback:
    """One thing the participant did to their copy, on the line it belongs to."""

    line: int | None  # None: not on a line (the cover page, a row without its number)
    last_line: int | None
    kind: str  # comment, insertion, deletion, comments column, changed without tracking, line removed
    text: str
    line_text: str  # the line as it was sent
    author: str = ""
    date: str = ""

    def row(self) -> dict[str, str]:
        return {"line": "" if self.line is None else str(self.line),
                "last_line": "" if self.last_line is None else str(self.last_line), "kind": self.kind,
                "text": self.text, "line_text": self.line_text, "author": self.author, "date": self.date}


def fingerprint(lines: list[Line]) -> str:
    """What the copy's lines were: the same lines, the same fingerprint."""
    text = "\n".join(f"{line.number}\t{line.speaker or ''}\t{line.text}" for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def own_words(identifiable: Transcript, anonymised: Transcript, code: str) -> Transcript:
    """The anonymised transcript with the participant's own name as they said it: every word that the
    placeholder [code] stands for takes its identifiable text back; everything else stays hidden."""
    version = copy.deepcopy(anonymised)
    placeholder = f"[{code}]"
    for turn, said in zip(version.turns, identifiable.turns):
        inside = False
        for word, original in zip(turn.words, said.words):
            if placeholder in word.text:
                inside, word.text = True, original.text
            elif inside and word.text == "":
                word.text = original.text  # the rest of a name that one placeholder stood for
            else:
                inside = False
    return version


# --- the copy ----------------------------------------------------------------------------------------

def copy_docx(lines: list[Line], cover: Cover) -> bytes:
    """The participant's copy: the cover page, then the numbered lines with a comments column."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    from .writers.docx import FONT, FONT_SIZE, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, numbered_table

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    section.header.paragraphs[0].text = f"Interview {cover.code}: your copy to check. Please keep it private."
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, FONT_SIZE  # the table's lines fit their column at this size
    normal.paragraph_format.space_after = Pt(0)
    for style in ("Heading 1", "Heading 2", "Header", "List Bullet"):
        doc.styles[style].font.name = FONT
    properties = doc.core_properties
    properties.title, properties.author, properties.comments = f"Interview {cover.code}: your copy to check", "", ""
    when = date.fromisoformat(cover.processed[:10]) if cover.processed else date(2000, 1, 1)
    properties.created = properties.modified = datetime(when.year, when.month, when.day, tzinfo=UTC)
    _cover_page(doc, cover)
    numbered_table(doc, lines, COLUMNS)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _with_properties(buffer.getvalue(), {CODE_PROPERTY: cover.code, LINES_PROPERTY: fingerprint(lines)})


def _cover_page(doc, cover: Cover) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    interviewer = cover.interviewer_label
    start = len(doc.paragraphs)
    doc.add_heading("Your interview: the transcript for you to check", level=1)
    doc.add_paragraph("Thank you for taking part. This is the written record (the transcript) of your interview, "
                      "typed word for word from the recording. Before we use it in our research, we would like you "
                      "to check that it says what you said and what you meant.")
    doc.add_heading("What to look for", level=2)
    for item in ("Anything that is wrong, or is not what you meant.",
                 "Anything missing that you would like to add or explain.",
                 "Anything you would rather we did not quote."):
        doc.add_paragraph(item, style="List Bullet")
    doc.add_paragraph("You do not have to comment on everything. If it is all fine, you can simply tell us so.")
    doc.add_heading("How to comment or correct", level=2)
    for item in ("Select the words and add a comment (in Word: Review, then New Comment; in LibreOffice: Insert, "
                 "then Comment).",
                 "Or switch on Track Changes (in Word: Review, then Track Changes; in LibreOffice: Edit, then Track "
                 "Changes, then Record Changes) and correct the words where they are.",
                 "Or write in the column “Your comments” next to the line.",
                 "On paper, write in that column and send us a photo or a scan of the page."):
        doc.add_paragraph(item, style="List Bullet")
    doc.add_paragraph("Please leave the line numbers as they are: they tell us which words you mean.")
    doc.add_heading("By when", level=2)
    doc.add_paragraph(f"Please send it back by {cover.by}." if cover.by else
                      "Please send it back when you can, by the date we gave you.")
    doc.add_heading("Names are hidden", level=2)
    doc.add_paragraph("The names of other people, places and organisations are hidden: they are shown in square "
                      "brackets, such as [Name 1] or [Place 2], as they will be in anything we publish. Your own name "
                      f"is shown as you said it. In the transcript you are “{cover.code}”, and “{interviewer}” is the "
                      "interviewer.")
    doc.add_paragraph("Where the recording was not clear, the transcript says [inaudible]; a word followed by (?) "
                      "is one we are not sure we heard right. If you remember what you said, please tell us.")
    doc.add_heading("Keep it private", level=2)
    doc.add_paragraph("This document holds your words and your name. Please keep it safe, and send it back only to "
                      + (f"{cover.contact}." if cover.contact else "the researcher who sent it to you.")
                      + (f" If you have any questions, please contact {cover.contact}." if cover.contact else ""))
    for paragraph in doc.paragraphs[start:]:
        if not paragraph.style.name.startswith("Heading"):
            paragraph.paragraph_format.space_after = Pt(4)
            for run in paragraph.runs:
                run.font.size = Pt(11)  # a page to read, not to code: larger than the table
    # The transcript starts on the next page; a break inside the last paragraph leaves no blank page
    # when the cover fills its page.
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


def _with_properties(docx: bytes, values: dict[str, str]) -> bytes:
    """The document with custom properties added (docProps/custom.xml), as the same bytes every time."""
    from .writers.docx import reproducible

    custom = etree.Element(f"{{{CUSTOM}}}Properties", nsmap={None: CUSTOM, "vt": VT})
    for pid, (name, value) in enumerate(values.items(), start=2):  # property ids start at 2
        prop = etree.SubElement(custom, f"{{{CUSTOM}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                                pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{VT}}}lpwstr").text = value
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        types = etree.fromstring(source.read("[Content_Types].xml"))
        rels = etree.fromstring(source.read("_rels/.rels"))
    etree.SubElement(types, f"{{{types.nsmap[None]}}}Override", PartName="/docProps/custom.xml", ContentType=CUSTOM_TYPE)
    ids = {r.get("Id") for r in rels}
    etree.SubElement(rels, f"{{{rels.nsmap[None]}}}Relationship", Id=next(f"rId{n}" for n in range(1, 99) if f"rId{n}" not in ids),
                     Type=CUSTOM_REL, Target="docProps/custom.xml")
    xml = {"[Content_Types].xml": types, "_rels/.rels": rels, "docProps/custom.xml": custom}
    return reproducible(docx, {name: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                               for name, root in xml.items()})


# --- reading a returned copy -------------------------------------------------------------------------

def properties(data: bytes, name: str = "the document") -> dict[str, str]:
    """The custom properties of a .docx (empty when it has none); TranscribeError if it is no .docx."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise zipfile.BadZipFile
            custom = archive.read("docProps/custom.xml") if "docProps/custom.xml" in names else None
    except zipfile.BadZipFile:
        raise TranscribeError(f"{name} is not a Word document (.docx); save it as .docx and read it again. "
                              "Nothing was changed.") from None
    if custom is None:
        return {}
    root = etree.fromstring(custom)
    return {p.get("name"): "".join(p.itertext()).strip() for p in root}


def copy_of(data: bytes, name: str = "the document") -> tuple[str, str]:
    """The participant code and the fingerprint of lines of a copy this tool made; refuses any other."""
    values = properties(data, name)
    if CODE_PROPERTY not in values or LINES_PROPERTY not in values:
        raise TranscribeError(f"{name} is not a member-check copy made by transcribe (it has none of its marks); only "
                              "copies made with `transcribe member-check CODE` can be read back. Nothing was changed.")
    return values[CODE_PROPERTY], values[LINES_PROPERTY]


def feedback(data: bytes, lines: list[Line], name: str = "the document") -> list[Feedback]:
    """Everything the participant did to their copy, placed on its lines. `lines` are the lines as
    they are now; a copy made from other lines is refused, naming the first line that differs."""
    code, sent = copy_of(data, name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = etree.fromstring(archive.read("word/document.xml"))
        comments = etree.fromstring(archive.read("word/comments.xml")) if "word/comments.xml" in archive.namelist() else None
    rows = _rows(document)
    if sent != fingerprint(lines):
        returned = {number: original for number, (original, *_rest) in rows.items()}
        first = next((line.number for line in lines if returned.get(line.number) != line.text), None)
        where = f" (line {first} reads differently now)" if first else ""
        raise TranscribeError(f"The transcript of {code} has changed since this copy was made{where}: its comments cannot "
                              "be placed on the current lines. Compare it by hand with the current transcript, or send "
                              "a new copy. Nothing was changed.")
    by_number = {line.number: line for line in lines}
    found: list[Feedback] = []
    for number, (original, current, changes, margin) in rows.items():
        text = by_number[number].text if number in by_number else ""
        for kind, changed, author, when in changes:
            found.append(Feedback(number, number, kind, changed, text, author, when))
        if margin:
            found.append(Feedback(number, number, "comments column", margin, text))
        if number in by_number and original != text:
            found.append(Feedback(number, number, "changed without tracking", current, text))
    for missing in sorted(set(by_number) - set(rows)):
        found.append(Feedback(missing, missing, "line removed", "", by_number[missing].text))
    found += _comments(document, comments, rows, by_number)
    return sorted(found, key=lambda f: (f.line is not None, f.line or 0, f.kind != "comment"))


def _table(document) -> etree._Element | None:
    for table in document.iter(f"{_W}tbl"):
        first = table.find(f"{_W}tr")
        if first is not None and [_cell_text(c)[0] for c in first.findall(f"{_W}tc")][:1] == ["Line"]:
            return table
    return None


def _rows(document) -> dict[int, tuple[str, str, list[tuple[str, str, str, str]], str]]:
    """Line number -> (text as sent, text now, tracked changes, words in the comments column)."""
    table = _table(document)
    if table is None:
        raise TranscribeError("the numbered transcript is no longer in this document (its table was removed); "
                              "compare it by hand. Nothing was changed.")
    rows = {}
    for row in table.findall(f"{_W}tr")[1:]:
        cells = row.findall(f"{_W}tc")
        if len(cells) < 3:
            continue
        number = _cell_text(cells[0])[0].strip()
        if not number.isdigit():
            continue
        original, current = _cell_text(cells[2])
        changes = [(TRACKED[change.tag], text, change.get(f"{_W}author", ""), change.get(f"{_W}date", ""))
                   for change in cells[2].iter(*TRACKED)  # in the order they are in the line
                   if (text := "".join(t.text or "" for t in change.iter(f"{_W}t", f"{_W}delText")).strip())]
        margin = _cell_text(cells[3])[1].strip() if len(cells) > 3 else ""
        rows[int(number)] = (original.strip(), current.strip(), changes, margin)
    return rows


def _cell_text(cell) -> tuple[str, str]:
    """(text as it was before tracked changes, text with them) of a table cell."""
    before, after = [], []
    for node in cell.iter(f"{_W}t", f"{_W}delText", f"{_W}tab"):
        tracked = {a.tag for a in node.iterancestors(f"{_W}ins", f"{_W}del", f"{_W}moveTo", f"{_W}moveFrom")}
        text = "\t" if node.tag == f"{_W}tab" else node.text or ""
        inserted = bool(tracked & {f"{_W}ins", f"{_W}moveTo"})
        deleted = bool(tracked & {f"{_W}del", f"{_W}moveFrom"}) or node.tag == f"{_W}delText"
        if not inserted:
            before.append(text)
        if not deleted:
            after.append(text)
    return "".join(before), "".join(after)


def _comments(document, comments, rows, by_number: dict[int, Line]) -> list[Feedback]:
    """Every Word or LibreOffice comment, on the lines its marked words are on."""
    if comments is None:
        return []
    table = _table(document)
    row_numbers = {}
    for row in table.findall(f"{_W}tr")[1:]:
        cells = row.findall(f"{_W}tc")
        number = _cell_text(cells[0])[0].strip() if cells else ""
        if number.isdigit():
            row_numbers[row] = int(number)
    anchors: dict[str, list[int | None]] = {}
    for tag in ("commentRangeStart", "commentRangeEnd", "commentReference"):
        for node in document.iter(f"{_W}{tag}"):
            row = next((r for r in node.iterancestors(f"{_W}tr") if r in row_numbers), None)
            anchors.setdefault(node.get(f"{_W}id"), []).append(row_numbers.get(row))
    found = []
    for comment in comments.iter(f"{_W}comment"):
        text = "\n".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in comment.iter(f"{_W}p")).strip()
        placed = [n for n in anchors.get(comment.get(f"{_W}id"), []) if n is not None]
        first, last = (min(placed), max(placed)) if placed else (None, None)
        line_text = by_number[first].text if first in by_number else ""
        found.append(Feedback(first, last, "comment", text, line_text, comment.get(f"{_W}author", ""),
                              comment.get(f"{_W}date", "")))
    return found


# --- in the output folders ---------------------------------------------------------------------------

def current_lines(folders: Folders, study: Study, code: str) -> tuple[list[Line], Transcript]:
    """The participant's lines as a copy made now would have them, checked against the shareable text
    (same lines, same hidden names); and the transcript they come from, with its corrections.

    The interview is prepared as every render prepares it (corrections, anonymisation, the safety
    net) and the participant's version laid out beside the anonymised one on its layout shape."""
    from .anonymise.prepare import Anonymiser
    from .cache import StageCache
    from .folders import OutputSettings
    from .render import Renderer

    entry = next((i for i in study.interviews if code in i.codes), None)
    interview = entry.code if entry else code
    path, shareable = folders.identifiable(interview), folders.shareable(interview, "txt")
    if not path.exists() or not shareable.exists():
        raise TranscribeError(f"There is no interview {code} in {folders.out.name} (with its shareable text); run "
                              "`transcribe run` or `transcribe apply` first.")
    last = folders.read_last_run()
    anonymiser = Anonymiser(study, StageCache(folders.private), folders)
    renderer = Renderer(folders, last.output if last else OutputSettings(), anonymiser)
    prepared = anonymiser.prepare(Transcript.from_json(path.read_text(encoding="utf-8")))
    if prepared.refusal:
        raise TranscribeError(f"{code}: {prepared.refusal}; no copy can be made until the review settles it")
    view = renderer.view(prepared.transcript, prepared)
    own = own_words(view.identifiable, view.anonymised, code)
    shared_page, own_page = renderer.lay_out([view.anonymised, own], prepared)
    shared = [Line(line.number, line.speaker, line.text) for line in shared_page.lines]
    if shared != read_numbered(shareable.read_text(encoding="utf-8")):
        raise TranscribeError(f"{shareable.name} is not up to date with the corrections and decisions made since it was "
                              "written; run `transcribe apply` first, so that the copy has the same lines.")
    return [Line(line.number, line.speaker, line.text) for line in own_page.lines], prepared.transcript


def write_copy(folders: Folders, study: Study, code: str, by: str | None = None, contact: str | None = None) -> Path:
    """Write the participant's copy into the private folder (mode 0600)."""
    from .owned import OwnedFiles

    lines, transcript = current_lines(folders, study, code)
    data = copy_docx(lines, Cover(code, study.interviewer_label, by, contact, transcript.processed))
    target = folders.member_check(code)
    if not OwnedFiles(folders).write(target, data, code=code, fmt="member-check", private=True):
        raise TranscribeError(f"{target.name} in {folders.private} was changed after transcribe wrote it; move it "
                              "away and run again.")
    return target


def read_returned(folders: Folders, study: Study, returned: Path) -> tuple[str, list[Feedback], Path]:
    """Read a returned copy (never changed) and write what it says into a CSV in the private folder:
    its code, the feedback, and the CSV. The same document read again gives the same CSV."""
    from .csvfiles import write_table

    try:
        data = returned.read_bytes()
    except OSError as error:
        raise TranscribeError(f"{returned.name} cannot be read ({error.strerror or error}).") from None
    code, _ = copy_of(data, returned.name)
    lines, _ = current_lines(folders, study, code)
    found = feedback(data, lines, returned.name)
    target = folders.member_check_returned(code, hashlib.sha256(data).hexdigest()[:8])
    if not target.exists():  # read before: the researcher may have worked in that file since
        write_table(target, FEEDBACK_COLUMNS, [f.row() for f in found])
    return code, found, target
