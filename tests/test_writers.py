"""Every output format, parsed back and checked against the transcript it was written from."""

from __future__ import annotations

import copy
import io
import re
import zipfile

import pytest
import srt
import webvtt
from docx import Document as read_docx
from docx.shared import Cm

from transcribe.layout import layout
from transcribe.transcript import Transcript, Turn, Word
from transcribe.writers import WRITERS, Document
from transcribe.writers.cues import MAX_CHARS, MAX_LINES, MAX_MS, cues
from transcribe.writers.turns import turn_text

FILE_NAME = "interview_sarah_jones.wma"
PAUSE_AT = "from"  # the long turn pauses for three seconds before this word


def _turn(speaker: str, start: float, text: str, step: float = 0.34, pause_before: str = "") -> Turn:
    """A turn whose words follow each other every `step` seconds (three seconds before `pause_before`)."""
    words, t = [], start
    for token in text.split(" "):
        if token == pause_before:
            t += 3.0
        words.append(Word(" " + token, round(t, 3), round(t + step * 0.8, 3), 0.9, speaker))
        t += step
    return Turn(speaker, speaker, words[0].start, words[-1].end, words)


def _identifiable() -> Transcript:
    turns = [
        _turn("I", 0.6, "So could you start by telling me a little about how you came to the scheme?"),
        _turn("p5", 6.9, "To be honest I didn't know that I was in that for a while, and me and Sarah Jones were "
                         "quite confused about what they were trying to accomplish at the start. It was only when "
                         "the letters came from the council that we understood what it was for.",
              pause_before=PAUSE_AT),
        _turn("I", 32.0, '"Confused"?'),
        _turn("p5", 33.1, "Yeah, and Sarah said the same. We both did."),
    ]
    turns[3].words[0].text = " [crosstalk 00:00:33] Yeah,"  # rendered notation is part of a word's text
    return Transcript(code="p5", duration=40.0, turns=turns, processed="2025-03-01",
                      models={"recognition": {"name": "base.en"}}, notes=["speaker roles decided by talk time"],
                      settings={"input": FILE_NAME})  # a file name that must never reach a rendered file


def _anonymised(identifiable: Transcript) -> Transcript:
    anonymised = copy.deepcopy(identifiable)
    anonymised.anonymisation = {"key": "study"}
    for word in (w for t in anonymised.turns for w in t.words):
        word.text = {" Sarah": " [p4]", " Jones": ""}.get(word.text, word.text)
    return anonymised


@pytest.fixture(scope="module")
def pair() -> list[Document]:
    versions = [_identifiable()]
    versions.append(_anonymised(versions[0]))
    return [Document(v, page) for v, page in zip(versions, layout(versions))]


@pytest.fixture(params=[0, 1], ids=["identifiable", "anonymised"])
def document(request, pair) -> Document:
    return pair[request.param]


def render(name: str, document: Document) -> str | bytes:
    writer = WRITERS[name]()
    buffer = io.BytesIO() if writer.binary else io.StringIO()
    writer.write(document, buffer)
    return buffer.getvalue()


def test_all_formats_are_registered_with_distinct_extensions():
    assert {"txt", "json", "docx", "maxqda", "nvivo", "qualcoder", "srt", "vtt"} <= set(WRITERS)
    extensions = [cls.extension for cls in WRITERS.values()]
    assert len(set(extensions)) == len(extensions)
    assert WRITERS["docx"].binary and not WRITERS["srt"].binary


@pytest.mark.parametrize("name", ["txt", "docx", "maxqda", "nvivo", "qualcoder", "srt", "vtt"])
def test_shared_formats_keep_placeholders_and_nothing_identifiable(pair, name):
    outputs = [render(name, d) for d in pair]
    identifiable, anonymised = (" ".join((_docx_text(o) if name == "docx" else o).split()) for o in outputs)
    assert "Sarah" in identifiable and "Jones" in identifiable
    assert "[p4] were" in anonymised and "[p4] said" in anonymised
    assert "Sarah" not in anonymised and "Jones" not in anonymised
    assert FILE_NAME not in anonymised and FILE_NAME not in identifiable


def _docx_text(data: bytes) -> str:
    """Every XML part of a .docx (body, headers, properties) as one string."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return "".join(package.read(n).decode("utf-8") for n in package.namelist() if n.endswith(".xml"))


def _numbered_lines(text_file: str, document: Document) -> list[tuple[int, str, str]]:
    """(number, label, text) of each numbered line of the .txt writer's output."""
    page, rows = document.page, []
    for line in text_file.splitlines():
        if re.match(r"^ *\d+ {2}", line):
            rest = line[page.gutter + 2:]
            rows.append((int(line[:page.gutter]), rest[:page.label_width].strip(), rest[page.label_width:]))
    return rows


