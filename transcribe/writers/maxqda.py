"""Text for MAXQDA's "Import > Transcripts > Transcript with Timestamps", linked to the audio.

Follows the f4/Dresing & Pehl convention (research anchors §3.1-3.2): one paragraph per speaker
turn starting with the speaker label and a colon ("I: ", "p5: "), which MAXQDA's focus-group import
also reads as the speaker, and the time mark ``#hh:mm:ss-d#`` (d = tenths) at the end of every
paragraph. As in f4, a paragraph's mark is the time its turn ends, so the audio between two marks is
the paragraph between them. No header: a stray time in it would be read as a time mark.
"""

from __future__ import annotations

from typing import IO

from .base import Document, Writer
from .turns import clock, spoken_turns, tenths


class MAXQDAWriter(Writer):
    extension = "maxqda.txt"

    def write(self, document: Document, file: IO) -> None:
        mark = 0
        for turn, text in spoken_turns(document.transcript):
            mark = max(mark, tenths(turn.end))  # marks must run forward even where turns overlap
            file.write(f"{turn.speaker}: {text} #{clock(mark, '-')}#\n\n")
