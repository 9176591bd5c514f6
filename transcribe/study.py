"""The study file (`study.toml`): interviews, participant codes, people's names, lists and vocabulary.

The study file names people, so it is identifiable: it stays with the recordings, never in the
shareable folder. Everything in it is optional; without one, a folder of audio gets codes p1…pN
in file order. Validation errors name the line and the problem.
"""

from __future__ import annotations

import datetime
import json
import re
import string
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import styles as replacement_styles
from .audio import AUDIO_EXTENSIONS
from .errors import TranscribeError
from .text import invisible, normalise

STUDY_FILE = "study.toml"
CODE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}")  # always with fullmatch: "p1\n" is no code
STUDY_KEYS = {"interviewer_label", "language", "places", "organisations", "allow", "vocabulary", "interviewer_voice",
              "citation", "styles", "generalised", "speaker_labels"}
INTERVIEW_KEYS = {"audio", "codes", "code", "speakers", "min_speakers", "max_speakers", "roles"}
PERSON_KEYS = {"name", "aliases", "role", "code", "variables", "pseudonym"}
PSEUDONYM_PATTERN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?: [^\W\d_]+(?:['’-][^\W\d_]+)*){0,2}")
ROLES = ("participant", "interviewer", "other")
# How a quotation is cited: {code} the participant, {lines} "line 214" or "lines 214–216", {range} "214–216".
DEFAULT_CITATION = "({code}, {lines})"
CITATION_FIELDS = ("code", "lines", "range")
# A case variable's kinds, as REFI-QDA types them (an int beside a float makes a Float).
VARIABLE_KINDS = ((bool, "true/false"), (int, "number"), (float, "number"), (datetime.datetime, "date and time"),
                  (datetime.date, "date"), (str, "text"))


@dataclass(frozen=True)
class Person:
    """One person on the study roster and every name they may be called."""

    id: str  # participant code, interviewer label, or a slug of the name
    names: tuple[str, ...]
    role: str  # "participant" | "interviewer" | "other"
    pseudonym: str | None = None  # fixed by the researcher; None: chosen when first needed


@dataclass
class Interview:
    audio: Path
    codes: list[str]
    speakers: int | None = None  # None: the command line's --speakers (default 2) applies
    min_speakers: int | None = None
    max_speakers: int | None = None
    roles: list[str] | None = None  # labels in order of first speech (override)

    @property
    def code(self) -> str:
        return self.codes[0]


@dataclass
class Study:
    path: Path | None = None
    interviewer_label: str = "I"
    language: str | None = None
    interviews: list[Interview] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)
    interviewer_voice: Path | None = None
    # Participants on the roster whose code no interview in the file has -> what is wrong if their
    # interview is not in the output folders either (it may have been withdrawn: see Batch).
    unlisted_codes: dict[str, str] = field(default_factory=dict)
    variables: dict[str, dict[str, object]] = field(default_factory=dict)  # participant code -> case variables
    citation: str = DEFAULT_CITATION
    styles: dict[str, str] = field(default_factory=dict)  # category -> replacement style (placeholder if not named)
    generalised: dict[str, str] = field(default_factory=dict)  # a place or organisation -> the researcher's wording
    speaker_labels: str = replacement_styles.LABEL_CODE  # participants' turn labels: code, or pseudonym

    @property
    def never_replaced(self) -> tuple[str, ...]:
        """The allow list and the vocabulary (project names, jargon), except a vocabulary entry that
        names someone on the roster or is on the lists of places and organisations."""
        known = {n.casefold() for p in self.people for n in p.names} | {
            x.casefold() for x in [*self.places, *self.organisations]}
        return tuple(dict.fromkeys([*self.allow, *(v for v in self.vocabulary if v.casefold() not in known)]))

    def interview_for(self, audio: Path) -> Interview | None:
        resolved = audio.resolve()
        return next((i for i in self.interviews if i.audio.resolve() == resolved), None)

    def prompt(self, codes: list[str] | None = None, people: bool = True) -> str | None:
        """Vocabulary and roster names for Whisper's initial prompt (spellings the study uses).

        Given an interview's codes, only the names of its own participants and of the interviewer
        are included: names in the prompt pull similar spoken names towards them (benchmarks/prompt.py).
        With `people` false, no one's name is included.
        """
        if not people:
            chosen = []
        elif codes is None:
            chosen = self.people
        else:
            chosen = [p for p in self.people if p.role == "interviewer" or p.id in codes]
        terms = list(dict.fromkeys(
            [*self.vocabulary, *(n for p in chosen for n in p.names if " " in n or n[:1].isupper()),
             *self.places, *self.organisations]
        ))
        return ", ".join(terms) + "." if terms else None


class _Lines:
    """Finds the line of a value in the raw TOML, so errors can point at it."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def of(self, key: str, value: object | None = None, occurrence: int = 0) -> int | None:
        seen = 0
        for number, line in enumerate(self.lines, start=1):
            stripped = line.split("#", 1)[0]
            if re.match(rf"\s*{re.escape(key)}\s*=", stripped) and (value is None or repr(value).strip("'") in stripped
                                                                    or str(value) in stripped):
                if seen == occurrence:
                    return number
                seen += 1
        return None


def _error(path: Path, line: int | None, problem: str) -> TranscribeError:
    where = f"{path.name}, line {line}" if line else path.name
    return TranscribeError(f"{where}: {problem}")


def load_study(path: str | Path) -> Study:
    """Read and validate a study file; raise TranscribeError naming the line of the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TranscribeError(f"The study file {path} does not exist. Create one with `transcribe init`.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TranscribeError(f"The study file {path.name} cannot be read ({error}).") from None
    # Names typed on a Mac or pasted from file names may be decomposed ("e" + combining accent);
    # recognised text is composed. Normalising here makes them compare equal everywhere.
    text = unicodedata.normalize("NFC", text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TranscribeError(f"{path.name} is not valid TOML: {error}.") from None
    lines = _Lines(text)
    base = path.parent
    allowed_top = {"study", "interviews", "people"}
    for key in data:
        if key not in allowed_top:
            raise _error(path, lines.of(key) or _table_line(lines, key), f"unknown section or key '{key}' (expected study, interviews, people)")

    settings = data.get("study", {})
    study = Study(path=path)
    study.interviewer_label = _string(settings, "interviewer_label", "I", path, lines)
    study.language = settings.get("language")
    for key in ("places", "organisations", "allow", "vocabulary"):
        setattr(study, key, _string_list(settings, key, path, lines))
    if "interviewer_voice" in settings:
        voice = base / _string(settings, "interviewer_voice", "", path, lines)
        if not voice.is_file():
            raise _error(path, lines.of("interviewer_voice"), f"interviewer_voice file {voice.name} not found")
        study.interviewer_voice = voice
    _check_keys(settings, STUDY_KEYS, "[study]", path, lines)
    study.citation = _citation(settings, path, lines)
    study.styles = _styles(settings, path, lines)
    study.generalised = _generalised(settings, path, lines)
    study.speaker_labels = settings.get("speaker_labels", replacement_styles.LABEL_CODE)
    if study.speaker_labels not in replacement_styles.SPEAKER_LABELS:
        raise _error(path, lines.of("speaker_labels"), "speaker_labels must be \"code\" (participants' turns start "
                     "with their code, the default) or \"pseudonym\" (with their pseudonym)")
    for table, allowed in (("interviews", INTERVIEW_KEYS), ("people", PERSON_KEYS)):
        entries = data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise _error(path, _table_line(lines, table), f"write each entry of {table} as [[{table}]]")
        for entry in entries:
            _check_keys(entry, allowed, f"[[{table}]]", path, lines)

    codes_seen: dict[str, int] = {}
    audio_seen: set[Path] = set()
    for index, entry in enumerate(data.get("interviews", [])):
        audio_name = entry.get("audio")
        line = lines.of("audio", audio_name) if audio_name else None
        if not isinstance(audio_name, str):
            raise _error(path, _table_line(lines, "interviews", index), "every [[interviews]] entry needs audio = \"file name\"")
        audio = (base / audio_name)
        if not audio.resolve().is_relative_to(base.resolve()):
            raise _error(path, line, f"audio file {audio_name} is outside the study's folder; move it into "
                         f"{base.name or 'this folder'} (or a folder inside it) and give its path from there")
        if not audio.is_file():
            raise _error(path, line, f"audio file {audio_name} not found (paths are relative to the study file's folder)")
        if audio.resolve() in audio_seen:
            raise _error(path, line, f"audio file {audio_name} is listed twice")
        audio_seen.add(audio.resolve())
        codes = entry.get("codes", entry.get("code"))
        codes = [codes] if isinstance(codes, str) else codes
        if not codes or not all(isinstance(c, str) for c in codes):
            raise _error(path, line, f"interview {audio_name} needs codes = [\"p1\"] (its participant code or codes)")
        for code in codes:
            code_line = lines.of("codes", code) or lines.of("code", code)
            if not CODE_PATTERN.fullmatch(code):
                raise _error(path, code_line, f"participant code '{code}' must be a letter followed by up to 15 letters, digits, - or _")
            if code == study.interviewer_label:
                raise _error(path, code_line, f"participant code '{code}' is the interviewer label")
            if code in codes_seen:
                code_line = lines.of("codes", code, occurrence=1) or lines.of("code", code, occurrence=1)
                raise _error(path, code_line, f"duplicate participant code '{code}' (also used in interview {codes_seen[code] + 1})")
            codes_seen[code] = index
        for key in ("speakers", "min_speakers", "max_speakers"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > 20):
                raise _error(path, lines.of(key, value), f"{key} must be a whole number from 1 to 20")
        roles = entry.get("roles")
        allowed = {study.interviewer_label, *codes}
        if roles is not None and (not isinstance(roles, list)
                                  or not all(isinstance(r, str) and (r in allowed or re.fullmatch(r"S\d+", r)) for r in roles)):
            raise _error(path, lines.of("roles"), "roles must list labels in order of first speech, each the interviewer "
                         f"label, one of this interview's codes or S2, S3… (e.g. [\"{study.interviewer_label}\", \"{codes[0]}\"]); "
                         "never a name")
        study.interviews.append(Interview(audio, list(codes), entry.get("speakers"), entry.get("min_speakers"),
                                          entry.get("max_speakers"), roles))

    for index, entry in enumerate(data.get("people", [])):
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _error(path, _table_line(lines, "people", index), "every [[people]] entry needs name = \"…\"")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise _error(path, lines.of("aliases"), f"aliases of {name} must be a list of strings")
        name = _visible(name, "the name", path, lines)
        aliases = [_visible(alias, f"the alias of {name}", path, lines) for alias in aliases]
        code = entry.get("code")
        role = entry.get("role", "participant" if code else "other")
        if role not in ROLES:
            raise _error(path, lines.of("role", role), f"role '{role}' must be one of {', '.join(ROLES)}")
        if role == "participant" and code is None:
            raise _error(path, lines.of("role", role) or lines.of("name", name),
                         f"person {name} is a participant but has no code; add code = \"p…\" (their interview's code)")
        if code is not None and code not in codes_seen:
            problem = _error(path, lines.of("code", code), f"person {name} has code '{code}', which no interview uses")
            study.unlisted_codes[code] = str(problem)
        person_id = code if role == "participant" else (study.interviewer_label if role == "interviewer" else _slug(name))
        if "variables" in entry:
            line = lines.of("variables", occurrence=len(study.variables)) or _table_line(lines, "people", index)
            if role != "participant":
                raise _error(path, line, f"variables describe a participant (a case of the study); {name} has no code")
            names = {p.id: p.names[0] for p in study.people}
            study.variables[code] = _variables(entry["variables"], name, study.variables, names, path, line)
        pseudonym = entry.get("pseudonym")
        if pseudonym is not None and (not isinstance(pseudonym, str) or not PSEUDONYM_PATTERN.fullmatch(pseudonym.strip())):
            raise _error(path, lines.of("pseudonym", pseudonym), f"the pseudonym of {name} must be a first name, or a "
                         "first name and a surname, in letters (e.g. pseudonym = \"Emma\")")
        study.people.append(Person(person_id, tuple(dict.fromkeys([name, *aliases])), role,
                                   pseudonym.strip() if pseudonym else None))
    names = {n.casefold() for p in study.people for full in p.names for n in [full, *full.split()]}
    _check_pseudonyms(study, path, lines)
    if study.interviewer_label.casefold() in names:
        raise _error(path, lines.of("interviewer_label"), f"interviewer_label '{study.interviewer_label}' is also a "
                     "name on the study's roster; use a label such as \"I\" or \"Int\"")
    for code in codes_seen:
        if code.casefold() in names:
            raise _error(path, lines.of("codes", code) or lines.of("code", code),
                         f"participant code '{code}' is also a name on the study's roster: codes name the shareable "
                         "files and label the speakers, so they must not be names. Use codes such as p1, p2")
    return study


def _styles(settings: dict, path: Path, lines: _Lines) -> dict[str, str]:
    """[study] styles = { person = "pseudonym", place = "generalise" }, each checked."""
    value = settings.get("styles", {})
    if not isinstance(value, dict):
        raise _error(path, lines.of("styles"), "styles must be a table of category = style, e.g. "
                     "styles = { person = \"pseudonym\", place = \"generalise\" }")
    for category, style in value.items():
        why = replacement_styles.problem(category, style) if isinstance(style, str) else f"the style of {category} is not a text"
        if why:
            raise _error(path, lines.of("styles") or _table_line(lines, "study.styles"), f"styles: {why}")
    return dict(value)


def _generalised(settings: dict, path: Path, lines: _Lines) -> dict[str, str]:
    """[study.generalised] "Harehills" = "a district of a northern city": the researcher's own wording."""
    value = settings.get("generalised", {})
    line = lines.of("generalised") or _table_line(lines, "study.generalised")
    if not isinstance(value, dict) or not all(isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip("[] ")
                                              for k, v in value.items()):
        raise _error(path, line, "generalised must be a table of name = wording, e.g. "
                     "\"Riverside Surgery\" = \"a GP surgery\"")
    return {k.strip(): v.strip() for k, v in value.items()}


def _check_pseudonyms(study: Study, path: Path, lines: _Lines) -> None:
    """A pseudonym fixed in the study file is nobody's real name and nobody else's pseudonym."""
    from .text import fold_for_matching

    real = {fold_for_matching(w).strip(".") for p in study.people for n in p.names for w in n.split()}
    real |= {fold_for_matching(w) for name in study.places + study.organisations for w in name.split()}
    given: dict[str, str] = {}
    for person in study.people:
        if not person.pseudonym:
            continue
        line = lines.of("pseudonym", person.pseudonym)
        words = [fold_for_matching(w) for w in person.pseudonym.split()]
        if any(w in real for w in words):
            raise _error(path, line, f"the pseudonym of {person.names[0]} is a real name in the study (a name, alias "
                         "or surname on the roster, or one of its places or organisations); choose another")
        for word in words:
            if word in given and given[word] != person.id:
                raise _error(path, line, f"the pseudonym of {person.names[0]} shares a name with another person's "
                             "pseudonym; give each person their own")
            given[word] = person.id


def _check_keys(table: dict, allowed: set[str], where: str, path: Path, lines: _Lines) -> None:
    """Reject a key the study file does not know, suggesting the nearest one ("aliasses" → "aliases")."""
    import difflib

    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]}?" if near else f" (expected one of {', '.join(sorted(allowed))})"
            raise _error(path, lines.of(key), f"unknown key '{key}' in {where}{hint}")


def _table_line(lines: _Lines, table: str, index: int = 0) -> int | None:
    seen = 0
    for number, line in enumerate(lines.lines, start=1):
        if line.strip() in (f"[[{table}]]", f"[{table}]"):
            if seen == index:
                return number
            seen += 1
    return None


def _string(settings: dict, key: str, default: str, path: Path, lines: _Lines) -> str:
    value = settings.get(key, default)
    if not isinstance(value, str) or (key == "interviewer_label" and not CODE_PATTERN.fullmatch(value)):
        raise _error(path, lines.of(key), f"{key} must be a short text without spaces")
    return value


def _string_list(settings: dict, key: str, path: Path, lines: _Lines) -> list[str]:
    value = settings.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(path, lines.of(key), f"{key} must be a list of non-empty strings")
    return [_visible(v.strip(), f"the {key} entry", path, lines) for v in value]


def _visible(value: str, what: str, path: Path, lines: _Lines) -> str:
    """A name or list entry in the one form texts are compared in (transcribe/text.py); refused
    with its line if it holds a character a reader does not see (pasted text can bring one), which
    would keep it from ever matching the transcripts."""
    if invisible(value):
        hidden = next(ch for ch in value if invisible(ch))
        written = (value, json.dumps(value)[1:-1])  # pasted as it is, or as a TOML escape ("\\u200b")
        line = next((n for n, text in enumerate(lines.lines, start=1) if any(w in text for w in written)), None)
        shown = "".join(ch for ch in value if not invisible(ch))
        raise _error(path, line, f"{what} \"{shown}\" holds an invisible character (U+{ord(hidden):04X} "
                     f"{unicodedata.name(hidden, 'format character')}), so it would never match a transcript. "
                     "Delete it and type it again by hand.")
    return normalise(value)


def code_order(code: str) -> tuple:
    """Sort key of participant codes: p2 before p10."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return (code.rstrip("0123456789"), int(digits) if digits else 0, code)


def _citation(settings: dict, path: Path, lines: _Lines) -> str:
    value = settings.get("citation", DEFAULT_CITATION)
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None} if isinstance(value, str) else None
    except ValueError:
        fields = None
    unknown = sorted(fields - set(CITATION_FIELDS)) if fields is not None else []
    if fields is None or unknown:
        what = f"names {{{unknown[0]}}}, which" if unknown else "is not a form that"
        raise _error(path, lines.of("citation"), f"citation {what} transcribe cannot fill in; write it with "
                     "{code}, {lines} (line 214 / lines 214–216) and {range} (214–216), e.g. \"({code}, {lines})\"")
    if "code" not in fields or not fields & {"lines", "range"}:
        raise _error(path, lines.of("citation"), "citation must name the participant with {code} and the lines with "
                     "{lines} or {range}, e.g. \"({code}, {lines})\"")
    return value


def _kind(value: object) -> str | None:
    return next((kind for type_, kind in VARIABLE_KINDS if isinstance(value, type_)), None)


def _variables(table: object, name: str, seen: dict[str, dict[str, object]], names: dict[str, str], path: Path,
               line: int | None) -> dict:
    """A participant's case variables, each of one kind across the study (texts, numbers, dates)."""
    if not isinstance(table, dict):
        raise _error(path, line, f"variables of {name} must be a table, e.g. variables = {{ role = \"staff\", years_in_role = 3 }}")
    for variable, value in table.items():
        kind = _kind(value)
        if kind is None or isinstance(value, datetime.time):
            raise _error(path, line, f"variable '{variable}' of {name} must be a text, a number, true/false or a date")
        if kind == "text" and not value.strip():
            raise _error(path, line, f"variable '{variable}' of {name} is empty; leave it out instead")
        other = next(((code, values[variable]) for code, values in seen.items() if variable in values), None)
        if other is not None and _kind(other[1]) != kind:
            raise _error(path, line, f"variable '{variable}' of {name} is a {kind}, but a {_kind(other[1])} for "
                         f"{names[other[0]]}; give it one kind for everyone")
    return dict(table)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def find_study(paths: list[Path]) -> Path | None:
    """A study.toml in the (single) folder given, if there is one."""
    folders = {p if p.is_dir() else p.parent for p in paths}
    if len(folders) == 1:
        candidate = next(iter(folders)) / STUDY_FILE
        if candidate.is_file():
            return candidate
    return None


def audio_files(folder: Path) -> list[Path]:
    """Audio and video files under `folder`, recursively, in a stable order; symlink loops skipped."""
    found: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: Path) -> None:
        try:
            stat = directory.stat()
        except OSError:
            return
        if (stat.st_dev, stat.st_ino) in seen_dirs:
            return  # a symlink loop, or the same folder reached twice
        seen_dirs.add((stat.st_dev, stat.st_ino))
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.suffix.lower() in AUDIO_EXTENSIONS:
                    found.append(entry)  # reported as "a folder, not an audio file"
                else:
                    walk(entry)
            elif entry.suffix.lower() in AUDIO_EXTENSIONS:
                found.append(entry)

    walk(folder)
    return found


