"""Member-check copies (issue 26): the participant's copy, commented and corrected, read back line by line.

Fast tests change the copy the way Word writes comments (python-docx's own comments) and tracked
changes (w:ins and w:del, as Word writes them); the slow test lets LibreOffice itself record the
tracked changes and write the returned file."""

from __future__ import annotations

import copy
import hashlib
import zipfile

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from lxml import etree

from typed_study import correct_word, typed
from transcribe.cli import cli
from transcribe.membercheck import CODE_PROPERTY, LINES_PROPERTY, properties

WHEN = "2027-01-15T10:00:00Z"


def invoke(*args):
    return CliRunner().invoke(cli, ["member-check", *args])


def rows(document) -> dict[int, object]:
    """Line number -> the row of the copy's transcript table."""
    return {int(r.cells[0].text): r for r in document.tables[0].rows[1:]}


def track(paragraph, old: str, new: str, change_id: int) -> None:
    """Replace `old` by `new` in the paragraph's only run as a tracked change, as Word writes one:
    the run split around it, a w:del holding w:delText, then a w:ins."""
    run = paragraph.runs[0]._r
    text = run.find(qn("w:t")).text
    before, after = text.split(old, 1)
    parent, index = run.getparent(), run.getparent().index(run)

    def piece(value: str, tag: str = "w:t"):
        r = copy.deepcopy(run)
        for t in r.findall(qn("w:t")):
            r.remove(t)
        t = etree.SubElement(r, qn(tag))
        t.text = value
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return r

    def change(tag: str, r, number: int):
        element = etree.Element(qn(tag))
        element.set(qn("w:id"), str(number))
        element.set(qn("w:author"), "Participant")
        element.set(qn("w:date"), WHEN)
        element.append(r)
        return element

    parent.remove(run)
    new_nodes = [piece(before)]
    if old:
        new_nodes.append(change("w:del", piece(old, "w:delText"), change_id))
    if new:
        new_nodes.append(change("w:ins", piece(new), change_id + 1))
    new_nodes.append(piece(after))
    for offset, node in enumerate(new_nodes):
        parent.insert(index + offset, node)


def participant(path, target) -> None:
    """What a participant does to p1's copy: comments, tracked changes, a note in the column, and one
    change without tracking."""
    document = docx.Document(str(path))
    lines = rows(document)
    document.add_comment(lines[4].cells[2].paragraphs[0].runs, text="I was more scared than nervous.",
                         author="Participant", initials="P")
    document.add_comment([lines[7].cells[2].paragraphs[0].runs[0], lines[8].cells[2].paragraphs[0].runs[0]],
                         text="Please do not quote this part.", author="Participant", initials="P")
    document.add_comment(document.paragraphs[1].runs, text="Happy to help.", author="Participant", initials="P")
    track(lines[7].cells[2].paragraphs[0], "Um, ", "", 901)  # a deletion
    track(lines[3].cells[2].paragraphs[0], "spring", "autumn", 903)  # a replacement
    lines[5].cells[3].paragraphs[0].add_run("The mentors were all volunteers.")
    lines[6].cells[2].paragraphs[0].runs[0].text = "What has changed for you?"  # typed over, without tracking
    document.save(str(target))


