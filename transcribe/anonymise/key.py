"""The study-wide key: every identifier found, and the placeholder that replaces it everywhere.

Participants become their code (``[p4]``), the interviewer the interviewer label (``[I]``), other
people ``[Name 1]``, places ``[Place 1]``, organisations ``[Organisation 1]``, and so on, numbered
in order of first appearance across the study. The key is kept in the private folder as
``key.csv`` (mode 0600) and reloaded on every run, so numbers stay the same across re-runs and
when interviews are added later. Variants of one entity (``Sarah``, ``Sarah Jones``, ``Ms Jones``)
share one placeholder.

The placeholder is each entity's identity. Where a style other than placeholders is used, the
value it gave an entity is kept too, on a row of its own with the style named in the ``style``
column (``Emma Clarke,person,sarah jones,,pseudonym``): the person's pseudonym, a place's
generalised wording. So switching style and back gives the same values, and a pseudonym is the
same in every interview. A key written without styles has no ``style`` column (every row a
placeholder), as before styles existed.
"""

from __future__ import annotations

import datetime
import logging
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..csvfiles import read_table, write_table
from ..errors import TranscribeError
from ..folders import KEY_HISTORY
from ..storage import PRIVATE_FILE_MODE, atomic_write, make_private_dir
from ..study import Person
from ..text import invisible, without_accents
from . import generalise, pseudonyms
from .detect import Detection
from .languages import TITLES, detection_language
from ..styles import GENERALISE, LABEL_PSEUDONYM, PLACEHOLDER, PSEUDONYM, REDACT, REDACTED, STYLES

log = logging.getLogger("transcribe")

LABELS = {
    "person": "Name", "place": "Place", "organisation": "Organisation", "email": "Email", "phone": "Phone",
    "url": "URL", "postcode": "Postcode", "nhs_number": "NHS number", "date": "Date", "address": "Address",
    "number": "Number",
}
COLUMNS = ["replacement", "category", "original", "first_seen"]
STYLE_COLUMN = "style"  # written once a style other than placeholders has been used
STORED_STYLES = (PSEUDONYM, GENERALISE)  # the styles whose values are the entity's own


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
    style: str = PLACEHOLDER  # which style made the replacement


