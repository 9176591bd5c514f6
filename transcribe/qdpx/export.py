"""The study's REFI-QDA projects from its output folders: the wiring between the rendered files and
:mod:`.project`.

Each interview's source text is its numbered text file exactly as written (the shareable `p3.txt`,
already through the safety net; the private project takes `p3.identifiable.txt`, on the same
lines). Its turns come from the line breaks the renderer recorded in owned.json, their times and
speakers from the transcript with the researcher's corrections; a text whose lines do not match
is left out, with the reason. The recording goes into the private project only when the study
file gives it for the interview and it is the one transcribed (same SHA-256).

The shareable project is written only if nothing it adds to the texts (names of codes and cases,
variables, the methods note) holds a name the study knows; otherwise an older one is removed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..anonymise.text_check import readable_names
from ..audio import AUDIO_EXTENSIONS, file_sha256
from ..errors import TranscribeError
from ..folders import METHODS, STUDY_PROJECT, STUDY_PROJECT_WITH_AUDIO
from ..owned import OwnedFiles
from ..study import code_order
from ..transcript import Transcript
from ..writers.txt import NUMBERED
from .project import Interview, Study, Turn, checked_texts, write_qdpx

FORMAT = "qdpx"


@dataclass
class Written:
    """What was written; why the shareable project was not (the safety net found a name), and each
    interview or file left out, with why (codes only, never a name)."""

    shareable: Path | None = None
    private: Path | None = None
    refusal: str | None = None
    problems: list[str] = field(default_factory=list)


def numbered_turns(text: str, breaks: list[list[int]], transcript: Transcript) -> tuple[Turn, ...]:
    """The turns of a numbered text as the text writer wrote it: its last lines are the page's lines,
    and `breaks` gives each line's turn (as the render recorded it). Raises ValueError if they differ."""
    lines = text.splitlines(keepends=True)
    if not breaks or len(lines) < len(breaks):
        raise ValueError("it has fewer lines than were laid out")
    offset = sum(len(line) for line in lines[: len(lines) - len(breaks)])
    turns: list[Turn] = []
    current = None  # [turn index, start, end, first line, last line]
    for number, (line, (turn_index, *_)) in enumerate(zip(lines[len(lines) - len(breaks):], breaks), start=1):
        match = NUMBERED.match(line)
        if not match or int(match.group(1)) != number:
            raise ValueError(f"line {number} is not where it was laid out")
        end = offset + len(line.rstrip("\n"))
        if current is None or current[0] != turn_index:
            speaker = transcript.turns[turn_index].speaker
            if not line[match.end():].startswith(f"{speaker}:"):
                raise ValueError(f"line {number} does not start the turn of {speaker}")
            if current is not None:
                turns.append(_turn(current, transcript))
            current = [turn_index, offset + match.end(), end, number, number]
        else:
            current[2], current[4] = end, number
        offset += len(line)
    turns.append(_turn(current, transcript))
    return tuple(turns)


def _turn(current: list[int], transcript: Transcript) -> Turn:
    index, start, end, first, last = current
    turn = transcript.turns[index]
    return Turn(turn.speaker, start, end, round(turn.start * 1000), round(turn.end * 1000), (first, last))


def asked(formats: list[str], owned: OwnedFiles) -> bool:
    """Whether the projects are to be written: `formats` asks for them, or they were written before
    (kept current, like every format of an interview)."""
    return FORMAT in formats or any(e.get("format") == FORMAT for e in owned.entries.values())


def write_projects(owned: OwnedFiles, anonymiser) -> Written:
    """Write `study.qdpx` (shareable) and `study-with-audio.qdpx` (private) from the folders of
    `owned`; `anonymiser` gives the study and each transcript with its corrections."""
    folders, study = owned.folders, anonymiser.study
    written = Written()
    shareable, identifiable = [], []
    for code in sorted(owned.codes(), key=code_order):
        if "txt" not in owned.shared_files(code):
            continue
        try:
            public, private_interview, problem = _interview(code, owned, anonymiser)
        except OSError as error:  # its text is no name, but a recording's file name may be one
            written.problems.append(f"{code}: left out of the projects ({error.strerror or type(error).__name__})")
            continue
        except (ValueError, KeyError, IndexError, TranscribeError) as error:
            written.problems.append(f"{code}: left out of the projects ({error})")
            continue
        shareable.append(public)
        identifiable.append(private_interview)
        if problem:
            written.problems.append(problem)
    if not shareable:
        written.problems.append("no interview has a numbered text to put into a project")
        return written
    methods = folders.out / METHODS
    note = methods.read_text(encoding="utf-8") if methods.is_file() and owned.owns(methods) else None
    common = dict(interviewer_label=study.interviewer_label, variables=study.variables, note=note,
                  origin=f"transcribe {__version__}")
    project = Study(tuple(shareable), **common)
    leaks = readable_names(checked_texts(project), study, folders)
    target = folders.out / STUDY_PROJECT
    if leaks:
        owned.remove(target)
        written.refusal = (f"not written: a name the study knows is readable in {leaks[0]}; change it in the "
                           "study file and run again")
    else:
        buffer = io.BytesIO()
        write_qdpx(project, buffer)
        if owned.write(target, buffer.getvalue(), code=None, fmt=FORMAT):
            written.shareable = target
        else:
            written.problems.append(f"{STUDY_PROJECT} was changed after transcribe wrote it; left as it is")
    full = Study(tuple(identifiable), **common)
    target = folders.private / STUDY_PROJECT_WITH_AUDIO
    if owned.write_stream(target, lambda file: write_qdpx(full, file, with_audio=True), code=None, fmt=FORMAT,
                          private=True):
        written.private = target
    else:
        written.problems.append(f"{STUDY_PROJECT_WITH_AUDIO} was changed after transcribe wrote it; left as it is")
    return written


def _interview(code: str, owned: OwnedFiles, anonymiser):
    folders, study = owned.folders, anonymiser.study
    text_path, private_path = folders.shareable(code, "txt"), folders.identifiable(code, "txt")
    for path in (text_path, private_path):
        if not path.is_file() or not owned.owns(path):
            raise ValueError(f"{path.name} is missing or was changed after transcribe wrote it")
    breaks = owned.meta.get("lines", {}).get(code, {}).get("breaks")
    if not breaks:
        raise ValueError("its line breaks are not recorded; run `transcribe apply` first")
    raw = Transcript.from_json(folders.identifiable(code).read_text(encoding="utf-8"))
    transcript = anonymiser.prepare(raw, shareable=False).transcript  # the researcher's corrections
    entry = next((i for i in study.interviews if i.code == code), None)
    cases = tuple(entry.codes) if entry else (code,)
    text, private_text = text_path.read_text(encoding="utf-8"), private_path.read_text(encoding="utf-8")
    public = Interview(code, cases, text, numbered_turns(text, breaks, transcript), transcript.processed)
    recording = _recording(entry, transcript)
    problem = None if recording or transcript.imported else (
        f"{code}: its recording is not in the private project (the study file does not give the recording that was "
        "transcribed); its transcript is there as text")
    identifiable = Interview(code, cases, private_text, numbered_turns(private_text, breaks, transcript),
                             transcript.processed, recording)
    return public, identifiable, problem


def _recording(entry, transcript: Transcript) -> Path | None:
    """The study file's recording of this interview, if it is the one that was transcribed."""
    if entry is None or entry.audio.suffix.lower() not in AUDIO_EXTENSIONS or not entry.audio.is_file():
        return None
    return entry.audio if file_sha256(entry.audio) == transcript.sha256 else None
