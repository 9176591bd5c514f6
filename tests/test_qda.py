"""Each QDA format read back the way its program's documentation or source says the program reads it.

The rules, one reader per program (README, "Importing into a QDA program"):

* Windows programs (MAXQDA, NVivo, ATLAS.ti) read a text file as UTF-8 only when it starts with a
  byte order mark; without one they read it in the local code page (cp1252 in Western Europe).
* MAXQDA, "Transcript with Timestamps": paragraphs separated by a blank line, a speaker name of at
  most 63 characters and a colon at the start of a paragraph, and every hh:mm:ss anywhere in the
  text taken for a time mark; f4's ``#hh:mm:ss-d#`` at the end of a paragraph is the time it ends.
* NVivo, "Import Transcript Entries": tab-delimited lines, every one with the same number of tabs
  (at least one), one column mapped to Timespan (hh:mm:ss with tenths, start-end) and one to Content.
* QualCoder: time stamps found anywhere by the regular expressions of view_av.py
  (get_timestamps_from_transcription); a speaker is a "Name:", "[Name]" or "{Name}" at the very
  start of a line, under 64 characters (documentation 4.1, "Mark speakers").
* ATLAS.ti: a subtitle file synchronised with the audio; each cue a segment between two times.
"""

from __future__ import annotations

import codecs
import io
import re

import pytest
import srt

from transcribe.layout import layout
from transcribe.reliability import mark
from transcribe.transcript import Transcript, Turn, Word
from transcribe.writers import WRITERS, Document
from transcribe.writers.turns import turn_text

HHMMSS = re.compile(r"\d{1,2}:\d\d:\d\d")


