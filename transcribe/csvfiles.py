"""CSV files the researcher edits in a spreadsheet (the key, the review file), read and written safely.

Excel and LibreOffice save CSV with a semicolon in many European locales, as Windows-1252, or with
a byte-order mark; a row may lose a cell. Reading accepts all of those and checks every row,
naming the first bad one; writing uses UTF-8 with a byte-order mark (so Excel shows accents
right) and keeps the delimiter the file already had (so it opens in the same spreadsheet again).
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .errors import TranscribeError
from .storage import PRIVATE_FILE_MODE, atomic_write

DELIMITERS = ",;\t"
BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet (a transcript line such as
# =HYPERLINK("http://…"&"Sarah Jones") would run): written with a quote before it, read back without.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restored(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


@dataclass
class Table:
    """The rows of a CSV file as dicts keyed by the expected column names, and how it was written."""

    rows: list[dict[str, str]] = field(default_factory=list)
    delimiter: str = ","
    lines: list[int] = field(default_factory=list)  # file line of each row, for messages
    columns: list[str] = field(default_factory=list)  # the expected columns the file has


def decode(data: bytes, name: str) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8-sig")
    try:  # what Excel writes as "CSV" on Windows in Western locales
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise TranscribeError(f"{name} is not in an encoding transcribe can read; save it as CSV UTF-8.") from None


def read_table(path: Path, columns: list[str], required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> Table:
    """Read `path` (missing: an empty table), checking the header and every row.

    Columns are matched by name, ignoring case, spaces and order; extra columns are allowed, and
    `optional` ones may be missing (their cells read as empty). A row with too few or too many
    cells, or an empty required cell, raises TranscribeError naming its line. Blank lines are skipped.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Table()
    except OSError as error:
        raise TranscribeError(f"{path.name} cannot be read ({error.strerror}).") from None
    text = decode(data, path.name)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise TranscribeError(f"{path.name} is empty. Restore it (see the previous versions beside it) or delete it.")
    header_line = next(line for line in lines if line.strip())
    delimiter = max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    wanted = {c.lower(): c for c in [*columns, *optional]}
    index = {}
    for position, cell in enumerate(header):
        name = cell.strip().lower()
        if name in wanted and wanted[name] not in index:
            index[wanted[name]] = position
    missing = [c for c in columns if c not in index]
    if missing:
        raise TranscribeError(
            f"{path.name}: the first line must name the columns {', '.join(columns)}; "
            f"{', '.join(missing)} not found. Restore the header line, or restore the file from a previous version."
        )
    table = Table(delimiter=delimiter, columns=[c for c in [*columns, *optional] if c in index])
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TranscribeError(
                f"{path.name}, line {line}: {len(row)} cell(s) where the header has {len(header)}. "
                "Fix that row (a cell may have been cut or merged) and run again; nothing was changed."
            )
        values = {c: restored(row[i].strip()) for c, i in index.items()} | {c: "" for c in optional if c not in index}
        for column in required:
            if not values[column]:
                raise TranscribeError(f"{path.name}, line {line}: the {column} cell is empty. Fill it in or "
                                      "delete the row, and run again; nothing was changed.")
        table.rows.append(values)
        table.lines.append(line)
    return table


def write_table(path: Path, columns: list[str], rows: list[dict], delimiter: str = ",",
                mode: int = PRIVATE_FILE_MODE) -> None:
    """Write rows atomically, UTF-8 with a byte-order mark, mode 0600 unless told; no cell a live formula."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.DictWriter(buffer, columns, delimiter=delimiter, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({column: neutralised(row.get(column)) for column in columns} for row in rows)
    atomic_write(path, buffer.getvalue(), mode=mode)
