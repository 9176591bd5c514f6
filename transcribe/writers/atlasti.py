"""A synchronised transcript for ATLAS.ti: SubRip with one cue per speaker turn.

ATLAS.ti links a transcript to its audio and highlights "the text segment between two
timestamps" while the audio plays (ATLAS.ti manual, Working with Multimedia Transcripts); subtitle
files are the timed form it takes beside its own. Unlike the `srt` format, whose cues are cut to
two short lines for a player, each cue here is a whole turn, "p1: text", so a segment to code is
what the speaker said. For line-by-line coding, import the `docx` as a text document. ATLAS.ti
runs on Windows, so the file starts with a UTF-8 byte order mark.
"""

from __future__ import annotations

from typing import IO

from ..timecode import clock_ms
from .base import UTF8_BOM, Document, Writer
from .turns import spoken_turns


class ATLASWriter(Writer):
    extension = "atlasti.srt"

    def write(self, document: Document, file: IO) -> None:
        file.write(UTF8_BOM)
        previous = 0
        for number, (turn, text) in enumerate(spoken_turns(document.transcript), start=1):
            start = max(round(turn.start * 1000), previous)
            end = max(round(turn.end * 1000), start + 1)
            previous = start
            file.write(f"{number}\n{clock_ms(start, ',')} --> {clock_ms(end, ',')}\n{turn.speaker}: {text.replace('-->', '->')}\n\n")
