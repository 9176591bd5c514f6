"""The DOCX for coding as a word processor prints it (issue 23, finding 7): rendered by LibreOffice
to PDF and by pdftoppm to an image, and measured there. Every numbered line fits its row (a wrapped
line would make its row taller), and the Text column is wider than the Codes column."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from transcribe.layout import layout
from transcribe.transcript import Transcript, Turn, Word
from transcribe.writers import Document, get_writer

pytestmark = pytest.mark.slow  # LibreOffice: several seconds

DPI = 100
# Speech as transcripts hold it, with what prints widest in Arial: capitals, m and w, placeholders.
TURNS = [
    ("I", "Welcome, and thank you for meeting me at the Wellbeing Museum. My name is [I] and I work "
          "with the Community Wellness Workshop, MMW Team, on the WellTogether Homework Network."),
    ("p1", "Mmm, well, my mum Winnie Wimmer-Mowbray moved to Wembley when I was ten, and my "
           "Wednesday Women's Walking Network meets at [Organisation 12] with [Name 14] and [Place 13] "
           "members; Malcolm, Mohammed, Wendy and Matthew MacMillan-Wormwood come whenever they can."),
    ("I", "What made the most difference for you in the WellTogether Programme Management Meetings?"),
    ("p1", "WOMEN'S WORKSHOP MEMBERS WHO WALKED WITH ME MADE ME WELCOME, AND MANY HOMEWORK MENTORS"
           " WERE MOTHERS."),
]


def transcript() -> Transcript:
    turns, at = [], 0.0
    for speaker, text in TURNS:
        words = [Word(" " + token, at + i, at + i + 0.5, 0.99) for i, token in enumerate(text.split())]
        at += len(words)
        turns.append(Turn(speaker, speaker, words[0].start, words[-1].end, words))
    return Transcript("p1", at, turns, models={"recognition": {"name": "tiny.en"}}, processed="2026-12-01",
                      anonymisation={"replacements": {}})


def rendered(docx: Path) -> list[np.ndarray]:
    """The pages of `docx` as LibreOffice prints them, as grey images (0 black, 255 white)."""
    from PIL import Image

    folder = docx.parent
    subprocess.run([shutil.which("soffice") or "soffice", "--headless", f"-env:UserInstallation=file://{folder}/lo",
                    "--convert-to", "pdf", "--outdir", str(folder), str(docx)], check=True, capture_output=True,
                   timeout=120)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(docx.with_suffix(".pdf")), str(folder / "page")],
                   check=True, capture_output=True, timeout=60)
    return [np.asarray(Image.open(page).convert("L")) for page in sorted(folder.glob("page-*.png"))]


def grid(page: np.ndarray) -> tuple[list[int], list[int]]:
    """The table's horizontal rules (y) and vertical rules (x): dark lines across most of it."""
    dark = page < 128
    rows = np.flatnonzero(dark.mean(axis=1) > 0.5)
    top, bottom = rows.min(), rows.max()
    columns = np.flatnonzero(dark[top:bottom + 1].mean(axis=0) > 0.9)
    merge = lambda xs: [int(x) for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 2]
    return merge(list(rows)), merge(list(columns))


def test_no_numbered_line_wraps_and_the_text_column_is_the_wide_one(tmp_path):
    t = transcript()
    page = layout([t], 80, False)[0]
    assert max(len(line.text) for line in page.lines) >= 68  # lines as long as the width allows
    path = tmp_path / "p1.docx"
    with open(path, "wb") as f:
        get_writer("docx").write(Document(t, page), f)
    pages = rendered(path)
    heights, rows = [], 0
    for image in pages:
        ys, xs = grid(image)
        assert len(xs) == 5, xs  # four columns: Line, Speaker, Text, Codes
        line, speaker, text, codes = np.diff(xs)
        assert text > codes > 0, (text, codes)
        heights += list(np.diff(ys))
        rows += len(ys) - 1
    assert rows == len(page.lines) + len(pages)  # one row per numbered line, and the header on each page
    one_line = np.median(heights)
    assert max(heights) < 1.4 * one_line, (max(heights), one_line)  # a wrapped line doubles its row
