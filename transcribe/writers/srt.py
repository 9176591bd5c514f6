"""SubRip subtitles: numbered cues, each starting with the speaker label ("p5: ...")."""

from __future__ import annotations

from typing import IO

from .base import Document, Writer
from .cues import cues


def srt_time(ms: int) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


class SRTWriter(Writer):
    extension = "srt"

    def write(self, document: Document, file: IO) -> None:
        for number, cue in enumerate(cues(document.transcript), start=1):
            text = "\n".join([f"{cue.speaker}: {cue.lines[0]}", *cue.lines[1:]]).replace("-->", "->")
            file.write(f"{number}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n{text}\n\n")