def test_docx_table_rows_are_the_numbered_lines_of_the_text_file(document):
    doc = read_docx(io.BytesIO(render("docx", document)))
    table = doc.tables[0]
    header, *rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert header == ["Line", "Speaker", "Text", "Codes"]
    assert [(int(n), label, text) for n, label, text, _ in rows] == _numbered_lines(render("txt", document), document)
    assert len(rows) == len(document.page.lines) > len(document.transcript.turns)
    assert all(codes == "" for *_, codes in rows)
    paragraphs = [p.text for p in doc.paragraphs]
    assert all(line in paragraphs for line in document.header())
    assert "Note: speaker roles decided by talk time" in paragraphs
    assert doc.sections[0].header.paragraphs[0].text == document.header()[0]
    assert "w:tblHeader" in table.rows[0]._tr.xml  # header row repeats on every page
    assert doc.sections[0].page_width > doc.sections[0].page_height
    assert table.columns[3].width >= Cm(6) and table.columns[3].width > table.columns[1].width
    assert doc.core_properties.author == "" and "python-docx" not in doc.core_properties.comments


def test_docx_versions_number_the_same_lines(pair):
    numbers = [[row.cells[0].text for row in read_docx(io.BytesIO(render("docx", d))).tables[0].rows] for d in pair]
    assert numbers[0] == numbers[1]


def _vtt_seconds(stamp: str) -> float:
    hh, mm, rest = stamp.split(":")
    return int(hh) * 3600 + int(mm) * 60 + float(rest)


def _parsed_cues(name: str, document: Document) -> list[tuple[float, float, str, list[str]]]:
    """(start, end, speaker, lines) of each cue, read back by a subtitle library."""
    output = render(name, document)
    if name == "srt":
        parsed = []
        for cue in srt.parse(output):
            first, *rest = cue.content.splitlines()
            speaker, first = first.split(": ", 1)
            parsed.append((cue.start.total_seconds(), cue.end.total_seconds(), speaker, [first, *rest]))
        return parsed
    return [(_vtt_seconds(c.start), _vtt_seconds(c.end), c.voice, c.text.splitlines())
            for c in webvtt.from_buffer(io.StringIO(output)).captions]


def _assert_playable(parsed: list[tuple[float, float, str, list[str]]], prefix: bool) -> None:
    previous_end = 0.0
    for start, end, speaker, lines in parsed:
        assert previous_end <= start < end <= start + MAX_MS / 1000
        assert lines and len(lines) <= MAX_LINES
        assert len(lines[0]) + (len(speaker) + 2 if prefix else 0) <= MAX_CHARS
        assert all(len(line) <= MAX_CHARS for line in lines)
        previous_end = end


@pytest.mark.parametrize("name", ["srt", "vtt"])
def test_subtitle_cues_are_playable_and_carry_every_word_with_its_speaker(document, name):
    parsed = _parsed_cues(name, document)
    turns = document.transcript.turns
    _assert_playable(parsed, prefix=True)
    assert " ".join(" ".join(lines) for *_, lines in parsed) == " ".join(turn_text(t) for t in turns)
    speakers = [speaker for _, _, speaker, _ in parsed]
    assert [s for i, s in enumerate(speakers) if i == 0 or s != speakers[i - 1]] == [t.speaker for t in turns]
    starts = [start for start, *_ in parsed]
    assert all(round(turn.start, 3) in starts for turn in turns)
    assert sum(speaker == "p5" for speaker in speakers) > 3  # the long turn is split
    after_pause = next(w for w in turns[1].words if w.text == f" {PAUSE_AT}")
    assert (after_pause.start, PAUSE_AT) in [(start, lines[0].split()[0]) for start, _, _, lines in parsed]
    assert ["We both did."] in [lines for *_, lines in parsed]  # a sentence ending a cue's last line closed it


def test_vtt_header_is_a_note_not_a_cue(document):
    output = render("vtt", document)
    assert output.startswith("WEBVTT\n\nNOTE\n" + "\n".join(document.header()) + "\n\n")


