"""Quotations with citations, from the shareable numbered text, and the study's quote bank.

`transcribe quote p3 214-216` gives the anonymised words of those lines with their citation in the
study's form (default "(p3, lines 214–216)"). The researcher may quote fewer words: `[...]` marks
an omission, any other square brackets their own clarification ("they [mentors] are"); brackets
that are in the transcript (placeholders such as [Name 1]) are the transcript's. Every word outside
the researcher's brackets must be in those lines, in order, with nothing left out unmarked;
hesitations ("um", "er") may be dropped anywhere, and `fillers=False` drops them from what is
printed without changing the citation.

The quote bank (`quotes.csv` and `quotes.docx` in the shareable folder) keeps code, lines, theme
and exact words. Every render checks each quote against the current shareable text: a quote whose
words are no longer on its lines is flagged, with where they are now if they moved, and never
silently re-cited. The researcher's clarifications (and the whole quote once it is flagged) go
through the safety net; a quote in which a name the study knows is readable is moved out of the
shareable folder into `quotes-held.csv` in the private one, so nothing is lost.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .anonymise.text_check import readable_names
from .csvfiles import read_table, write_table
from .errors import TranscribeError
from .folders import QUOTES, QUOTES_DOCX, QUOTES_HELD, Folders
from .owned import OwnedFiles
from .storage import SHARED_FILE_MODE
from .study import DEFAULT_CITATION, Study, code_order
from .writers.txt import NumberedLine as Line
from .writers.txt import read_numbered

COLUMNS = ["code", "lines", "theme", "words", "citation", "status"]
HELD_COLUMNS = [*COLUMNS, "reason"]
OK = "ok"
OMISSION = {"[...]", "[…]", "[. . .]"}
# Hesitations: sounds, not words, so dropping one changes no meaning (English and French). Words that
# are also fillers in speech ("like", "well", "you know") are words, and stay: this is narrower than a
# language profile's fillers, which are the words detection never takes for a name.
HESITATIONS = ("um", "umm", "uhm", "uh", "er", "erm", "err", "hm", "hmm", "mm", "mmm", "ah", "ahh", "euh", "euhm", "heu")
_HESITATION = r"(?:" + "|".join(HESITATIONS) + r")"
_FILLER = re.compile(rf"(?<![\w'’-]){_HESITATION}(?![\w'’-])[,.…]*\s*", re.IGNORECASE)
_GAP = rf"(?:\s+{_HESITATION}[,.…]*)*\s+"  # between two quoted words: space, and any hesitations in it
_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\] ")


@dataclass(frozen=True)
class Quote:
    code: str
    first: int
    last: int
    words: str  # as the researcher quotes them, with [...] and [clarifications]
    theme: str = ""


@dataclass(frozen=True)
class Checked:
    quote: Quote
    status: str  # "ok", or what is wrong, in words
    lines: tuple[int, int] | None  # where the words are now (None: nowhere)

    @property
    def ok(self) -> bool:
        return self.status == OK


def parse_lines(value: str) -> tuple[int, int]:
    """'214', '214-216' or '214–216' as (first, last)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[-–—]\s*(\d+))?\s*", value)
    if not match:
        raise TranscribeError(f"'{value}' is not a line or a range of lines; write 214 or 214-216")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if first < 1 or last < first:
        raise TranscribeError(f"'{value}': the first line must be at least 1 and not after the last")
    return first, last


def cite(code: str, first: int, last: int, form: str = DEFAULT_CITATION) -> str:
    """The citation in the study's form: {code}, {lines} ("line 214" / "lines 214–216"), {range}."""
    span = str(first) if first == last else f"{first}–{last}"
    return form.format(code=code, lines=f"line{'' if first == last else 's'} {span}", range=span)


