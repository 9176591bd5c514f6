"""Tab-separated rows for NVivo's transcript import ("Import Transcript Entries").

NVivo imports a text file of tab-delimited lines, each with a valid timestamp or timespan and the
same number of tabs, mapping one column to Timespan and one to Content, and optionally one to
Speaker (NVivo help, research anchors §3.2). One row per turn under a header row; the time span is
``hh:mm:ss.s-hh:mm:ss.s``, NVivo's precision of a tenth of a second. Fields are written as they
are, never quoted (NVivo documents no quoting for tab-delimited lines): a turn's text holds no tab
or line break. NVivo runs on Windows, so the file starts with a UTF-8 byte order mark. The
extension is .txt because that is what NVivo's import dialog offers.
"""

from __future__ import annotations

from typing import IO

from ..timecode import clock_tenths, tenths
from .base import UTF8_BOM, Document, Writer
from .turns import spoken_turns

HEADER = ("Timespan", "Speaker", "Content")


def _field(text: str) -> str:
    return " ".join(text.split())  # no tab or line break can shift a column


class NVivoWriter(Writer):
    extension = "nvivo.txt"

    def write(self, document: Document, file: IO) -> None:
        file.write(UTF8_BOM + "\t".join(HEADER) + "\n")
        for turn, text in spoken_turns(document.transcript):
            start = tenths(turn.start)
            end = max(tenths(turn.end), start + 1)
            file.write("\t".join((f"{clock_tenths(start)}-{clock_tenths(end)}", _field(turn.speaker), _field(text))) + "\n")
