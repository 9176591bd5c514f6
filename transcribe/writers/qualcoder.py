"""Text for QualCoder, pasted or loaded as the transcript of its audio file.

QualCoder finds ``[hh:mm:ss]`` time stamps anywhere in a transcript (view_av.py,
get_timestamps_from_transcription; not ``#hh:mm:ss-d#``), and its "Mark speakers" takes a
``Name:`` at the very start of a line as the speaker (QualCoder documentation 3.2 Files and 4.1
Coding Text). So each turn is one paragraph that starts with the speaker, then the time the turn
starts: ``p1: [00:01:02] text``. A time stamp at the start of the line would itself be read as a
speaker named "00:01:02". QualCoder reads UTF-8 on every system, so no byte order mark.
"""

from __future__ import annotations

from typing import IO

from ..timecode import clock
from .base import Document, Writer
from .turns import spoken_turns


class QualCoderWriter(Writer):
    extension = "qualcoder.txt"

    def write(self, document: Document, file: IO) -> None:
        for turn, text in spoken_turns(document.transcript):
            file.write(f"{turn.speaker}: [{clock(turn.start)}] {text}\n\n")
