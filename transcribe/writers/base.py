"""The interface every output format implements (after openai-whisper's ResultWriter)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import IO

from ..layout import Page
from ..timecode import duration_in_words
from ..transcript import Transcript

# Written first in the files meant for Windows programs (MAXQDA, NVivo, ATLAS.ti), which read a
# text file without one in the local code page and so garble every non-ASCII letter.
UTF8_BOM = "\ufeff"


@dataclass
class Document:
    """What a writer renders: one version of a transcript, laid out on its numbered lines."""

    transcript: Transcript
    page: Page

    def header(self) -> list[str]:
        """Title lines: participant code, duration, date, model. Nothing identifiable."""
        t = self.transcript
        model = t.recognition.get("name", "unknown model")
        kind = "anonymised" if t.anonymised else "IDENTIFIABLE - do not share"
        length = f"Duration {duration_in_words(t.duration)}" if t.timed else "Duration not known (no times in the file)"
        return [
            f"Interview {t.code} ({kind})",
            f"{length}, processed {t.processed}, "
            + t.recognition.get("description", f"Whisper {model}"),  # imported: how
        ]


class Writer(ABC):
    """Writes a Document to an open file. Subclasses set `extension` and implement `write`."""

    extension: str = ""
    binary: bool = False

    @abstractmethod
    def write(self, document: Document, file: IO) -> None:
        """Render `document` into `file` (text mode unless `binary`)."""
