"""SubRip subtitles: numbered cues, each starting with the speaker label ("p5: ...")."""

from __future__ import annotations

from typing import IO

from ..timecode import clock_ms
from .base import Document, Writer
from .cues import cues


class SRTWriter(Writer):
    extension = "srt"

    def write(self, document: Document, file: IO) -> None:
        for number, cue in enumerate(cues(document.transcript), start=1):
            text = "\n".join([f"{cue.speaker}: {cue.lines[0]}", *cue.lines[1:]]).replace("-->", "->")
            file.write(f"{number}\n{clock_ms(cue.start, ',')} --> {clock_ms(cue.end, ',')}\n{text}\n\n")
