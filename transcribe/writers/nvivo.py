"""Tab-separated rows for NVivo's transcript import ("Import Transcript Entries").

NVivo imports a tab-delimited text file with a header row, mapping one column to Timespan and one
to Content, and optionally one to Speaker (research anchors §3.2, NVivo 9/12 help). One row per
turn; the time span is ``hh:mm:ss.s-hh:mm:ss.s``, NVivo's precision of a tenth of a second. A field
that holds a double quote is quoted as spreadsheets expect. The extension is .txt because that is
what NVivo's import dialog offers.
"""

from __future__ import annotations

import csv
from typing import IO

from .base import Document, Writer
from .turns import clock, spoken_turns, tenths

HEADER = ("Timespan", "Speaker", "Content")


class NVivoWriter(Writer):
    extension = "nvivo.txt"

    def write(self, document: Document, file: IO) -> None:
        rows = csv.writer(file, delimiter="\t", lineterminator="\n")
        rows.writerow(HEADER)
        for turn, text in spoken_turns(document.transcript):
            start = tenths(turn.start)
            end = max(tenths(turn.end), start + 1)
            rows.writerow((f"{clock(start)}-{clock(end)}", turn.speaker, text))
