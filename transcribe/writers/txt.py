"""The line-numbered plain text: the main deliverable for line-by-line coding."""

from __future__ import annotations

from typing import IO

from .base import Document, Writer


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
