"""WebVTT subtitles with the speaker in a voice tag (``<v p5>``) and the header as a NOTE."""

from __future__ import annotations

from html import escape
from typing import IO

from ..timecode import clock_ms
from .base import Document, Writer
from .cues import cues


class VTTWriter(Writer):
    extension = "vtt"

    def write(self, document: Document, file: IO) -> None:
        file.write("WEBVTT\n\nNOTE\n" + "\n".join(document.header()) + "\n\n")
        for cue in cues(document.transcript):
            voice, text = escape(cue.speaker, quote=False), escape("\n".join(cue.lines), quote=False)
            file.write(f"{clock_ms(cue.start, '.')} --> {clock_ms(cue.end, '.')}\n<v {voice}>{text}\n\n")