def passage(lines: list[Line], first: int, last: int) -> str:
    """The words of lines `first` to `last`: one speaker's as they are, several as "I: … p3: …"."""
    chosen = [line for line in lines if first <= line.number <= last]
    if not chosen or chosen[0].number != first or chosen[-1].number != last:
        raise TranscribeError(f"the transcript has lines 1 to {lines[-1].number if lines else 0}; "
                              f"lines {first}–{last} are not all there")
    turns: list[list[str]] = []
    speaker = _speaker_at(lines, first)
    for line in chosen:
        text = _TIMESTAMP.sub("", line.text) if line.speaker else line.text
        if line.speaker or not turns:
            turns.append([line.speaker or speaker, text])
        else:
            turns[-1].append(text)
    if len(turns) == 1:
        return " ".join(turns[0][1:])
    return " ".join(f"{turn[0]}: {' '.join(turn[1:])}" for turn in turns)


def _speaker_at(lines: list[Line], number: int) -> str:
    return next(line.speaker for line in reversed(lines) if line.number <= number and line.speaker)


def drop_fillers(text: str) -> str:
    """The text without hesitations ("Um, they are" -> "They are"); no other word is changed."""
    marked = _FILLER.sub(lambda m: "\x00" if m.group(0)[:1].isupper() else "", text)  # it started a sentence
    marked = re.sub(r"\x00+\s*(\w)", lambda m: m.group(1).upper(), marked).replace("\x00", "")
    return re.sub(r"\s+([,.;:?!])", r"\1", " ".join(marked.split()))


def _pieces(words: str) -> list[tuple[str, str]]:
    """The quote as ("text", words) and ("bracket", "[…]") pieces, in order."""
    pieces = []
    for piece in re.split(r"(\[[^\[\]]*\])", words):
        if piece.startswith("[") and piece.endswith("]"):
            pieces.append(("bracket", piece))
        elif piece.strip():
            pieces.append(("text", piece))
    return pieces


def _pattern(text: str) -> re.Pattern[str]:
    words = [w for w in drop_fillers(text).split() if w]
    return re.compile(r"(?<![\w'’])" + _GAP.join(re.escape(w) for w in words) + r"(?![\w'’])", re.IGNORECASE)


def locate(words: str, lines: list[Line], first: int, last: int) -> tuple[int, int]:
    """The lines the quote's own words are on, within `first`–`last`; TranscribeError says what does not match.

    Where its first words occur more than once, the tightest reading that matches is taken."""
    source, owner = _source(lines, first, last)
    pieces = _pieces(words)
    leading = [(k, p) for k, p in pieces if (k == "text" and drop_fillers(p).strip()) or (k == "bracket" and p not in OMISSION)][:2]
    starts = sorted({m.start() for k, p in leading
                     for m in (_pattern(p) if k == "text" else re.compile(re.escape(p))).finditer(source)})
    problem, best = None, None
    for start in starts or [0]:
        try:
            found = _match(pieces, source, start, first, last)
        except TranscribeError as error:
            problem = problem or error
            continue
        if best is None or found[1] - found[0] < best[1] - best[0]:
            best = found
    if best is None:
        raise problem
    return owner[best[0]], owner[best[1] - 1]


def _match(pieces: list[tuple[str, str]], source: str, position: int, first: int, last: int) -> tuple[int, int]:
    """Match the pieces in order from `position`: (start, end) in `source` of the transcript's words."""
    marked, found = True, []  # marked: an omission or clarification since the last words
    for kind, piece in pieces:
        if kind == "bracket":
            at = source.find(piece, position) if piece not in OMISSION else -1
            unmarked_gap = at >= 0 and found and not marked and drop_fillers(source[position:at]).strip(" ,;:")
            if at < 0 or unmarked_gap:
                marked = True  # the researcher's: an omission or a clarification
                continue
            piece_pattern = re.compile(re.escape(piece))  # the transcript's own brackets: a placeholder, a mark
        else:
            if not drop_fillers(piece).strip():
                continue
            piece_pattern = _pattern(piece)
        match = piece_pattern.search(source, position)
        if match is None:
            raise TranscribeError(f"“{_short(piece)}” is not in lines {first}–{last}" + (" after the words before it"
                                                                                      if found else ""))
        skipped = drop_fillers(source[position:match.start()]).strip(" ,;:")
        if skipped and not marked and found:
            raise TranscribeError(f"words are left out before “{_short(piece)}” without [...]: “{_short(skipped)}”")
        found += [match.start(), match.end()]
        position, marked = match.end(), False
    if not found:
        raise TranscribeError("the quote has no words of the transcript in it")
    return min(found), max(found)


