"""`review.csv`: every detected identifier with its context, for the researcher to check.

One study-wide file in the private folder. Each row shows where a detection is (interview, line
of the identifiable text, time), what was found, by which source and with what score, the proposed
placeholder, and a ``decision`` column the researcher edits: empty or ``accept`` keeps the
proposal, ``reject`` keeps the original text, anything else is used as the replacement. Decisions
survive re-runs (a decision whose detection is gone stays, marked stale). Rows that deserve a look
first (low scores, fuzzy, gazetteer and misheard-name matches, roster names the recogniser was
unsure of) come first and say so in the ``priority`` column.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..csvfiles import Table, read_table, write_table
from ..layout import Page
from ..storage import StaleEdit, version_of
from ..study import code_order
from ..text import normalise
from ..timecode import clock
from ..transcript import Transcript, Turn
from .apply import Found
from .spans import word_at, word_offsets
from .detect import Detection
from .recognizers.misheard import LOW_PROBABILITY

COLUMNS = ["priority", "interview", "line", "time", "category", "source", "score", "text", "context",
           "proposed", "decision", "id"]
CHECK_FIRST = "check first"
STALE = "stale: no longer detected"
CHECK_SCORE = 0.6
CONTEXT = 40


def needs_check(found: Found, transcript: Transcript | None = None) -> bool:
    """Whether a detection is listed to check first: a low score, a source that guesses, or a
    roster name the recogniser was unsure of (given `transcript`, whose words it reads)."""
    d = found.detection
    if d.score < CHECK_SCORE or d.source in ("fuzzy", "gazetteer", "misheard"):
        return True
    return transcript is not None and unsure_roster_name(transcript.turns[found.turn], d)


def unsure_roster_name(turn: Turn, detection: Detection) -> bool:
    """A roster name written where the speech recogniser was unsure of the words.

    The interview's names are given to Whisper as a hint, and the hint can turn a similar spoken
    name into a roster name ("Ellen Carver" written "Helen Carver", at word probability .06;
    benchmarks/prompt.py): the placeholder would then name the wrong person.
    """
    if detection.source != "roster":
        return False
    under = [w.probability for (a, b), w in zip(word_offsets(turn), turn.words)
             if a < detection.end and detection.start < b and w.probability is not None]
    return bool(under) and min(under) < LOW_PROBABILITY


def rows_for(transcript: Transcript, page: Page, found: list[Found], proposals: dict[str, str],
             decisions: dict[str, str]) -> list[dict]:
    """Review rows for one interview; `page` is the identifiable text's layout (for line numbers)."""
    rows = []
    for item in sorted(found, key=lambda f: (f.turn, f.detection.start)):
        turn = transcript.turns[item.turn]
        d = item.detection
        text = turn.text
        word = word_at(turn, d.start)
        context = text[max(0, d.start - CONTEXT) : d.start] + "<<" + d.text + ">>" + text[d.end : d.end + CONTEXT]
        rows.append({
            "priority": CHECK_FIRST if needs_check(item, transcript) else "",
            "interview": transcript.code,
            "line": page.line_of(item.turn, word),
            "time": clock(turn.words[word].start if turn.words else turn.start),
            "category": d.category,
            "source": d.source,
            "score": f"{d.score:.2f}",
            "text": d.text,
            "context": context.replace("\n", " "),
            "proposed": proposals.get(item.id, ""),
            "decision": decisions.get(item.id, ""),
            "id": item.id,
        })
    return rows


def load_decisions(path: Path) -> dict[str, dict[str, str]]:
    """Decisions from an existing review.csv: interview -> {detection id: decision}.

    A decision only carries over while the detection still has the same text at the same place.
    """
    decisions: dict[str, dict[str, str]] = {}
    for row in _read(path):
        if row.get("decision", "").strip():
            # The researcher's own wording is a text entering the tool: in its one form (transcribe/text.py).
            decisions.setdefault(row["interview"], {})[f"{row['id']}|{row['text']}"] = normalise(row["decision"].strip())
    return decisions


def decisions_for(all_decisions: dict[str, dict[str, str]], code: str, found: list[Found]) -> dict[str, str]:
    mine = all_decisions.get(code, {})
    return {f.id: mine[f"{f.id}|{f.detection.text}"] for f in found if f"{f.id}|{f.detection.text}" in mine}


REQUIRED = ("interview", "text", "id")


def read(path: Path) -> Table:
    """Every row of review.csv, checked (a bad row raises with its line); missing: no rows."""
    return read_table(path, COLUMNS, required=REQUIRED)


def _read(path: Path) -> list[dict]:
    return read(path).rows


_lock = threading.RLock()  # one studio process, several request threads


def set_decision(path: Path, code: str, detection_id: str, text: str, decision: str, expected_version: str) -> str:
    """Record the researcher's decision on one detection (atomic, version-checked).

    A detection that has no row yet (found since the last render) gets one; `apply` reads it.
    Returns the file's new version; raises StaleEdit if the file changed since `expected_version`.
    """
    with _lock:
        if version_of(path) != expected_version:
            raise StaleEdit("the review decisions were changed in another tab or window")
        table = read(path)
        for row in table.rows:
            if row.get("interview") == code and row.get("id") == detection_id and row.get("text") == text:
                row["decision"] = decision
                break
        else:
            table.rows.append({"interview": code, "id": detection_id, "text": text, "decision": decision})
        write_table(path, COLUMNS, table.rows, table.delimiter)
        return version_of(path)


def record(path: Path, transcript: Transcript, page: Page, found: list[Found], proposals: dict[str, str],
           decisions: dict[str, str]) -> None:
    """List one interview's detections in the study-wide review file (its rows replace the earlier ones)."""
    update(path, transcript.code, rows_for(transcript, page, found, proposals, decisions))


def update(path: Path, code: str, rows: list[dict]) -> None:
    """Replace the rows of one interview in the study-wide review file, keeping the others (the
    file's one writer besides :func:`set_decision`).

    A decided row whose detection is gone (recognised again, say) is kept, marked stale, so the
    researcher's decision is never silently lost.
    """
    with _lock:
        current = {(r["id"], r["text"]) for r in rows}
        kept = []
        table = read(path)
        delimiter = table.delimiter
        for row in table.rows:
            if row.get("interview") != code:
                kept.append(row)
            elif row.get("decision", "").strip() and (row.get("id"), row.get("text")) not in current:
                kept.append(row | {"priority": STALE})
        all_rows = kept + rows
        all_rows.sort(key=lambda r: (r.get("priority") != CHECK_FIRST, code_order(r.get("interview", "")), _number(r.get("line"))))
        write_table(path, COLUMNS, all_rows, delimiter)


def _number(text: str | None) -> int:
    """A line number from the file, which the researcher may have edited into anything."""
    try:
        return int(text or 0)
    except ValueError:
        return 0