TEMPLATE_HEADER = """\
# Study file for `transcribe`. It names people, so keep it private, beside the recordings.
# Edit it, then run:  {command}
#
# [study]       settings for the whole study
# [[interviews]] one entry per recording: its audio file, participant code(s), number of speakers
# [[people]]    everyone who may be named: participants (with their code), the interviewer,
#               and third parties; every name and nickname they may be called

[study]
interviewer_label = "I"      # how the interviewer appears in transcripts
language = "en"              # spoken language (en, fr, de, ...); anonymisation has models for en and fr
places = []                  # known places to replace, e.g. ["Lewisham", "Manchester"]
organisations = []           # known organisations, e.g. ["Riverside Surgery"]
allow = []                   # words never to replace, e.g. ["NHS", "WellTogether"]
vocabulary = []              # spellings that help recognition: project names, jargon
# interviewer_voice = "interviewer.wav"   # a clip of only the interviewer's voice (role detection)
# citation = "({{code}}, {{lines}})"      # how `transcribe quote` cites: (p3, lines 214–216)
# styles = {{ person = "pseudonym" }}     # how identifiers are replaced: placeholder (default), pseudonym, generalise, redact
"""


def template(folder: Path, files: list[Path] | None = None) -> str:
    """A commented study.toml proposing codes p1…pN for the audio files in `folder` (or `files`,
    typed transcripts say), in file order.

    Values are written by a TOML library, so any file name (quotes, backslashes) stays valid TOML;
    the result is parsed once more before it is returned.
    """
    import tomli_w

    name = (folder.name or ".").replace("\n", " ").replace("\r", " ")
    recordings = files is None
    files = audio_files(folder) if recordings else files
    command = f"transcribe run {name}" if recordings else "transcribe anonymise " + " ".join(
        f"{name}/{f.relative_to(folder).as_posix()}" for f in files)
    parts = [TEMPLATE_HEADER.format(command=command.replace("\n", " ").replace("\r", " "))]
    for number, audio in enumerate(files, start=1):
        relative = audio.relative_to(folder).as_posix()
        entry = tomli_w.dumps({"audio": relative}) + f'codes = ["p{number}"]\n'
        parts.append(
            f"\n[[interviews]]\n{entry}# speakers = 2          # default: --speakers (2)\n"
            f"# roles = [\"I\", \"p{number}\"]   # labels in order of first speech, if automatic roles go wrong\n"
        )
    parts.append(
        "\n# [[people]]\n# name = \"Jane Doe\"\n# aliases = [\"Jane\", \"Ms Doe\"]\n# code = \"p1\"            # a participant\n"
        "# variables = { role = \"staff\", years_in_role = 3 }   # the case's variables (QDA project)\n"
        "#\n# [[people]]\n# name = \"Alex Smith\"\n# role = \"interviewer\"\n#\n# [[people]]\n# name = \"Tom\"             # someone else who is mentioned\n"
    )
    text = "".join(parts)
    tomllib.loads(text)  # a bug here must never hand the researcher a file that does not load
    return text