def _source(lines: list[Line], first: int, last: int) -> tuple[str, list[int]]:
    """The words of the lines joined by single spaces, each turn (the first too) after its "label: ",
    as `passage` gives them; and the line number of every character."""
    text, owner = [], []
    for line in lines:
        if first <= line.number <= last:
            words = " ".join((_TIMESTAMP.sub("", line.text) if line.speaker else line.text).split())
            if line.speaker or not text:
                words = f"{line.speaker or _speaker_at(lines, line.number)}: {words}"
            if text:
                text.append(" ")
                owner.append(line.number)
            text.extend(words)
            owner.extend([line.number] * len(words))
    return "".join(text), owner


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(code: str, lines: list[Line], first: int, last: int, words: str | None = None,
          form: str = DEFAULT_CITATION, fillers: bool = True) -> tuple[str, Quote]:
    """The quotation as printed (“words” and citation) and the Quote to keep. Without `words`, every
    word of the lines. The citation gives the lines the words are on."""
    whole = passage(lines, first, last)  # and the lines exist
    words = whole if words is None else words
    at = locate(words, lines, first, last)
    shown = words if fillers else drop_fillers(words)
    kept = Quote(code, at[0], at[1], " ".join(shown.split()))
    return f"“{kept.words}” {cite(code, *at, form)}", kept


def check(item: Quote, lines: list[Line] | None) -> Checked:
    """Whether the quote's words are still on its lines; if not, where they are now, if anywhere."""
    if lines is None:
        return Checked(item, f"{item.code} has no shareable text any more", None)
    try:
        at = locate(item.words, lines, item.first, item.last)
    except TranscribeError as error:
        try:
            moved = locate(item.words, lines, 1, lines[-1].number)
        except TranscribeError:
            return Checked(item, f"changed: the words are no longer on these lines ({error})", None)
        return Checked(item, f"moved: the words are now on {cite(item.code, *moved, '{lines}')}; check and update the "
                             "lines", moved)
    if at != (item.first, item.last):
        return Checked(item, f"moved: the words are now on {cite(item.code, *at, '{lines}')}; check and update the lines",
                       at)
    return Checked(item, OK, at)


def editorial(words: str, lines: list[Line] | None, first: int, last: int) -> str:
    """The researcher's own brackets in a quote (what the safety net must check: the rest is the
    transcript's, checked when it was written)."""
    source = _source(lines, first, last)[0] if lines else ""
    return " ".join(piece for kind, piece in _pieces(words)
                    if kind == "bracket" and piece not in OMISSION and piece not in source)


# --- the bank, in the output folders --------------------------------------------------------------

def shareable_lines(folders: Folders, code: str) -> list[Line] | None:
    """The numbered lines of `code`'s shareable text, as transcribe wrote it (None: there is none)."""
    path = folders.shareable(code, "txt")
    if not path.is_file():
        return None
    if not OwnedFiles(folders).owns(path):
        raise TranscribeError(f"{path.name} was changed after transcribe wrote it: quotes are taken from the text "
                              "transcribe wrote. Move your version away and run `transcribe apply`.")
    return read_numbered(path.read_text(encoding="utf-8"))


def add_to_bank(owned: OwnedFiles, study: Study, item: Quote) -> list[Checked]:
    """Put a checked quote into the bank and render the bank again; a quote with a name is refused."""
    folders = owned.folders
    lines = shareable_lines(folders, item.code)
    checked = check(item, lines)
    if not checked.ok:
        raise TranscribeError(f"the quote does not match {item.code}'s text: {checked.status}")
    if readable_names([("the quote", editorial(item.words, lines, item.first, item.last))], study, folders):
        raise TranscribeError("a name the study knows is readable in your words in brackets; the quote was not saved")
    rows = _read_bank(folders)
    rows.append(_row(checked, study.citation))
    _write_bank(folders, rows)
    return render(owned, study)


