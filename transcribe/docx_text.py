"""The text of a Word document (.docx) as its reader sees the final version, line by line.

python-docx's ``paragraph.text`` leaves out runs inside tracked insertions and reads only the
paragraphs outside tables, so a transcript typed with track changes on, or laid out as a table,
lost words or whole turns. Here the body is read in document order: paragraphs, and tables row by
row (the cells of a row on one line); tracked insertions count as written, tracked deletions and
moved-away text do not (the changes accepted); field codes are left out, their results kept.
Page headers, footers, footnotes and comments are not transcript text and are not read.

A .docx is a zip archive: the document part is read with a size cap, so a small file that
unpacks to hundreds of megabytes is refused instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile

from .errors import TranscribeError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_DOCUMENT_BYTES = 64 * 2**20  # the unpacked document part
# Text inside these is not in the final version (tracked deletions, text moved elsewhere).
REMOVED = (f"{W}del", f"{W}moveFrom")
NOT_READ = ("header", "footer", "footnotes", "endnotes", "comments")


def body_lines(data: bytes, name: str) -> list[str]:
    """The lines of the document's body, as the reader of the final version sees them."""
    from lxml import etree

    xml = _document_part(data, name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise TranscribeError(f"{name} is damaged: its text cannot be read ({error}).") from None
    body = root.find(f"{W}body")
    lines: list[str] = []
    for block in _blocks(body if body is not None else root):
        if block.tag == f"{W}tbl":
            for row in block.iter(f"{W}tr"):
                cells = [" ".join(_paragraph_text(p) for p in cell.iter(f"{W}p")) for cell in row.iter(f"{W}tc")]
                lines.append(" ".join(c.strip() for c in cells if c.strip()))
        else:
            lines.extend(_paragraph_text(block).splitlines() or [""])
    return lines


def _document_part(data: bytes, name: str) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError):
        raise TranscribeError(f"{name} is not a Word document (.docx): open it in Word or LibreOffice and save it "
                              "as .docx, or save it as plain text (.txt), and import it again.") from None
    if info.file_size > MAX_DOCUMENT_BYTES:
        raise TranscribeError(f"{name} unpacks to {info.file_size // 2**20} MB of text, more than a transcript can "
                              "be; it was not read.")
    with archive.open(info) as part:  # the size in the archive's directory may lie: read no more than the cap
        xml = part.read(MAX_DOCUMENT_BYTES + 1)
    if len(xml) > MAX_DOCUMENT_BYTES:
        raise TranscribeError(f"{name} unpacks to more than {MAX_DOCUMENT_BYTES // 2**20} MB of text; it was not read.")
    return xml


def _blocks(container):
    """Paragraphs and tables of a body in document order, content controls opened."""
    for child in container:
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _paragraph_text(paragraph) -> str:
    parts = []
    for element in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if any(ancestor.tag in REMOVED for ancestor in element.iterancestors()):
            continue
        if element.tag == f"{W}t":
            parts.append(element.text or "")
        elif element.tag == f"{W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)
