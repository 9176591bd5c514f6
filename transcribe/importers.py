"""Transcripts made elsewhere (typed by hand, noScribe, aTrain, Word, subtitles) read as Transcripts.

A transcript file is a sequence of turns, each starting with a speaker label: ``Sarah: …``,
``I: …``, ``[00:01:02] Speaker 1: …``, a WebVTT voice tag ``<v Sarah>``, or the label alone on a
line before the turn's text. Lines without a label continue the turn before. The labels become the
study's labels (the interviewer's label and the interview's participant code), the words become
``Word``s (times spread over each cue when the file has times, zero when it has none), and nothing
of the file's name or its labels reaches the transcript's shareable parts.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import __version__
from .errors import TranscribeError
from .study import Person
from .text import normalise
from .timecode import parse
from .transcript import Transcript, Turn, Word

IMPORT_EXTENSIONS = (".txt", ".docx", ".srt", ".vtt")
# Labels that name a role, not a person: never added to the roster as names.
INTERVIEWER_LABELS = {"i", "int", "interviewer", "iv", "q", "moderator", "facilitator", "researcher"}
GENERIC_LABEL = re.compile(r"(?i)(?:i|int|iv|q|a|r|b|interviewer|interviewee|respondent|participant|moderator|"
                           r"facilitator|researcher|speaker|spk|s|p|person|unknown)[ _-]?\d{0,3}|speaker_\d+|\d+")
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_STAMP = re.compile(rf"^\s*[\[(]?({_TIME})[\])]?\s*")
_LABEL = re.compile(rf"^(?P<label>[^\s:\[\]()#<>][^:\[\]#<>]{{0,39}}?)\s*(?:[\[(](?P<time>{_TIME})[\])])?\s*:\s*(?P<text>.*)$")
_TIME_MARK = re.compile(r"#\d{1,2}:\d{2}:\d{2}(?:[-.,]\d+)?#")  # f4/MAXQDA marks, anywhere in a line
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")
_BROKEN_WORD = re.compile(r"[^\W\d_]-$")  # a letter, then a hyphen at the end of the line
# Typed transcripts are small: a cap keeps a wrong file (a video, a disk image) from filling memory.
MAX_INPUT_BYTES = 20 * 2**20


def read_input(path: Path) -> bytes:
    """The bytes of a transcript file: a regular file (not a pipe, device or link to one) of at
    most MAX_INPUT_BYTES; anything else is refused with a reason."""
    import stat

    try:
        info = path.stat()
    except OSError as error:
        raise TranscribeError(f"{path.name} cannot be read ({error.strerror or error}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise TranscribeError(f"{path.name} is not a regular file (a pipe, a device or a folder); transcripts are "
                              "read from ordinary files only.")
    if info.st_size > MAX_INPUT_BYTES:
        raise TranscribeError(f"{path.name} is {info.st_size / 2**20:.0f} MB, larger than a typed transcript "
                              f"can be ({MAX_INPUT_BYTES // 2**20} MB); is it the right file?")
    if info.st_size == 0:
        raise TranscribeError(f"{path.name} is empty.")
    with open(path, "rb") as f:
        return f.read(MAX_INPUT_BYTES + 1)


@dataclass
class Utterance:
    """One stretch of a transcript file: who (as the file labels them, or None), what, when."""

    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None


@dataclass
class Imported:
    transcript: Transcript
    labels: dict[str, str]  # the file's label -> the study's label (identifiable: private only)
    people: list[Person]  # labels that are people's names, for detection and the study key
    warnings: list[str] = field(default_factory=list)  # for the researcher, about the file's layout


def _plausible_label(label: str) -> bool:
    words = label.split()
    return (0 < len(words) <= 4 and not re.search(r"[.?!,;\"“”]", label)
            and (label[:1].isupper() or label[:1].isdigit() or GENERIC_LABEL.fullmatch(label) is not None))


def _split_label(line: str, known: set[str] | None) -> tuple[str | None, str | None, str]:
    """(label, time, text) of a line that starts a turn, else (None, time, text).

    With `known` None every plausible label counts (the first pass that collects candidates).
    """
    time, rest = None, line
    stamp = _STAMP.match(line)
    if stamp:
        time, rest = stamp.group(1), line[stamp.end():]
    match = _LABEL.match(rest)
    if match and _plausible_label(match.group("label").strip()):
        label = match.group("label").strip()
        if known is None or label in known:
            return label, time or match.group("time"), match.group("text")
    if stamp and stamp.group(0).lstrip()[:1] in "[(":
        return None, time, rest  # a bracketed time mark before running text
    return None, None, line


def cues_from_lines(lines: list[str], roster: set[str] = frozenset()) -> list[Utterance]:
    """Turns from plain lines (a .txt file, a Word document's paragraphs).

    A label counts only where it starts at least two turns, or names a role or a roster person,
    so "He said: …" in running text is not taken for a speaker. A word hyphenated across a line
    break ("Mar-" then "garet") is joined again.
    """
    lines = _join_hyphenation([_TIME_MARK.sub("", normalise(line)).rstrip() for line in lines])
    candidates = Counter()
    for line in lines:
        label, _, text = _split_label(line, None)
        if label:
            candidates[label] += 1
        elif line.strip().endswith(":") and _plausible_label(line.strip()[:-1].strip()):
            candidates[line.strip()[:-1].strip()] += 1
    known = {label for label, n in candidates.items()
             if n >= 2 or GENERIC_LABEL.fullmatch(label) or label.casefold() in INTERVIEWER_LABELS
             or label.casefold() in roster}
    cues: list[Utterance] = []
    for line in lines:
        if not line.strip():
            continue
        alone = line.strip()[:-1].strip() if line.strip().endswith(":") else None
        if alone in known:
            cues.append(Utterance(alone, ""))
            continue
        label, time, text = _split_label(line, known)
        start = parse(time) if time else None
        if label is not None:
            cues.append(Utterance(label, text.strip(), start))
        elif cues:
            cues[-1].text = f"{cues[-1].text} {text.strip()}".strip()
        else:
            cues.append(Utterance(None, text.strip(), start))
    return [c for c in cues if c.text]


def _join_hyphenation(lines: list[str]) -> list[str]:
    """Lines with a word broken at a line-end hyphen joined to the next line's first word."""
    joined: list[str] = []
    for line in lines:
        if joined and _BROKEN_WORD.search(joined[-1]) and line[:1].islower():
            joined[-1] = joined[-1][:-1] + line
        else:
            joined.append(line)
    return joined


def read_txt(path: Path, roster: set[str] = frozenset()) -> list[Utterance]:
    return cues_from_lines(decode_text(read_input(path), path.name).splitlines(), roster)


def decode_text(raw: bytes, name: str) -> str:
    """Text saved as UTF-8 (with or without a byte order mark) or in Windows' Western code page."""
    for encoding in ("utf-8-sig", "cp1252"):  # Windows editors still save in the local code page
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TranscribeError(f"{name} is neither UTF-8 nor Windows-1252 text. Save it as UTF-8 (in Notepad: "
                          "Save as, Encoding UTF-8) and import it again.")


def read_docx(path: Path, roster: set[str] = frozenset()) -> list[Utterance]:
    from .docx_text import body_lines

    return cues_from_lines(body_lines(read_input(path), path.name), roster)


def _subtitle_cue(text: str, start: float, end: float, voice: str | None = None) -> Utterance:
    text = " ".join(_TAG.sub("", text).split())
    if voice:
        return Utterance(voice.strip(), text, start, end)
    match = re.match(r"^\s*(?:-\s*)?(?:\[([^\]]{1,40})\]|([^:\[\]]{1,40}?)\s*:)\s*(.*)$", text)
    if match and _plausible_label((match.group(1) or match.group(2)).strip()):
        return Utterance((match.group(1) or match.group(2)).strip(), match.group(3), start, end)
    return Utterance(None, text, start, end)


def read_srt(path: Path, roster: set[str] = frozenset()) -> list[Utterance]:
    import srt

    try:
        subtitles = list(srt.parse(normalise(decode_text(read_input(path), path.name))))
    except (srt.SRTParseError, ValueError) as error:
        raise TranscribeError(f"{path.name} is not a readable SubRip file ({error}).") from None
    return [_subtitle_cue(s.content, s.start.total_seconds(), s.end.total_seconds()) for s in subtitles]


def read_vtt(path: Path, roster: set[str] = frozenset()) -> list[Utterance]:
    import webvtt

    try:
        captions = webvtt.from_string(normalise(decode_text(read_input(path), path.name)))
    except Exception as error:  # webvtt-py raises its own MalformedFileError and others
        raise TranscribeError(f"{path.name} is not a readable WebVTT file ({error}).") from None
    cues = []
    for c in captions:
        voice = _VOICE.search(c.raw_text)
        cues.append(_subtitle_cue(c.raw_text, parse(c.start), parse(c.end), voice.group(1) if voice else None))
    return cues


READERS = {".txt": read_txt, ".docx": read_docx, ".srt": read_srt, ".vtt": read_vtt}


def _is_name(label: str) -> bool:
    return (not GENERIC_LABEL.fullmatch(label) and label.casefold() not in INTERVIEWER_LABELS
            and any(ch.isalpha() for ch in label) and len(label) > 1)


def assign_labels(order: list[str], code: str, interviewer_label: str, interviewer: str | None,
                  interviewer_names: set[str]) -> dict[str, str]:
    """The file's labels, in order of first speech, to the study's: interviewer, participant, S2…"""
    if interviewer is not None:
        if interviewer not in order:
            raise TranscribeError(f"No turn starts with the label '{interviewer}' (given with --interviewer).")
        chosen = interviewer
    else:
        known = [label for label in order if label.casefold() in INTERVIEWER_LABELS | interviewer_names
                 or label == interviewer_label]
        chosen = known[0] if known else (order[0] if len(order) > 1 else None)
    labels, extra = {}, 1
    for label in order:
        if label == chosen:
            labels[label] = interviewer_label
        elif code not in labels.values():
            labels[label] = code
        else:
            extra += 1
            labels[label] = f"S{extra}"
    return labels


def to_transcript(cues: list[Utterance], code: str, labels: dict[str, str], sha256: str, kind: str) -> Transcript:
    """A Transcript with one Word per token; consecutive cues of one speaker make one turn."""
    raw_ids = {label: f"SPEAKER_{i:02d}" for i, label in enumerate(labels)}
    turns: list[Turn] = []
    last_speaker = None
    for cue in cues:
        speaker = cue.speaker if cue.speaker is not None else last_speaker
        last_speaker = speaker
        tokens = cue.text.split()
        if not tokens:
            continue
        start = cue.start if cue.start is not None else (turns[-1].end if turns else 0.0)
        end = cue.end if cue.end is not None else start
        span, total = max(end - start, 0.0), sum(len(t) + 1 for t in tokens)
        words, at = [], start
        for token in tokens:
            step = span * (len(token) + 1) / total
            words.append(Word(" " + token, round(at, 3), round(at + step, 3), 1.0, raw_ids.get(speaker)))
            at += step
        label = labels.get(speaker, "S1") if speaker is not None else "S1"
        if turns and turns[-1].speaker == label:
            turns[-1].words.extend(words)
            turns[-1].end = max(turns[-1].end, end)
        else:
            turns.append(Turn(label, raw_ids.get(speaker, "SPEAKER_00"), start, end, words))
    timed = any(c.start is not None for c in cues)
    duration = max((t.end for t in turns), default=0.0)
    return Transcript(
        code=code, duration=round(duration, 3), turns=turns,
        audio={"sha256": sha256, "format": f"{kind} transcript"},
        models={"recognition": {"name": "none", "source": "imported",
                                "description": f"imported from a {kind} transcript"},
                "transcribe": __version__},
        settings={"import": {"format": kind, "timed": timed}},
        speakers=[{"id": raw_ids[label], "label": labels[label], "talk_time": 0.0} for label in labels],
        roles={"method": "labels in the imported transcript", "confidence": 1.0, "low_confidence": False},
        notes=[f"Imported from a {kind} transcript: no recording was processed"
               + ("." if timed else ", and the file has no times.")],
        processed=date.today().isoformat(),
    )


def read_transcript(path: Path, roster: list[Person] = ()) -> list[Utterance]:
    """The turns of one transcript file (.txt, .docx, .srt, .vtt); a file that cannot be read as one
    raises TranscribeError with the reason (it then takes no participant code)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise TranscribeError(f"{path.name}: transcripts are read from {', '.join(IMPORT_EXTENSIONS)} files.")
    names = {n.casefold() for p in roster for n in p.names}
    try:
        cues = reader(path, names)
    except TranscribeError:
        raise
    except OSError as error:
        raise TranscribeError(f"{path.name} cannot be read ({error.strerror or error}).") from None
    except Exception as error:  # a reader library on a file that is not what its name says
        raise TranscribeError(f"{path.name} is not a readable {path.suffix} file ({type(error).__name__}).") from None
    if not cues:
        raise TranscribeError(f"{path.name} holds no transcript text.")
    return cues


def import_transcript(path: Path, code: str, interviewer_label: str = "I", interviewer: str | None = None,
                      roster: list[Person] = (), cues: list[Utterance] | None = None) -> Imported:
    """Read one transcript file (.txt, .docx, .srt, .vtt) as the interview `code` (its turns, if
    `cues` is given, as read_transcript read them)."""
    cues = cues if cues is not None else read_transcript(path, roster)
    names = {n.casefold() for p in roster for n in p.names}
    order = list(dict.fromkeys(c.speaker for c in cues if c.speaker is not None))
    if not order:
        raise TranscribeError(f"{path.name} has no speaker labels, so who said what cannot be told: start each turn "
                              "with its speaker's label (\"I: ...\", \"Sarah: ...\"), or put the label alone on the line "
                              "before the turn, and run again.")
    warnings = []
    before = next(i for i, c in enumerate(cues) if c.speaker is not None)
    if before:
        words = sum(len(c.text.split()) for c in cues[:before])
        warnings.append(f"{path.name}: the text before the first speaker label ({words} word(s)) was given to speaker "
                        "S1; give it a label, or remove it if it is a title.")
    interviewer_names = {n.casefold() for p in roster if p.role == "interviewer" for n in p.names}
    labels = assign_labels(order, code, interviewer_label, interviewer, interviewer_names)
    sha256 = hashlib.sha256(read_input(path)).hexdigest()
    transcript = to_transcript(cues, code, labels, sha256, path.suffix.lower().lstrip("."))
    people = [Person(new if new in (code, interviewer_label) else f"speaker-{new.lower()}", (original,),
                     "participant" if new == code else "interviewer" if new == interviewer_label else "other")
              for original, new in labels.items() if _is_name(original) and original.casefold() not in names]
    return Imported(transcript, labels, people, warnings)


def anonymise_transcripts(paths: list[Path], out: Path, study, output, interviewer: str | None = None,
                          reporter=None) -> list:
    """Import transcript files into the output folders as interviews of the study, anonymised.

    The same path as recorded interviews: codes from the study file or codes.json (shared with
    recordings), the study-wide key, review.csv, the safety net and every output format, written
    by the batch's renderer. No model but the anonymiser's is loaded. Returns one FileResult per file.
    """
    from .batch import Batch, Reporter
    from .pipeline import InterviewJob, RunSettings
    from .render import FileResult
    from .storage import make_dir, make_private_dir, output_lock

    reporter = reporter or Reporter()
    batch = Batch(out, RunSettings(), output, study, reporter)  # codes, folders and writing: loads no model
    make_private_dir(batch.private)
    results = []
    with output_lock(batch.private):
        make_dir(batch.out)
        batch.renderer.check_study_files()  # as a run does: the key and review file are sound before any write
        batch.check_roster_codes()
        for index, path in enumerate(paths):
            result = FileResult(path, None, "failed")
            try:
                cues = read_transcript(path, study.people)  # a file that cannot be read takes no code
                entry = study.interview_for(path)
                job = InterviewJob(path, list(entry.codes) if entry else [])
                sha256 = hashlib.sha256(read_input(path)).hexdigest()
                if not job.codes:
                    batch.assign_code(job, sha256)
                else:
                    batch.check_codes(job, sha256)
                result.code = job.code
                reporter.file(index, path, job.code)
                imported = import_transcript(path, job.code, study.interviewer_label, interviewer, study.people, cues)
            except OSError as error:
                result.message = f"cannot be read ({error.strerror or error})"
            except TranscribeError as error:
                result.message = str(error)
            else:
                result.status, result.duration = "done", imported.transcript.duration
                for warning in imported.warnings:
                    reporter.say(warning)
                unknown = [label for label in imported.labels if _is_name(label)
                           and label.casefold() not in {n.casefold() for p in study.people for n in p.names}]
                if unknown:
                    reporter.say(f"{path.name}: speaker labels {', '.join(unknown)} are not on the study's roster; "
                                 "add them as [[people]] to the study file so that they are also found in the text.")
                batch.renderer.write_interview(imported.transcript, result, progress=batch.stage_progress(job.code))
            reporter.done(result)
            results.append(result)
        batch.record_settings()  # so that apply and export re-render these interviews too
        batch.renderer.write_methods(batch.withdrawn_codes())
        results.extend(batch.renderer.write_study_files())
    return results