def render(owned: OwnedFiles, study: Study) -> list[Checked]:
    """Check every quote in the bank against the current shareable texts, hold back any with a name,
    and write quotes.csv and quotes.docx again. Returns the checks, in the bank's order."""
    folders = owned.folders
    rows = _read_bank(folders)
    if not rows and not (folders.out / QUOTES).exists():
        return []
    texts: dict[str, list[Line] | None] = {}
    checks, kept, held = [], [], []
    for number, row in enumerate(rows, start=1):
        first, last = parse_lines(row["lines"])
        item = Quote(row["code"], first, last, row["words"], row["theme"])
        if item.code not in texts:
            texts[item.code] = shareable_lines(folders, item.code)
        result = check(item, texts[item.code])
        lines = texts[item.code]
        to_check = editorial(item.words, lines, first, last) if result.ok else item.words
        if readable_names([(f"quote {number}", to_check)], study, folders):
            held.append({**row, "reason": "a name the study knows is readable in it"})
            continue
        checks.append(result)
        kept.append(_row(result, study.citation))
    held_path = folders.private / QUOTES_HELD
    if held:
        previous = read_table(held_path, HELD_COLUMNS).rows if held_path.exists() else []
        write_table(held_path, HELD_COLUMNS, previous + held)
    _write_bank(folders, kept)
    if not owned.write(folders.out / QUOTES_DOCX, bank_docx(checks, study.citation), code=None, fmt="quotes"):
        raise TranscribeError(f"{QUOTES_DOCX} was changed after transcribe wrote it; move it away and run again")
    if held:
        raise TranscribeError(f"{len(held)} quote(s) named a person or place the study knows: moved out of the "
                              f"shareable folder into {QUOTES_HELD} in {folders.private.name}; edit them there and "
                              "add them again")
    return checks


def _row(result: Checked, form: str) -> dict[str, str]:
    item = result.quote
    return {"code": item.code, "lines": str(item.first) if item.first == item.last else f"{item.first}-{item.last}",
            "theme": item.theme, "words": item.words, "citation": cite(item.code, item.first, item.last, form),
            "status": result.status}


def _read_bank(folders: Folders) -> list[dict[str, str]]:
    return read_table(folders.out / QUOTES, COLUMNS, required=("code", "lines", "words")).rows


def _write_bank(folders: Folders, rows: list[dict[str, str]]) -> None:
    rows = sorted(rows, key=lambda r: (r["theme"], code_order(r["code"]), parse_lines(r["lines"])))
    write_table(folders.out / QUOTES, COLUMNS, rows, mode=SHARED_FILE_MODE)


def bank_docx(checks: list[Checked], form: str) -> bytes:
    """quotes.docx: the quotes under their themes, each with its citation; a flagged one says why."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    from .writers.docx import FONT, reproducible

    doc = Document()
    doc.styles["Normal"].font.name, doc.styles["Normal"].font.size = FONT, Pt(11)
    properties = doc.core_properties
    properties.title, properties.author, properties.comments = "Quotations", "", ""
    properties.created = properties.modified = datetime(2000, 1, 1, tzinfo=UTC)  # the same bytes every time
    doc.add_heading("Quotations", level=1)
    flagged = sum(1 for c in checks if not c.ok)
    doc.add_paragraph(f"{len(checks)} quotation(s), each checked against the current shareable transcripts"
                      + (f"; {flagged} to check (marked)." if flagged else "."))
    themes: dict[str, list[Checked]] = {}
    for result in checks:
        themes.setdefault(result.quote.theme, []).append(result)
    for theme in sorted(themes, key=lambda t: (t == "", t)):
        doc.add_heading(theme or "No theme", level=2)
        for result in themes[theme]:
            item = result.quote
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"“{item.words}” ")
            paragraph.add_run(cite(item.code, item.first, item.last, form)).bold = True
            if not result.ok:
                note = paragraph.add_run(f"  Check: {result.status}")
                note.italic, note.font.color.rgb = True, RGBColor(0xC0, 0x00, 0x00)
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible(buffer.getvalue())