def test_cues_stay_valid_with_awkward_word_timings():
    words = [Word(" Well", 1.0, 1.0, 0.9), Word("", 1.0, 1.2, 0.9), Word(" yes.", 0.9, 1.1, 0.9)]
    long_word = [Word(" Sooo", 2.0, 14.0, 0.5)]
    overlapping = [Word(" No", 1.05, 1.3, 0.9), Word(" wait", 1.3, 1.5, 0.9)]
    empty = [Word("", 15.0, 15.5, 0.9)]
    turns = [Turn("I", "A", 1.0, 1.2, words), Turn("p1", "B", 1.05, 1.5, overlapping),
             Turn("I", "A", 2.0, 14.0, long_word), Turn("p1", "B", 15.0, 15.5, empty)]
    transcript = Transcript(code="p1", duration=16.0, turns=turns)
    result = cues(transcript)
    assert [cue.lines for cue in result] == [["Well yes."], ["No wait"], ["Sooo"]]
    # pushed past the cue before, held for a second unless the next cue starts sooner, cut at 7 s
    assert [(cue.start, cue.end) for cue in result] == [(1000, 1100), (1100, 2000), (2000, 2000 + MAX_MS)]
    previous_end = 0
    for cue in result:
        assert previous_end <= cue.start < cue.end <= cue.start + MAX_MS
        previous_end = cue.end
    parsed = list(srt.parse(render("srt", Document(transcript, layout([transcript])[0]))))
    assert [c.content for c in parsed] == ["I: Well yes.", "p1: No wait", "I: Sooo"]


# --- nothing re-identifying in the shareable data (issue 11 item 5) -------------------------------

def _anonymised_pair(text: str, *names: str, low_confidence: str = "") -> tuple[Transcript, Transcript]:
    from transcribe.anonymise.apply import Found, anonymise
    from transcribe.anonymise.detect import Detection
    from transcribe.anonymise.key import StudyKey
    from transcribe.reliability import UNCERTAIN

    t = Transcript(code="p1", duration=20.0, turns=[_turn("p1", 0.5, text)], anonymisation={},
                   audio={"sha256": "ab" * 32, "format": "flac", "sample_rate": 16000, "channels": 1})
    for word in t.turns[0].words:
        if low_confidence and word.text.strip().startswith(low_confidence):
            word.probability, word.flag = 0.1, UNCERTAIN
    found = [Found(0, Detection(text.index(n), text.index(n) + len(n), n, "person", "ner", 0.85, None)) for n in names]
    anonymised, _ = anonymise(t, found, {}, StudyKey([]))
    return t, anonymised


def test_a_placeholder_is_one_word_with_nothing_of_the_hidden_words():
    import json

    from transcribe.reliability import mark

    original, anonymised = _anonymised_pair("Then Sarah Jones's brother Tom, who was late, came in.", "Sarah Jones",
                                            "Tom", low_confidence="Jones")
    hidden = [w for w in original.turns[0].words if w.text.strip().startswith(("Sarah", "Jones", "Tom"))]
    marked = mark(anonymised)
    data = json.loads(render("json", Document(marked, layout([marked])[0])))
    words = data["turns"][0]["words"]
    assert [w["text"] for w in words] == [" Then", " [Name 1]'s", " brother", " [Name 2],", " who", " was", " late,",
                                          " came", " in."]
    for word, first in zip((words[1], words[3]), (hidden[0], hidden[2])):
        assert word["start"] == first.start and word["end"] == word["start"]  # no duration
        assert word["probability"] is None and word["flag"] is None  # no confidence
    assert "(?)" not in data["turns"][0]["text"]
    assert "(?)" in mark(original).turns[0].text  # the private text keeps its mark


def test_the_shareable_json_carries_no_hash_of_the_recording(pair):
    _, anonymised = _anonymised_pair("I met Sarah there.", "Sarah")
    output = render("json", Document(anonymised, layout([anonymised])[0]))
    assert "ab" * 32 not in output and "sha256" not in output
    assert anonymised.audio == {"format": "flac", "sample_rate": 16000, "channels": 1}


def test_no_subtitle_line_or_cue_starts_with_punctuation():
    turn = _turn("p1", 0.0, "well I was there and then we went to the market and bought some bread and milk "
                            "and then we went home again after that because it was late")
    for i in range(2, len(turn.words), 4):
        turn.words[i].text = "," if i % 8 else " ."  # punctuation recognised as a word of its own
    transcript = Transcript(code="p1", duration=30.0, turns=[turn])
    parsed = srt.parse(render("srt", Document(transcript, layout([transcript])[0])))
    lines = [line.removeprefix("p1: ") for cue in parsed for line in cue.content.splitlines()]
    assert len(lines) > 3 and not any(line.startswith((",", ".")) for line in lines)
    assert " ".join(lines).split() == " ".join(w.text.strip() for w in turn.words).replace(" ,", ",").replace(" .", ".").split()