def read_as_windows_program(data: bytes) -> str:
    """A text file as a Windows program opens it: UTF-8 only after a byte order mark."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    return data.decode("cp1252", errors="replace")


def _seconds(hh: str, mm: str, ss: str, fraction: str = "") -> float:
    return int(hh) * 3600 + int(mm) * 60 + int(ss) + (float("0." + fraction) if fraction else 0.0)


# --- the programs' readers ---------------------------------------------------------------------

def maxqda_import(text: str) -> list[tuple[str, str, list[tuple[int, float]]]]:
    """(speaker, paragraph, [(position, seconds) of every time mark]) per paragraph."""
    paragraphs = []
    for paragraph in (p for p in text.split("\n\n") if p.strip()):
        speaker = re.match(r"^([^:\n]{1,63}):", paragraph)
        marks = [(m.start(), _seconds(*m.group().split(":"))) for m in HHMMSS.finditer(paragraph)]
        paragraphs.append((speaker[1] if speaker else "", paragraph, marks))
    return paragraphs


def nvivo_import(text: str) -> list[dict[str, str]]:
    """Rows as NVivo maps them: the header names the columns; every line must have as many tabs."""
    lines = text.split("\n")
    assert lines[-1] == ""  # the file ends with a line break
    lines = lines[:-1]
    tabs = {line.count("\t") for line in lines}
    assert len(tabs) == 1 and tabs.pop() >= 1, "every line needs the same number of tabs"
    header, *rows = [line.split("\t") for line in lines]
    return [dict(zip(header, row)) for row in rows]


def nvivo_timespan(span: str) -> tuple[float, float]:
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d)(?:\.(\d))?-(\d+):(\d\d):(\d\d)(?:\.(\d))?", span)
    assert match, f"not an NVivo timespan: {span!r}"
    g = [x or "" for x in match.groups()]
    return _seconds(*g[:4]), _seconds(*g[4:])


# QualCoder view_av.py, get_timestamps_from_transcription: the patterns it looks for.
QUALCODER_STAMPS = {
    r"\[[0-9]{1,3}:[0-9][0-9]\]": lambda s: _seconds("0", *s[1:-1].split(":")),
    r"\[[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\]": lambda s: _seconds(*s[1:-1].split(":")),
    r"\[[0-9]{1,3}\.[0-9][0-9]\]": lambda s: _seconds("0", *s[1:-1].split(".")),
    r"\[[0-9][0-9]\.[0-9][0-9]\.[0-9][0-9]\]": lambda s: _seconds(*s[1:-1].split(".")),
    r"\{[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\}": lambda s: _seconds(*s[1:-1].split(":")),
    r"#[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{1,3}#": lambda s: _seconds(*s[1:-1].replace(".", ":").split(":")),
    r"[0-9][0-9]:[0-9][0-9]:[0-9][0-9],[0-9]{3}\s-->\s[0-9][0-9]:[0-9][0-9]:[0-9][0-9],[0-9]{3}":
        lambda s: _seconds(*s[:12].replace(",", ":").split(":")),
}


def qualcoder_timestamps(text: str) -> list[tuple[int, float]]:
    """(text position, seconds) of every time stamp QualCoder finds, in text order."""
    found = [(m.start(), convert(m.group())) for pattern, convert in QUALCODER_STAMPS.items()
             for m in re.finditer(pattern, text)]
    return sorted(found)


def qualcoder_speaker(line: str) -> str | None:
    """The speaker "Mark speakers" takes from the start of a line, if any."""
    match = re.match(r"^(?:\[([^\]\n]{1,63})\]|\{([^}\n]{1,63})\}|([^:\[\]{}\n]{1,63}):)", line)
    return next((g for g in match.groups() if g), None) if match else None


# --- the checks, the same for a hand-made transcript and the sample run ------------------------

def check_maxqda(data: bytes, transcript: Transcript) -> None:
    text = read_as_windows_program(data)
    turns = [t for t in transcript.turns if turn_text(t)]
    paragraphs = maxqda_import(text)
    assert [speaker for speaker, _, _ in paragraphs] == [t.speaker for t in turns]
    ends = []
    for (_, paragraph, marks), turn in zip(paragraphs, turns):
        assert len(marks) == 1, f"MAXQDA would read {len(marks)} time marks in {paragraph!r}"
        assert re.search(r" #\d\d:\d\d:\d\d-\d#$", paragraph) and marks[0][0] == paragraph.rindex("#", 0, -1) + 1
        ends.append(int(paragraph[-2]) / 10 + marks[0][1])
        assert ends[-1] >= turn.end - 0.06 and len(paragraph.split(": ", 1)[0]) <= 63
    assert ends == sorted(ends)


def check_nvivo(data: bytes, transcript: Transcript) -> None:
    rows = nvivo_import(read_as_windows_program(data))
    turns = [t for t in transcript.turns if turn_text(t)]
    assert len(rows) == len(turns) and set(rows[0]) == {"Timespan", "Speaker", "Content"}
    starts = []
    for row, turn in zip(rows, turns):
        start, end = nvivo_timespan(row["Timespan"])
        assert start == pytest.approx(turn.start, abs=0.051) and start < end  # rounded to tenths
        assert end == pytest.approx(max(turn.end, start + 0.1), abs=0.051)
        assert (row["Speaker"], row["Content"]) == (turn.speaker, turn_text(turn))
        starts.append(start)
    assert starts == sorted(starts)


def check_qualcoder(data: bytes, transcript: Transcript) -> None:
    text = data.decode("utf-8")  # QualCoder reads UTF-8 on every system
    turns = [t for t in transcript.turns if turn_text(t)]
    lines = [line for line in text.split("\n") if line]
    assert len(lines) == len(turns)
    assert [qualcoder_speaker(line) for line in lines] == [t.speaker for t in turns]
    stamps = qualcoder_timestamps(text)
    assert len(stamps) == len(turns)  # one per turn, and nothing else looks like one
    assert [seconds for _, seconds in stamps] == [float(int(t.start)) for t in turns]
    offset = 0
    for line, (position, _) in zip(lines, stamps):
        offset = text.index(line, offset)
        assert position == offset + len(line.split(": ", 1)[0]) + 2  # right after the speaker
    assert not re.search(r"#\d\d:\d\d:\d\d-\d#", text)  # f4 marks QualCoder cannot read


def check_atlasti(data: bytes, transcript: Transcript) -> None:
    cues = list(srt.parse(read_as_windows_program(data)))
    turns = [t for t in transcript.turns if turn_text(t)]
    assert [cue.content for cue in cues] == [f"{t.speaker}: {turn_text(t)}" for t in turns]
    starts = [cue.start.total_seconds() for cue in cues]
    assert starts == sorted(starts) and all(cue.end > cue.start for cue in cues)
    for cue, turn in zip(cues, turns):
        assert cue.start.total_seconds() == pytest.approx(turn.start, abs=0.002) or cue.start.total_seconds() > turn.start


CHECKS = {"maxqda": check_maxqda, "nvivo": check_nvivo, "qualcoder": check_qualcoder, "atlasti": check_atlasti}
WINDOWS_PROGRAMS = ("maxqda", "nvivo", "atlasti")


# --- a hand-made transcript with everything that trips an importer ----------------------------

def _turn(speaker: str, start: float, text: str, overlap_from: int | None = None) -> Turn:
    words = [Word(" " + token, round(start + i * 0.4, 2), round(start + i * 0.4 + 0.3, 2), 0.9, speaker)
             for i, token in enumerate(text.split())]
    for word in words[overlap_from:] if overlap_from is not None else []:
        word.overlap = True
    return Turn(speaker, speaker, words[0].start, words[-1].end, words)


def _handmade() -> Transcript:
    long = _turn("p1", 2.0, "We met at the café near [p2]'s house, it opened at 10:30:00 sharp, "
                            "and \"everyone\" came along with their friends and family that day")
    long.words[5].flag = "inaudible"
    turns = [_turn("I", 0.0, "Where did you meet?"), long,
             _turn("I", long.end - 1.0, "Right, okay.", overlap_from=0),  # starts before the long turn ends
             _turn("p1", long.end + 1.0, "Zoë was there too.")]
    return mark(Transcript(code="p1", duration=30.0, turns=turns, processed="2026-12-01", anonymisation={"x": 1}))


def _render(name: str, transcript: Transcript) -> bytes:
    writer = WRITERS[name]()
    buffer = io.BytesIO() if writer.binary else io.StringIO(newline="\n")
    writer.write(Document(transcript, layout([transcript])[0]), buffer)
    value = buffer.getvalue()
    return value if writer.binary else value.encode("utf-8")


@pytest.mark.parametrize("name", CHECKS)
def test_each_program_reads_the_handmade_transcript_as_intended(name):
    transcript = _handmade()
    assert "[inaudible 00:00:" in turn_text(transcript.turns[1]) and "[crosstalk 00:00:" in turn_text(transcript.turns[2])
    CHECKS[name](_render(name, transcript), transcript)


@pytest.mark.parametrize("name", WINDOWS_PROGRAMS)
def test_windows_programs_get_a_byte_order_mark_and_read_every_letter(name):
    data = _render(name, _handmade())
    assert data.startswith(codecs.BOM_UTF8)
    assert "café" in read_as_windows_program(data) and "Zoë" in read_as_windows_program(data)
    assert "Ã" in read_as_windows_program(data[len(codecs.BOM_UTF8):])  # what a missing mark would do


def test_maxqda_file_keeps_the_spoken_time_without_a_time_mark():
    text = read_as_windows_program(_render("maxqda", _handmade()))
    assert "10\u223630\u223600" in text and "[inaudible]" in text and "[crosstalk]" in text


def test_qualcoder_would_take_a_leading_time_stamp_for_a_speaker():
    assert qualcoder_speaker("[00:00:12] p1: hello") == "00:00:12"  # why the speaker comes first
    assert qualcoder_speaker("p1: [00:00:12] hello") == "p1"


def test_numbered_text_has_no_time_mark_in_its_header():
    """A researcher may import the numbered .txt into MAXQDA too: its header must not add a time mark."""
    text = _render("txt", _handmade()).decode("utf-8")
    header = text.split("\n\n", 1)[0]
    assert "Duration 0 min 30 s" in header and not HHMMSS.search(header)


# --- the sample run, as a researcher would import it -------------------------------------------

def test_the_sample_run_imports_into_every_program(study_run):
    out, _, _ = study_run
    codes = sorted(p.name.split(".")[0] for p in out.glob("*.json"))
    assert codes
    for code in codes:
        transcript = Transcript.from_json((out / f"{code}.json").read_text())
        for name, check in CHECKS.items():
            path = out / f"{code}.{WRITERS[name].extension}"
            check(path.read_bytes(), transcript)
        header = (out / f"{code}.txt").read_text().split("\n\n", 1)[0]
        assert not HHMMSS.search(header)