def test_the_copy_hides_other_people_shows_the_participant_s_own_name_and_keeps_the_lines(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    made = invoke("p2", "-o", str(out), "--by", "Friday 14 March", "--contact", "the research team")
    assert made.exit_code == 0, made.output
    path = private / "p2.member-check.docx"
    assert path.stat().st_mode & 0o777 == 0o600 and not (out / "p2.member-check.docx").exists()
    document = docx.Document(str(path))
    shared = (out / "p2.txt").read_text(encoding="utf-8")
    copy_rows = {n: (r.cells[1].text, r.cells[2].text) for n, r in rows(document).items()}
    assert copy_rows[2] == ("p2:", "Through the scheme, two years ago. [p3] was my first")  # Bo: hidden
    assert copy_rows[4] == ("S2:", "Yes, and Ann, uh, she never gave up on me.")  # her own name, as said
    assert "Yes, and [p2], uh, she never gave up on me." in shared  # the same line in the shareable text
    assert len(copy_rows) == len([line for line in shared.splitlines() if line[:6].strip().isdigit()])
    cover = "\n".join(p.text for p in document.paragraphs)
    for said in ("Please send it back by Friday 14 March.", "In the transcript you are “p2”, and “I” is the interviewer",
                 "[Name 1]", "Track Changes", "Your comments", "send it back only to the research team"):
        assert said in cover
    assert [c.text for c in document.tables[0].rows[0].cells] == ["Line", "Speaker", "What was said", "Your comments"]
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape: a wide comments column
    values = properties(path.read_bytes())
    assert values[CODE_PROPERTY] == "p2" and len(values[LINES_PROPERTY]) == 64
    assert invoke("p2", "-o", str(out), "--by", "Friday 14 March", "--contact", "the research team").exit_code == 0
    assert docx.Document(str(path)).core_properties.author == ""
    again = path.read_bytes()
    invoke("p2", "-o", str(out), "--by", "Friday 14 March", "--contact", "the research team")
    assert path.read_bytes() == again  # the same copy, the same bytes


def test_comments_and_changes_come_back_on_their_lines_and_the_returned_file_is_untouched(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    assert invoke("p1", "-o", str(out)).exit_code == 0
    returned = tmp_path / "returned.docx"
    participant(private / "p1.member-check.docx", returned)
    before = hashlib.sha256(returned.read_bytes()).hexdigest()
    read = invoke("-o", str(out), "--read", str(returned))
    assert read.exit_code == 0, read.output
    assert hashlib.sha256(returned.read_bytes()).hexdigest() == before
    csv_files = list(private.glob("p1.member-check.returned-*.csv"))
    assert len(csv_files) == 1 and csv_files[0].stat().st_mode & 0o777 == 0o600
    import csv

    with open(csv_files[0], encoding="utf-8-sig", newline="") as f:
        found = [(r["line"], r["last_line"], r["kind"], r["text"], r["author"]) for r in csv.DictReader(f)]
    assert found == [
        ("", "", "comment", "Happy to help.", "Participant"),  # on the cover page
        ("3", "3", "deletion", "spring", "Participant"),
        ("3", "3", "insertion", "autumn", "Participant"),
        ("4", "4", "comment", "I was more scared than nervous.", "Participant"),
        ("5", "5", "comments column", "The mentors were all volunteers.", ""),
        ("6", "6", "changed without tracking", "What has changed for you?", ""),
        ("7", "8", "comment", "Please do not quote this part.", "Participant"),
        ("7", "7", "deletion", "Um,", "Participant"),
    ]
    assert "line 4        comment: I was more scared than nervous." in read.output
    again = invoke("-o", str(out), "--read", str(returned))  # read twice: the same file, not a second one
    assert again.exit_code == 0 and len(list(private.glob("p1.member-check.returned-*.csv"))) == 1


def test_a_document_that_is_not_a_copy_or_whose_lines_changed_is_refused(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    stranger = tmp_path / "notes.docx"
    docx.Document().save(str(stranger))
    refused = invoke("-o", str(out), "--read", str(stranger))
    assert refused.exit_code == 1 and "is not a member-check copy made by transcribe" in refused.output
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    assert "is not a Word document" in invoke("-o", str(out), "--read", str(text_file)).output
    assert invoke("p1", "-o", str(out)).exit_code == 0
    sent = tmp_path / "sent.docx"
    sent.write_bytes((private / "p1.member-check.docx").read_bytes())
    correct_word(out, "p1", "actually", "really")  # the transcript is corrected after the copy was sent
    changed = invoke("-o", str(out), "--read", str(sent))
    assert changed.exit_code == 1
    assert "The transcript of p1 has changed since this copy was made (line 8 reads differently now)" in changed.output
    assert not list(private.glob("p1.member-check.returned-*.csv"))


def test_a_copy_needs_the_shareable_text_to_be_current(tmp_path, monkeypatch):
    out, private, _ = typed(tmp_path, monkeypatch)
    assert "There is no interview p9" in invoke("p9", "-o", str(out)).output
    from transcribe.edits import anchor, layer_path, save_layer
    from transcribe.storage import version_of
    from transcribe.transcript import Transcript

    raw = Transcript.from_json((private / "p1.identifiable.json").read_text())
    save_layer(private, raw.sha256, [{"kind": "word", "at": anchor(raw, 3, 2), "text": "often"}],
               version_of(layer_path(private, raw.sha256)))  # corrected, not yet applied
    stale = invoke("p1", "-o", str(out))
    assert stale.exit_code == 1 and "p1.txt is not up to date" in stale.output and "transcribe apply" in stale.output


# --- LibreOffice as the participant's word processor (slow: it runs soffice) ------------------------

UNO_SCRIPT = r'''
import subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

source, target, profile, pipe = sys.argv[1:5]

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "-env:UserInstallation=" + profile,
                           "--accept=pipe,name=" + pipe + ";urp;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            context = resolver.resolve("uno:pipe,name=" + pipe + ";urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.25)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
    document.RecordChanges = True  # Edit > Track Changes > Record Changes, as the cover page says
    table = document.TextTables.getByIndex(0)

    def replace(cell, old, new):
        text = table.getCellByName(cell).getText()
        search = document.createSearchDescriptor()
        search.SearchString = old
        found = document.findFirst(search)
        while found is not None and found.getText() != text:  # the words in that cell, not elsewhere
            found = document.findNext(found.getEnd(), search)
        found.setString(new)

    replace("C4", "spring", "autumn")  # line 3: a correction, recorded as a deletion and an insertion
    replace("C8", "Um, ", "")  # line 7: a deletion
    cell = table.getCellByName("C10").getText()  # line 9: words added at the end
    cell.insertString(cell.getEnd(), " That is all.", False)
    note = table.getCellByName("D6").getText()  # line 5: typed into the comments column
    note.insertString(note.getEnd(), "The mentors were all volunteers.", False)
    document.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", "Office Open XML Text"),))
    document.close(True)
    desktop.terminate()
finally:
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
'''


def uno_python():
    """A Python with LibreOffice's UNO bridge (Debian: python3-uno), found on the PATH."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / "python3"
        if candidate.is_file() and subprocess.run([str(candidate), "-c", "import uno"], capture_output=True).returncode == 0:
            return str(candidate)
    assert shutil.which("soffice"), "LibreOffice (soffice) is needed: apt-get install libreoffice-writer python3-uno"
    raise AssertionError("no python3 with LibreOffice's UNO bridge on the PATH: apt-get install python3-uno")


@pytest.mark.slow
def test_a_copy_commented_and_corrected_in_libreoffice_reads_back_on_the_right_lines(tmp_path, monkeypatch):
    import csv
    import subprocess

    out, private, _ = typed(tmp_path, monkeypatch)
    assert invoke("p1", "-o", str(out), "--by", "Friday 14 March").exit_code == 0
    # LibreOffice opens the copy, records the participant's corrections and saves it...
    script = tmp_path / "participant.py"
    script.write_text(UNO_SCRIPT)
    corrected = tmp_path / "corrected.docx"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([uno_python(), str(script), str(private / "p1.member-check.docx"), str(corrected), profile,
                    f"transcribe-{tmp_path.name}"], check=True, timeout=240)
    # ...comments are added as Word writes them (LibreOffice 7.4 run through UNO crashes on any document
    # with a comment, so its own comment dialog cannot be driven here)...
    commented = tmp_path / "commented.docx"
    document = docx.Document(str(corrected))
    lines = rows(document)
    document.add_comment(lines[4].cells[2].paragraphs[0].runs, text="I was more scared than nervous.",
                         author="Participant", initials="P")
    document.add_comment([lines[7].cells[2].paragraphs[0].runs[0], lines[8].cells[2].paragraphs[0].runs[-1]],
                         text="Please do not quote this part.", author="Participant", initials="P")
    document.save(str(commented))
    # ...and LibreOffice writes the file that comes back.
    converted = tmp_path / "returned"
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to", "docx",
                    "--outdir", str(converted), str(commented)], check=True, timeout=240, capture_output=True)
    returned = converted / "commented.docx"
    with zipfile.ZipFile(returned) as archive:
        written = archive.read("word/document.xml").decode()
        assert "<w:ins " in written and "<w:del " in written  # LibreOffice's own tracked changes
        assert archive.read("docProps/app.xml").decode().count("LibreOffice") >= 1
    assert properties(returned.read_bytes())[CODE_PROPERTY] == "p1"  # the marks survive LibreOffice

    read = invoke("-o", str(out), "--read", str(returned))
    assert read.exit_code == 0, read.output
    (csv_file,) = private.glob("p1.member-check.returned-*.csv")
    with open(csv_file, encoding="utf-8-sig", newline="") as f:
        found = [(r["line"], r["last_line"], r["kind"], r["text"]) for r in csv.DictReader(f)]
    assert found == [
        ("3", "3", "deletion", "spring"), ("3", "3", "insertion", "autumn"),
        ("4", "4", "comment", "I was more scared than nervous."),
        ("5", "5", "comments column", "The mentors were all volunteers."),
        ("7", "8", "comment", "Please do not quote this part."),
        ("7", "7", "deletion", "Um,"),
        ("9", "9", "insertion", "That is all."),
    ]


@pytest.mark.slow
def test_the_copy_prints_with_the_cover_alone_and_one_row_per_line(tmp_path, monkeypatch):
    import re
    import subprocess

    out, private, _ = typed(tmp_path, monkeypatch)
    assert invoke("p1", "-o", str(out), "--by", "Friday 14 March").exit_code == 0
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(private / "p1.member-check.docx")],
                   check=True, timeout=240, capture_output=True)
    pages = subprocess.run(["pdftotext", "-layout", str(tmp_path / "p1.member-check.pdf"), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    assert "Please send it back by Friday 14 March." in pages[0] and "What was said" not in pages[0]
    assert "What was said" in pages[1] and "Your comments" in pages[1]
    shared = {int(m.group(1)): m.group(2).strip() for m in re.finditer(r"^ *(\d+)  (?:\S+:)?\s*(.*)$",
                                                                        (out / "p1.txt").read_text(), re.M)}
    printed = {int(m.group(1)): m.group(2).strip() for m in re.finditer(r"^ *(\d+) (?:\S+:)?\s*(.*)$", pages[1], re.M)}
    # Each numbered line is one printed row: no cell wraps a line onto a second one.
    assert set(printed) == set(shared)
    assert printed[8] == shared[8] and printed[3] == shared[3].replace("[p1]", "Sarah Jones")


def test_the_demo_participant_s_copy_and_a_quote_from_recognised_speech(study_run, tmp_path):
    from typed_study import demo_copy
    from transcribe.writers.txt import read_numbered

    out, private = demo_copy(study_run, tmp_path)
    assert invoke("p1", "-o", str(out)).exit_code == 0
    copy_lines = {n: r.cells[2].text for n, r in rows(docx.Document(str(private / "p1.member-check.docx"))).items()}
    shared = {line.number: line.text for line in read_numbered((out / "p1.txt").read_text())}
    assert set(copy_lines) == set(shared)
    own = [n for n, text in shared.items() if "[p1]" in text]
    assert own and all("[p1]" not in copy_lines[n] for n in own)  # her own name, as recognised
    assert any("Sarah" in copy_lines[n] for n in own)
    # Every other line is the shareable text itself: other people, places and organisations hidden.
    assert all(copy_lines[n] == text for n, text in shared.items() if n not in own)
    assert any("[Name 1]" in copy_lines[n] for n in shared) and any("[Place 1]" in copy_lines[n] for n in shared)
    first = next(n for n, text in shared.items() if "less alone" in text)
    quoted = CliRunner().invoke(cli, ["quote", "p1", f"{first - 1}-{first}", "--words", "it is mostly about [...] less alone",
                                      "-o", str(out)])
    assert quoted.exit_code == 0, quoted.output
    assert quoted.output.strip() == f"“it is mostly about [...] less alone” (p1, lines {first - 1}–{first})"
