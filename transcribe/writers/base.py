"""The interface every output format implements (after openai-whisper's ResultWriter)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import IO

from ..layout import Page
from ..transcript import Transcript, format_timestamp


@dataclass
class Document:
    """What a writer renders: one version of a transcript, laid out on its numbered lines."""

    transcript: Transcript
    page: Page

    def header(self) -> list[str]:
        """Title lines: participant code, duration, date, model. Nothing identifiable."""
        t = self.transcript
        model = t.models.get("recognition", {}).get("name", "unknown model")
        kind = "anonymised" if t.anonymised else "IDENTIFIABLE - do not share"
        return [
            f"Interview {t.code} ({kind})",
            f"Duration {format_timestamp(t.duration)}, processed {t.processed}, Whisper {model}",
        ]


class Writer(ABC):
    """Writes a Document to an open file. Subclasses set `extension` and implement `write`."""

    extension: str = ""
    binary: bool = False

    @abstractmethod
    def write(self, document: Document, file: IO) -> None:
        """Render `document` into `file` (text mode unless `binary`)."""
