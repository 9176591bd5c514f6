"""Text for MAXQDA's "Import > Transcripts > Transcript with Timestamps", linked to the audio.

Follows the f4/Dresing & Pehl convention (research anchors §3.1-3.2): one paragraph per speaker
turn starting with the speaker label and a colon ("I: ", "p5: "), which MAXQDA's focus-group import
also reads as the speaker, and the time mark ``#hh:mm:ss-d#`` (d = tenths) at the end of every
paragraph. As in f4, a paragraph's mark is the time its turn ends, so the audio between two marks is
the paragraph between them.

MAXQDA reads any ``hh:mm:ss`` in the text as a time mark, so the file holds no other: no header,
``[inaudible]`` and ``[crosstalk]`` without their times, and a time said in the interview
("at 10:30:00") written with a ratio sign (U+2236) instead of colons. MAXQDA runs on Windows, so
the file starts with a UTF-8 byte order mark.
"""

from __future__ import annotations

import re
from typing import IO

from ..timecode import clock_tenths, tenths
from .base import UTF8_BOM, Document, Writer
from .turns import spoken_turns

MARKER_TIME = re.compile(r"\[(inaudible|crosstalk) \d\d:\d\d:\d\d\]")
CLOCK_TIME = re.compile(r"\d{1,2}:\d\d:\d\d")


def without_time_marks(text: str) -> str:
    """`text` with nothing MAXQDA would take for a time mark."""
    text = MARKER_TIME.sub(r"[\1]", text)
    return CLOCK_TIME.sub(lambda m: m.group().replace(":", "\u2236"), text)


class MAXQDAWriter(Writer):
    extension = "maxqda.txt"

    def write(self, document: Document, file: IO) -> None:
        file.write(UTF8_BOM)
        mark = 0
        for turn, text in spoken_turns(document.transcript):
            mark = max(mark, tenths(turn.end))  # marks must run forward even where turns overlap
            file.write(f"{turn.speaker}: {without_time_marks(text)} #{clock_tenths(mark, '-')}#\n\n")
