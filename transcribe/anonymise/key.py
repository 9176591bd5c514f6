"""The study-wide key: every identifier found, and the placeholder that replaces it everywhere.

Participants become their code (``[p4]``), the interviewer the interviewer label (``[I]``), other
people ``[Name 1]``, places ``[Place 1]``, organisations ``[Organisation 1]``, and so on, numbered
in order of first appearance across the study. The key is kept in the private folder as
``key.csv`` (mode 0600) and reloaded on every run, so numbers stay the same across re-runs and
when interviews are added later. Variants of one entity (``Sarah``, ``Sarah Jones``, ``Ms Jones``)
share one placeholder.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from ..csvfiles import read_table, write_table
from ..errors import TranscribeError
from ..folders import KEY_HISTORY
from ..storage import PRIVATE_FILE_MODE, atomic_write, make_private_dir
from ..study import Person
from ..text import invisible, without_accents
from .detect import Detection
from .languages import TITLES

LABELS = {
    "person": "Name", "place": "Place", "organisation": "Organisation", "email": "Email", "phone": "Phone",
    "url": "URL", "postcode": "Postcode", "nhs_number": "NHS number", "date": "Date", "address": "Address",
    "number": "Number",
}
COLUMNS = ["replacement", "category", "original", "first_seen"]


def normalise(text: str, category: str = "person") -> str:
    """The form used to recognise one entity under different spellings of case and punctuation."""
    text = without_accents(text)
    text = re.sub(r"['’]s$", "", text.strip())
    if category in ("phone", "nhs_number"):
        return re.sub(r"\D", "", text)
    if category == "number":
        return re.sub(r"[\W_]", "", text).lower()
    words = re.sub(r"[^\w@.\-]+", " ", text.lower()).split()
    if category == "person":
        words = [w for w in words if w.strip(".") not in TITLES]
    words = ["saint" if w in ("st", "st.") else w for w in words]
    return " ".join(words)


@dataclass
class KeyEntry:
    replacement: str
    category: str
    original: str  # normalised form
    first_seen: str  # interview code, or "" for roster people listed up front


class StudyKey:
    """Placeholders for the whole study; load, look up (adding new entities), save."""

    def __init__(self, people: list[Person], interviewer_label: str = "I", entries: list[KeyEntry] | None = None):
        self.people = {p.id: p for p in people}
        self.delimiter = ","
        self.interviewer_label = interviewer_label
        self.entries: list[KeyEntry] = []
        self._by_original: dict[tuple[str, str], str] = {}
        fixed = {normalise(name): self.person_replacement(person) for person in people
                 if person.role in ("participant", "interviewer") for name in person.names}
        for entry in entries or []:
            # A participant re-coded in the study file since the key was written takes the new code.
            if entry.category == "person" and entry.original in fixed:
                entry = KeyEntry(fixed[entry.original], entry.category, entry.original, entry.first_seen)
            self._add(entry)
        for person in people:
            if person.role in ("participant", "interviewer"):  # fixed placeholders: list them up front
                self._add_person(person, "")

    def _add_person(self, person: Person, interview: str) -> str:
        replacement = self.person_replacement(person)
        for name in person.names:
            if ("person", normalise(name)) not in self._by_original:
                self._add(KeyEntry(replacement, "person", normalise(name), interview))
        return replacement

    def _add(self, entry: KeyEntry) -> None:
        self.entries.append(entry)
        self._by_original[(entry.category, entry.original)] = entry.replacement

    def _next(self, category: str) -> str:
        label = LABELS.get(category, category.title())
        pattern = re.compile(rf"^\[{re.escape(label)} (\d+)\]$")
        numbers = [int(m.group(1)) for e in self.entries if (m := pattern.match(e.replacement))]
        return f"[{label} {max(numbers, default=0) + 1}]"

    def person_replacement(self, person: Person) -> str:
        if person.role == "participant":
            return f"[{person.id}]"
        if person.role == "interviewer":
            return f"[{self.interviewer_label}]"
        existing = [self._by_original.get(("person", normalise(name))) for name in person.names]
        return next((r for r in existing if r), None) or self._next("person")

    def _original(self, detection: Detection) -> str:
        return normalise(detection.entity or detection.text, detection.category) or detection.text.strip().lower()

    def existing(self, detection: Detection) -> str | None:
        """The placeholder the key already has for this detection's entity, without adding one."""
        if detection.entity and detection.entity in self.people:
            person = self.people[detection.entity]
            return self.person_replacement(person) if person.role != "other" else next(
                (r for n in person.names if (r := self._by_original.get(("person", normalise(n))))), None)
        original = self._original(detection)
        found = self._by_original.get((detection.category, original))
        return found or (self._variant_of(original) if detection.category == "person" else None)

    def replacement(self, detection: Detection, interview: str) -> str:
        """The placeholder for a detection, creating a new numbered one for a new entity."""
        if detection.entity and detection.entity in self.people:
            return self._add_person(self.people[detection.entity], interview)
        replacement = self.existing(detection) or self._next(detection.category)
        original = self._original(detection)
        if (detection.category, original) not in self._by_original:
            self._add(KeyEntry(replacement, detection.category, original, interview))
        return replacement

    def _variant_of(self, original: str) -> str | None:
        """The placeholder of a known person this name is a variant of.

        A shorter form of a known name ("jones" of "sarah jones") is that person. A longer form of a
        name seen earlier ("priya patel" after "priya") is too, except for names from the roster:
        "sarah smith" is not the participant called Sarah.
        """
        words = set(original.split())
        if not words:
            return None
        roster = {normalise(name) for person in self.people.values() for name in person.names}
        for entry in self.entries:
            if entry.category != "person":
                continue
            known = set(entry.original.split())
            if words <= known or (known <= words and entry.original not in roster):
                return entry.replacement
        return None

    # --- storage ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, people: list[Person], interviewer_label: str = "I") -> "StudyKey":
        """The key in `path` (none yet: an empty one), every row checked; a bad row stops with its line."""
        table = read_table(path, COLUMNS, required=("replacement", "category", "original"))
        entries, seen = [], {}
        for row, line in zip(table.rows, table.lines):
            if any(invisible(row[column]) for column in ("replacement", "original")):
                raise TranscribeError(f"{path.name}, line {line}: a name there holds an invisible character (pasted "
                                      "text can bring one), so it would never match a transcript. Type the name again "
                                      "by hand and run again; nothing was changed.")
            category = row["category"].lower()
            if not re.fullmatch(r"[a-z_]+", category):
                raise TranscribeError(f"{path.name}, line {line}: category '{row['category']}' is not one transcribe "
                                      f"writes ({', '.join(LABELS)}). Fix it and run again; nothing was changed.")
            entry = KeyEntry(row["replacement"], category, normalise(row["original"], category) or row["original"].lower(),
                             row["first_seen"])
            other = seen.get((entry.category, entry.original))
            if other is not None and other != entry.replacement:
                raise TranscribeError(f"{path.name}, line {line}: '{entry.original}' is given two placeholders "
                                      f"({other} and {entry.replacement}). Keep one row and run again.")
            seen[(entry.category, entry.original)] = entry.replacement
            entries.append(entry)
        key = cls(people, interviewer_label, entries)
        key.delimiter = table.delimiter
        return key

    def replacements(self) -> set[str]:
        return {entry.replacement for entry in self.entries}

    def rows(self) -> list[dict]:
        return [vars(entry) for entry in self.entries]

    def save(self, path: Path) -> None:
        """Write the key (UTF-8 with BOM, its own delimiter), keeping the previous version in key-history/."""
        keep_previous(path)
        write_table(path, COLUMNS, self.rows(), self.delimiter)



HISTORY_KEPT = 20


def keep_previous(path: Path) -> None:
    """Copy `path` into key-history/ beside it (mode 0600), unless that copy is already the newest there."""
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return
    history = make_private_dir(path.parent / KEY_HISTORY)
    versions = _versions(history)
    if versions and versions[-1].read_bytes() == current:
        return
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    atomic_write(history / f"key-{stamp}.csv", current, mode=PRIVATE_FILE_MODE)
    for old in versions[: max(0, len(versions) + 1 - HISTORY_KEPT)]:
        old.unlink(missing_ok=True)


def newest_previous(path: Path) -> Path | None:
    versions = _versions(path.parent / KEY_HISTORY)
    return versions[-1] if versions else None


def _versions(history: Path) -> list[Path]:
    """The copies this module made (key-<timestamp>.csv), oldest first: only those are ever pruned."""
    stamp = re.compile(r"key-\d{8}T\d{12}\.csv")
    return sorted(p for p in history.glob("key-*.csv") if stamp.fullmatch(p.name) and p.is_file() and not p.is_symlink())
