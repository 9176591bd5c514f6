"""The canonical JSON transcript."""

from __future__ import annotations

from typing import IO

from .base import Document, Writer


class JSONWriter(Writer):
    extension = "json"

    def write(self, document: Document, file: IO) -> None:
        file.write(document.transcript.to_json(drop_empty_words=True))
