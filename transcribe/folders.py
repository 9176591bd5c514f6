"""The two output folders of a study and every file in them: one home for their names.

``transcripts/`` is shareable; ``transcripts.private/`` beside it holds everything identifiable: the
canonical transcripts, the key, the review file, the record of the files the tool owns, the stage
cache, the corrections and the settings of the last run (read back by `apply`, `export` and the
review studio). Every other module asks :class:`Folders` for a path instead of spelling a name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import styles as replacement_styles
from .errors import TranscribeError
from .storage import PRIVATE_FILE_MODE, atomic_write
from .study import code_order

# Private files and folders, by what they hold.
REVIEW = "review.csv"  # every detection with its context and the researcher's decision
KEY = "key.csv"  # the study-wide key: original -> placeholder
KEY_HISTORY = "key-history"  # earlier versions of the key
CODES = "codes.json"  # recordings outside the study file -> the codes they were given
LAST_RUN = "manifest.json"  # the study file and output settings of the last run
OWNED = "owned.json"  # every file the tool wrote, with its hashes
COUNTS = "anonymisation.json"  # replacements per interview, for the methods record
STUDIO = "studio.json"  # the review studio's marks (reviewed interviews)
REDO = "redo.json"  # an interrupted --redo: the stages, and the recordings already redone
RUN_LOG = "run.log"
CACHE = "cache"  # stage results, by recording
EDITS = "edits"  # the researcher's corrections, by recording
IDENTIFIABLE = "identifiable"  # p1.identifiable.json: the canonical transcript
# Shareable files beside the interviews' own.
METHODS = "methods.md"
# The whole study's REFI-QDA project (shareable) and the same project with the recordings (private);
# the quote bank (shareable) and the quotes it held back because a name was readable in them (private).
STUDY_PROJECT = "study.qdpx"
STUDY_PROJECT_WITH_AUDIO = "study-with-audio.qdpx"
QUOTES = "quotes.csv"
QUOTES_DOCX = "quotes.docx"
QUOTES_HELD = "quotes-held.csv"
MEMBER_CHECK = "member-check"  # p3.member-check.docx: a participant's copy to check (private)


@dataclass
class OutputSettings:
    """How a study's transcripts are written: formats, line width, times at turn starts, anonymised,
    and the replacement styles a command's --style chose over the study file's (None: the study file's)."""

    formats: list[str] = field(default_factory=lambda: ["txt", "json"])
    width: int = 80
    timestamps: bool = False
    anonymise: bool = True
    styles: dict[str, str] | None = None


@dataclass
class LastRun:
    """What the last run into these folders used: its study file (and the SHA-256 of its content
    then, which recognises the file after a move) and output settings."""

    study: Path | None
    output: OutputSettings
    study_sha256: str | None = None


def study_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Folders:
    """A shareable output folder and its private sibling (`transcripts` -> `transcripts.private`)."""

    out: Path
    private: Path

    @classmethod
    def of(cls, out: Path) -> "Folders":
        """The folders for `-o out`. The path is resolved first (links, `.`, `..`), so every way of
        naming one folder gives the same private folder and the same lock."""
        out = Path(out).expanduser().resolve()
        if out.parent == out:
            raise TranscribeError("The output folder cannot be the root of the file system; choose another with -o.")
        return cls(out, out.with_name(out.name + ".private"))

    def private_file(self, name: str) -> Path:
        return self.private / name

    @property
    def review(self) -> Path:
        return self.private / REVIEW

    @property
    def key(self) -> Path:
        return self.private / KEY

    def identifiable(self, code: str, extension: str = "json") -> Path:
        """The identifiable version of an interview (`json`: the canonical transcript)."""
        return self.private / f"{code}.{IDENTIFIABLE}.{extension}"

    def shareable(self, code: str, extension: str) -> Path:
        return self.out / f"{code}.{extension}"

    def member_check(self, code: str) -> Path:
        """A participant's copy of their transcript to check."""
        return self.private / f"{code}.{MEMBER_CHECK}.docx"

    def member_check_returned(self, code: str, digest: str) -> Path:
        """What a returned copy (`digest`: of its bytes) says, line by line."""
        return self.private / f"{code}.{MEMBER_CHECK}.returned-{digest}.csv"

    def codes(self) -> list[str]:
        """The interviews these folders hold a transcript of, p2 before p10."""
        suffix = f".{IDENTIFIABLE}.json"
        found = [p.name[: -len(suffix)] for p in self.private.glob(f"*{suffix}")]
        return sorted(found, key=code_order)

    def content_of(self, code: str) -> str | None:
        """The SHA-256 of what interview `code` here was made from (a recording, a typed
        transcript); None if these folders hold no transcript of that code."""
        try:
            data = json.loads(self.identifiable(code).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        audio = data.get("audio") if isinstance(data, dict) else None
        return audio.get("sha256") if isinstance(audio, dict) else None

    # --- the settings of the last run -----------------------------------------------------------

    def read_last_run(self) -> LastRun | None:
        """The last run's study file and output settings; None if nothing was run into these folders."""
        path = self.private / LAST_RUN
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise TranscribeError(f"{path.name} in {self.private} is damaged ({type(error).__name__}); run "
                                  "`transcribe run` again to write it.") from None
        last = data.get("output", {}) if isinstance(data, dict) else {}
        defaults = OutputSettings()
        styles = last.get("styles")
        if styles is not None and (not isinstance(styles, dict) or any(
                not isinstance(s, str) or replacement_styles.problem(c, s) for c, s in styles.items())):
            raise TranscribeError(f"{path.name} in {self.private} names a replacement style transcribe does not know; "
                                  "run `transcribe run` again to write it.")
        output = OutputSettings(last.get("formats", defaults.formats), last.get("width", defaults.width),
                                last.get("timestamps", defaults.timestamps), last.get("anonymise", defaults.anonymise),
                                styles)
        return LastRun(Path(data["study"]) if data.get("study") else None, output, data.get("study_sha256"))

    def write_last_run(self, study: Path | None, output: OutputSettings) -> None:
        data = {
            "study": str(study.resolve()) if study else None,
            "study_sha256": study_sha256(study) if study else None,
            "output": {"formats": output.formats, "width": output.width, "timestamps": output.timestamps,
                       "anonymise": output.anonymise, "styles": output.styles},
        }
        atomic_write(self.private / LAST_RUN, json.dumps(data, indent=1), mode=PRIVATE_FILE_MODE)

    # --- small private records ------------------------------------------------------------------

    def read_record(self, name: str) -> dict:
        """A private JSON record (codes, counts, the studio's marks); empty when missing or unreadable."""
        try:
            data = json.loads((self.private / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_record(self, name: str, data: dict) -> None:
        atomic_write(self.private / name, json.dumps(data, indent=1, sort_keys=True), mode=PRIVATE_FILE_MODE)
