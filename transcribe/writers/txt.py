"""The line-numbered plain text: the main deliverable for line-by-line coding; and its numbered
lines read back (quotes and member-check copies are taken from the text as written)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from ..errors import TranscribeError
from .base import Document, Writer

# How a numbered line starts: its number, right-aligned in the gutter, and the gap after it.
NUMBERED = re.compile(r" *(\d+)  ")


class TextWriter(Writer):
    extension = "txt"

    def write(self, document: Document, file: IO) -> None:
        for line in document.header():
            file.write(line + "\n")
        file.write("\n")
        for note in document.transcript.notes:
            file.write(f"Note: {note}\n")
        if document.transcript.notes:
            file.write("\n")
        for line in document.page.lines:
            file.write(document.page.render_line(line) + "\n")


@dataclass(frozen=True)
class NumberedLine:
    """One numbered line of a text as written: its number, the speaker it starts (or None), its text."""

    number: int
    speaker: str | None
    text: str


def read_numbered(text: str) -> list[NumberedLine]:
    """The numbered lines of a text file the text writer wrote: its last, continuous run of lines
    that start with a line number (the header above them is left out)."""
    raw = text.splitlines()
    body: list[str] = []
    for line in reversed(raw):
        match = NUMBERED.match(line)
        if not match or (body and int(match.group(1)) != int(NUMBERED.match(body[-1]).group(1)) - 1):
            break
        body.append(line)
    body.reverse()
    if not body or int(NUMBERED.match(body[0]).group(1)) != 1:
        raise TranscribeError("this is not a numbered transcript written by transcribe (no lines numbered from 1)")
    # Every line's text starts in one column: after the widest "label:" and its gap.
    column = next((m.end() for m in (re.match(r" *\d+  \S+:\s+", line) for line in body) if m), None)
    if column is None:
        raise TranscribeError("this numbered transcript has no speaker labels")
    lines = []
    for line in body:
        number = NUMBERED.match(line)
        label = line[number.end():column].strip()
        lines.append(NumberedLine(int(number.group(1)), label[:-1] if label.endswith(":") else None,
                                  line[column:].strip()))
    return lines