class StudyKey:
    """Placeholders for the whole study; load, look up (adding new entities), save."""

    def __init__(self, people: list[Person], interviewer_label: str = "I", entries: list[KeyEntry] | None = None,
                 language: str = "en", known: Iterable[str] = (), wording: dict[str, str] | None = None,
                 rng: random.Random | None = None):
        """`known`: the study's other names (its places and organisations), never a pseudonym;
        `wording`: the researcher's own generalised wording, by name; `rng`: where pseudonyms
        are drawn from (the system's random source unless a test gives one)."""
        self.people = {p.id: p for p in people}
        self.delimiter = ","
        self.style_column = False
        self.interviewer_label = interviewer_label
        self.language = language
        self.known = tuple(known)
        self.wording = {normalise(name, "place"): text for name, text in (wording or {}).items()}
        self.rng = rng or random.SystemRandom()
        self.entries: list[KeyEntry] = []
        self._by_original: dict[tuple[str, str], str] = {}
        self._styled: dict[tuple[str, str], KeyEntry] = {}  # (style, placeholder) -> the entity's value
        self._originals_of: dict[str, list[str]] = {}  # placeholder -> its originals
        fixed = {normalise(name): self.person_replacement(person) for person in people
                 if person.role in ("participant", "interviewer") for name in person.names}
        styled = []
        for entry in entries or []:
            if entry.style != PLACEHOLDER:
                styled.append(entry)
                continue
            # A participant re-coded in the study file since the key was written takes the new code.
            if entry.category == "person" and entry.original in fixed:
                entry = KeyEntry(fixed[entry.original], entry.category, entry.original, entry.first_seen)
            self._add(entry)
        for person in people:
            if person.role in ("participant", "interviewer"):  # fixed placeholders: list them up front
                self._add_person(person, "")
        for entry in styled:
            self.entries.append(entry)
            identity = self._by_original.get((entry.category, entry.original))
            if identity is not None:
                self._styled[(entry.style, identity)] = entry

    def _add_person(self, person: Person, interview: str) -> str:
        replacement = self.person_replacement(person)
        for name in person.names:
            if ("person", normalise(name)) not in self._by_original:
                self._add(KeyEntry(replacement, "person", normalise(name), interview))
        return replacement

    def _add(self, entry: KeyEntry) -> None:
        self.entries.append(entry)
        self._by_original[(entry.category, entry.original)] = entry.replacement
        self._originals_of.setdefault(entry.replacement, []).append(entry.original)

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

    # --- styles ------------------------------------------------------------------------------

    def value(self, detection: Detection, interview: str, style: str) -> tuple[str, dict]:
        """The study-wide value of the detection's entity in `style`, and the parameters its
        operator takes (anonymise/operators.py), adding what is new to the key."""
        if style == REDACT:
            return REDACTED, {}
        if style == PSEUDONYM and detection.category == "person":
            pseudonym, surnames = self.pseudonym(detection, interview)
            return pseudonym, {"pseudonym": pseudonym, "surnames": surnames}
        if style == GENERALISE:
            wording = self.generalised(detection, interview)
            return wording, {"wording": wording}
        placeholder = self.replacement(detection, interview)
        return placeholder, {"value": placeholder}

    def existing_value(self, detection: Detection, style: str) -> str | None:
        """The value the key already has for the detection's entity in `style`, adding nothing."""
        identity = self.existing(detection)
        if style == REDACT:
            return REDACTED
        if style in STORED_STYLES and identity is not None:
            entry = self._styled.get((style, identity))
            return entry.replacement if entry else None
        return identity

    def pseudonym(self, detection: Detection, interview: str) -> tuple[str, frozenset[str]]:
        """The person's pseudonym ("Emma", "Emma Clarke") and their real surnames (folded), choosing
        one the first time; a surname is added when a mention first needs one."""
        identity = self.replacement(detection, interview)
        person = self._person_of(identity)
        surnames = self._surnames(identity, person)
        shape = pseudonyms.shape_of(detection.text, surnames)
        if shape.last and not shape.first and shape.titles:
            surnames = surnames | {pseudonyms.key_form(detection.text.split()[-1])}
        entry = self._styled.get((PSEUDONYM, identity))
        value = entry.replacement if entry else None
        fixed = person.pseudonym if person is not None else None
        if fixed and (value is None or value.split()[: len(fixed.split())] != fixed.split()):
            value = fixed
        if value is None:
            gender = pseudonyms.gender_of(person.names[0] if person else detection.text)
            if person is None and gender is None:
                gender = next((g for o in self._originals(identity) if (g := pseudonyms.gender_of(o))), None)
            value = pseudonyms.choose_first(gender, self.language, self._forbidden(identity), self.rng)
        if shape.last and len(value.split()) < 2:
            forbidden = self._forbidden(identity)
            forbidden.taken.add(pseudonyms.key_form(value))  # not "Shannon Shannon"
            value = f"{value} {pseudonyms.choose_surname(self.language, forbidden, self.rng)}"
        self._set_styled(PSEUDONYM, identity, value, detection, interview, person)
        return value, frozenset(surnames)

    def fix_pseudonym(self, detection: Detection, interview: str, value: str) -> None:
        """The researcher's own pseudonym for the detection's person (the review studio), kept in
        the key. Raises ValueError if it is a real name in the study or someone else's pseudonym."""
        identity = self.replacement(detection, interview)
        person = self._person_of(identity)
        if person is not None and person.pseudonym:
            raise ValueError("this person's pseudonym is fixed in the study file; change it there")
        forbidden = self._forbidden(identity)
        words = [pseudonyms.key_form(w) for w in value.split()]
        if any(w in forbidden.real for w in words):
            raise ValueError("that is a real name in the study (on the roster, in the key, or one of its places "
                             "or organisations); choose another")
        if any(w in forbidden.taken for w in words):
            raise ValueError("someone else in the study already has that pseudonym; choose another")
        self._set_styled(PSEUDONYM, identity, " ".join(value.split()), detection, interview, person)

    def pseudonym_label(self, person: Person, interview: str) -> str:
        """The first name of a participant's pseudonym, to label their turns (chosen now if need be)."""
        detection = Detection(0, len(person.names[0]), person.names[0], "person", "roster", 1.0, person.id)
        return self.pseudonym(detection, interview)[0].split()[0]

    def label_participants(self, anonymised, people: list[Person]) -> None:
        """Label the participants' turns of `anonymised` with the first name of their pseudonym
        instead of their code."""
        labels = {p.id: self.pseudonym_label(p, anonymised.code) for p in people
                  if p.role == "participant" and any(t.speaker == p.id for t in anonymised.turns)}
        for turn in anonymised.turns:
            turn.speaker = labels.get(turn.speaker, turn.speaker)
        for speaker in anonymised.speakers:
            if speaker.get("label") in labels:
                speaker["label"] = labels[speaker["label"]]
        for span in anonymised.timeline:
            if span.get("speaker") in labels:
                span["speaker"] = labels[span["speaker"]]
        anonymised.anonymisation["speaker_labels"] = LABEL_PSEUDONYM

    def generalised(self, detection: Detection, interview: str) -> str:
        """The entity's generalised wording, "[a London borough]": the researcher's own (study file)
        if given, else the one the key has, else made from what is known of it."""
        identity = self.replacement(detection, interview)
        own = next((self.wording[o] for o in self._originals(identity) if o in self.wording), None)
        entry = self._styled.get((GENERALISE, identity))
        value = generalise.bracketed(own or (entry.replacement if entry else generalise.wording(
            detection.text, detection.category)))
        self._set_styled(GENERALISE, identity, value, detection, interview, None)
        return value

    def _set_styled(self, style: str, identity: str, value: str, detection: Detection, interview: str,
                    person: Person | None) -> None:
        entry = self._styled.get((style, identity))
        if entry is not None:
            entry.replacement = value
            return
        original = normalise(person.names[0]) if person is not None else self._original(detection)
        if self._by_original.get((detection.category, original)) != identity:
            original = next(iter(self._originals(identity)), original)
        entry = KeyEntry(value, detection.category, original, interview, style)
        self.entries.append(entry)
        self._styled[(style, identity)] = entry

    def _originals(self, identity: str) -> list[str]:
        """Every original the placeholder `identity` stands for, in the order they came."""
        return list(self._originals_of.get(identity, ()))

    def _person_of(self, identity: str) -> Person | None:
        for person in self.people.values():
            if person.role == "other":
                if any(self._by_original.get(("person", normalise(n))) == identity for n in person.names):
                    return person
            elif self.person_replacement(person) == identity:
                return person
        return None

    def _surnames(self, identity: str, person: Person | None) -> set[str]:
        """The real surnames of a person (folded): every word after the first of their multi-word
        names, and a name after a title ("Ms Jones")."""
        names = list(person.names) if person is not None else self._originals(identity)
        found = set()
        for name in names:
            words = [pseudonyms.key_form(w) for w in name.split()]
            titled = bool(words) and words[0] in TITLES
            words = [w for w in words if w not in TITLES]
            if len(words) > 1 or titled:
                found.update(words[1:] if len(words) > 1 else words)
        return found

    def _forbidden(self, identity: str) -> pseudonyms.Forbidden:
        """Every real name word of the study, and the words of other people's pseudonyms."""
        real = self._real_words()
        taken = {pseudonyms.key_form(w) for other, value in self.pseudonyms().items() if other != identity
                 for w in value.split()}
        me = self._person_of(identity)
        taken |= {pseudonyms.key_form(w) for p in self.people.values() if p.pseudonym and p is not me
                  for w in p.pseudonym.split()}
        return pseudonyms.Forbidden(real, taken)

    def pseudonyms(self) -> dict[str, str]:
        """Every pseudonym the key holds: placeholder identity -> pseudonym."""
        return {identity: e.replacement for (style, identity), e in self._styled.items() if style == PSEUDONYM}

    def clashes(self) -> list[str]:
        """Pseudonyms that are also a real name in the study (one added to the roster, or found in
        an interview, after the pseudonym was chosen): the placeholders of the people who have them."""
        real = self._real_words()
        return sorted(identity for identity, value in self.pseudonyms().items()
                      if any(pseudonyms.key_form(w) in real for w in value.split()))

    def fixed_clashes(self) -> list[Person]:
        """People whose pseudonym the study file fixes, where it is a name found in the interviews."""
        found = {w for e in self.entries if e.style == PLACEHOLDER for w in e.original.split()}
        return [p for p in self.people.values() if p.pseudonym
                and any(pseudonyms.key_form(w) in found for w in p.pseudonym.split())]

    def _real_words(self) -> set[str]:
        real = {pseudonyms.key_form(w) for p in self.people.values() for n in p.names for w in n.split()}
        real |= {w for e in self.entries if e.style == PLACEHOLDER for w in e.original.split()}
        real |= {pseudonyms.key_form(w) for name in self.known for w in name.split()}
        return real - set(TITLES)

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
            if entry.category != "person" or entry.style != PLACEHOLDER:
                continue
            known = set(entry.original.split())
            if words <= known or (known <= words and entry.original not in roster):
                return entry.replacement
        return None

    # --- storage ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, people: list[Person], interviewer_label: str = "I", **settings) -> "StudyKey":
        """The key in `path` (none yet: an empty one), every row checked; a bad row stops with its line.
        A key without a style column (written before styles) is all placeholders. `settings`: as
        the constructor's."""
        table = read_table(path, COLUMNS, required=("replacement", "category", "original"), optional=(STYLE_COLUMN,))
        entries, seen, pseudonym_of = [], {}, {}
        for row, line in zip(table.rows, table.lines):
            if any(invisible(row[column]) for column in ("replacement", "original")):
                raise TranscribeError(f"{path.name}, line {line}: a name there holds an invisible character (pasted "
                                      "text can bring one), so it would never match a transcript. Type the name again "
                                      "by hand and run again; nothing was changed.")
            category = row["category"].lower()
            if not re.fullmatch(r"[a-z_]+", category):
                raise TranscribeError(f"{path.name}, line {line}: category '{row['category']}' is not one transcribe "
                                      f"writes ({', '.join(LABELS)}). Fix it and run again; nothing was changed.")
            style = (row.get(STYLE_COLUMN) or PLACEHOLDER).strip().lower()
            if style not in STYLES or style == REDACT:
                raise TranscribeError(f"{path.name}, line {line}: style '{row.get(STYLE_COLUMN)}' is not one the key "
                                      f"records ({', '.join((PLACEHOLDER, *STORED_STYLES))}). Fix it and run again; "
                                      "nothing was changed.")
            entry = KeyEntry(row["replacement"], category, normalise(row["original"], category) or row["original"].lower(),
                             row["first_seen"], style)
            what = "placeholders" if style == PLACEHOLDER else f"{style} values"
            other = seen.get((style, entry.category, entry.original))
            if other is not None and other != entry.replacement:
                raise TranscribeError(f"{path.name}, line {line}: '{entry.original}' is given two {what} "
                                      f"({other} and {entry.replacement}). Keep one row and run again.")
            seen[(style, entry.category, entry.original)] = entry.replacement
            if style == PSEUDONYM:
                name = pseudonyms.key_form(entry.replacement)
                if name in pseudonym_of and pseudonym_of[name] != entry.original:
                    raise TranscribeError(f"{path.name}, line {line}: the pseudonym '{entry.replacement}' is given to two "
                                          "people. Change one of them and run again; nothing was changed.")
                pseudonym_of[name] = entry.original
            entries.append(entry)
        placeholders = {(c, o) for s, c, o in seen if s == PLACEHOLDER}
        for entry, line in zip(entries, table.lines):
            if (entry.style != PLACEHOLDER and (entry.category, entry.original) not in placeholders
                    and not (entry.category == "person" and _roster_name(entry.original, people))):
                raise TranscribeError(f"{path.name}, line {line}: a {entry.style} row for '{entry.original}', which "
                                      "has no placeholder row. Restore that row (see key-history) or delete this one, "
                                      "and run again; nothing was changed.")
        key = cls(people, interviewer_label, entries, **settings)
        key.delimiter = table.delimiter
        key.style_column = STYLE_COLUMN in table.columns
        return key

    def replacements(self) -> set[str]:
        """The placeholders in the key: every entity's identity, never to be reused for another."""
        return {entry.replacement for entry in self.entries if entry.style == PLACEHOLDER}

    def rows(self) -> list[dict]:
        return [vars(entry) for entry in self.entries]

    def save(self, path: Path) -> None:
        """Write the key (UTF-8 with BOM, its own delimiter), keeping the previous version in key-history/.
        The style column is written once a style other than placeholders is in the key."""
        keep_previous(path)
        styled = self.style_column or any(e.style != PLACEHOLDER for e in self.entries)
        write_table(path, COLUMNS + [STYLE_COLUMN] if styled else COLUMNS, self.rows(), self.delimiter)


def _roster_name(original: str, people: list[Person]) -> bool:
    """Whether `original` is a roster name (the key lists participants' names itself)."""
    return any(normalise(name) == original for person in people for name in person.names)



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


def study_key(study, path: Path, pseudonyms: bool) -> StudyKey:
    """The key of `study` in `path`, checked; with `pseudonyms` (the person style), a pseudonym the
    study file gives that is also a name found in the interviews stops the run."""
    key = StudyKey.load(path, study.people, study.interviewer_label, language=detection_language(study.language),
                        known=[*study.places, *study.organisations], wording=study.generalised)
    fixed = key.fixed_clashes() if pseudonyms else []
    if fixed:
        raise TranscribeError(f"the pseudonym the study file gives {fixed[0].names[0]} is also a name found in the "
                              "interviews (key.csv); choose another pseudonym for them and run again")
    return key
