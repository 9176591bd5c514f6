"""Text for QualCoder, linked to its audio file.

QualCoder reads ``[hh:mm:ss]`` time stamps and ``name:`` speaker names in the transcript of an
audio or video file (QualCoder documentation 3.2 Files, research anchors §3.1-3.2). Each turn is one
paragraph that starts with the time the turn starts, then the speaker, so the speaker label belongs
to the stretch of audio it introduces.
"""

from __future__ import annotations

from typing import IO

from ..transcript import format_timestamp
from .base import Document, Writer
from .turns import spoken_turns


class QualCoderWriter(Writer):
    extension = "qualcoder.txt"

    def write(self, document: Document, file: IO) -> None:
        for turn, text in spoken_turns(document.transcript):
            file.write(f"[{format_timestamp(turn.start)}] {turn.speaker}: {text}\n\n")
