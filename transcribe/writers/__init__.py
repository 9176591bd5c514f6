"""Output formats: one module per format behind the small `Writer` interface."""

from __future__ import annotations

from .atlasti import ATLASWriter
from .base import Document, Writer
from .docx import DocxWriter
from .json import JSONWriter
from .maxqda import MAXQDAWriter
from .nvivo import NVivoWriter
from .qualcoder import QualCoderWriter
from .srt import SRTWriter
from .txt import TextWriter
from .vtt import VTTWriter

WRITERS: dict[str, type[Writer]] = {
    "txt": TextWriter,
    "json": JSONWriter,
    "docx": DocxWriter,
    "maxqda": MAXQDAWriter,
    "nvivo": NVivoWriter,
    "qualcoder": QualCoderWriter,
    "atlasti": ATLASWriter,
    "srt": SRTWriter,
    "vtt": VTTWriter,
}
DEFAULT_FORMATS = ("txt", "json")
# Formats of the whole study, written after every interview: the REFI-QDA project (its sources are
# the numbered text files, so it brings txt with it). Not part of "all": the private project holds a
# copy of every recording.
STUDY_FORMATS = ("qdpx",)


def parse_formats(value: str) -> list[str]:
    """'txt,docx' or 'all' -> validated list of format names, in a stable order."""
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if "all" in names:
        names = [*WRITERS, *(n for n in names if n in STUDY_FORMATS)]
    unknown = [n for n in names if n not in WRITERS and n not in STUDY_FORMATS]
    if unknown or not names:
        raise ValueError(f"unknown format {', '.join(unknown) or repr(value)}; choose from "
                         f"{', '.join([*WRITERS, *STUDY_FORMATS])} or all")
    if "qdpx" in names:
        names.append("txt")
    return list(dict.fromkeys(names))


def get_writer(name: str) -> Writer:
    return WRITERS[name]()


__all__ = ["Document", "Writer", "WRITERS", "DEFAULT_FORMATS", "STUDY_FORMATS", "get_writer", "parse_formats"]
