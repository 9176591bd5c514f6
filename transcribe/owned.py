"""The files this tool wrote into an output folder pair, so that it only ever replaces or removes those.

``owned.json`` in the private folder lists every output file (shareable and private) with the
interview and format it belongs to and the SHA-256 of what was written. A file is the tool's to
replace or remove only while it is listed *and* still holds bytes the tool wrote: a recording, a
coding memo or a transcript the researcher edited by hand is never touched, whatever its name.

The hash is recorded before the file is published, so a run killed between the two leaves a file
that the next run still recognises as its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import TranscribeError
from .folders import LAST_RUN, METHODS, OWNED, Folders
from .storage import PRIVATE_FILE_MODE, SHARED_FILE_MODE, TEMP_PREFIX, atomic_write, storage_error

log = logging.getLogger("transcribe")
KEEP_HASHES = 3  # the last few versions written: any of them counts as the tool's own


@dataclass
class Refusal:
    """A file the tool would have replaced or removed but did not, because it did not write it."""

    name: str
    reason: str


def sha256_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


class OwnedFiles:
    """The manifest of one shareable folder and its private sibling."""

    def __init__(self, folders: Folders):
        self.folders = folders
        self.out, self.private = folders.out, folders.private
        self.path = folders.private / OWNED
        self.meta: dict = {}  # facts about the study files the outputs were made with (the key's placeholders)
        self.entries: dict[str, dict] = self._load()
        self.refusals: list[Refusal] = []

    # --- naming ---------------------------------------------------------------------------

    def _name(self, path: Path) -> str:
        if path.parent == self.out:
            return f"shareable/{path.name}"
        if path.parent == self.private:
            return f"private/{path.name}"
        raise ValueError(f"{path} is not in the output folders")

    def _path(self, name: str) -> Path:
        side, _, file = name.partition("/")
        return (self.out if side == "shareable" else self.private) / file

    # --- questions ------------------------------------------------------------------------

    def owns(self, path: Path) -> bool:
        """Whether `path` is absent, or holds bytes this tool wrote there."""
        if not os.path.lexists(path):
            return True
        if path.is_symlink() or not path.is_file():
            return False
        entry = self.entries.get(self._name(path))
        return entry is not None and sha256_of(path) in entry["hashes"]

    def shared_files(self, code: str) -> dict[str, Path]:
        """Format -> path of every shareable file recorded for interview `code`."""
        return {e["format"]: self._path(name) for name, e in self.entries.items()
                if name.startswith("shareable/") and e.get("code") == code}

    def formats(self, code: str) -> set[str]:
        """Every format written for `code`, on either side."""
        return {e["format"] for e in self.entries.values() if e.get("code") == code and e.get("format")}

    def codes(self) -> set[str]:
        return {e["code"] for e in self.entries.values() if e.get("code")}

    # --- changes --------------------------------------------------------------------------

    def write(self, path: Path, content: bytes, *, code: str | None, fmt: str | None, private: bool = False) -> bool:
        """Publish `content` at `path` unless a file the tool did not write is there.

        Returns False (and records why) when it refuses; raises StorageError when writing fails.
        """
        if not self.owns(path):
            self._refuse(path, "it was not written by transcribe, or was changed since")
            return False
        name = self._name(path)
        digest = hashlib.sha256(content).hexdigest()
        entry = self.entries.setdefault(name, {"code": code, "format": fmt, "hashes": []})
        entry.update(code=code, format=fmt)
        if digest not in entry["hashes"]:
            entry["hashes"] = [*entry["hashes"], digest][-KEEP_HASHES:]
            self.save()  # before publishing: a kill in between still leaves a file known as ours
        atomic_write(path, content, mode=PRIVATE_FILE_MODE if private else SHARED_FILE_MODE)
        return True

    def write_stream(self, path: Path, produce, *, code: str | None, fmt: str | None, private: bool = False) -> bool:
        """As :meth:`write`, for content too large to hold in memory (a project with its recordings):
        `produce` writes it into a binary file; it is hashed from there before it is published."""
        if not self.owns(path):
            self._refuse(path, "it was not written by transcribe, or was changed since")
            return False
        staged = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.staged")
        atomic_write(staged, produce, binary=True, mode=PRIVATE_FILE_MODE if private else SHARED_FILE_MODE)
        digest = sha256_of(staged)
        entry = self.entries.setdefault(self._name(path), {"code": code, "format": fmt, "hashes": []})
        entry.update(code=code, format=fmt)
        if digest not in entry["hashes"]:
            entry["hashes"] = [*entry["hashes"], digest][-KEEP_HASHES:]
            self.save()
        try:
            os.replace(staged, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise storage_error(path, error) from error
        return True

    def remove(self, path: Path) -> bool:
        """Remove `path` if the tool wrote it and nobody changed it since; else leave it and say so."""
        if not os.path.lexists(path):
            self._forget(path)
            return True
        if not self.owns(path):
            self._refuse(path, "it was changed after transcribe wrote it")
            return False
        path.unlink()
        self._forget(path)
        return True

    def _forget(self, path: Path) -> None:
        if self.entries.pop(self._name(path), None) is not None:
            self.save()

    def _refuse(self, path: Path, reason: str) -> None:
        log.warning("left a file alone: %s", reason)
        self.refusals.append(Refusal(path.name, reason))

    # --- storage --------------------------------------------------------------------------

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._adopt_legacy()
        except (OSError, ValueError) as error:
            raise TranscribeError(
                f"{self.path.name} in {self.private} is damaged ({type(error).__name__}); it lists the files "
                "transcribe wrote. Restore it from a backup, or move the output folders away and run again."
            ) from None
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or not all(isinstance(e, dict) and isinstance(e.get("hashes"), list)
                                                  for e in files.values()):
            raise TranscribeError(f"{self.path.name} in {self.private} is damaged; move the output folders away and run again.")
        self.meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        return files

    def _adopt_legacy(self) -> dict[str, dict]:
        """Output files of a version that kept no manifest: exactly the names it wrote, nothing else."""
        from .writers import WRITERS, get_writer

        entries: dict[str, dict] = {}
        if not (self.private / LAST_RUN).is_file():
            return entries
        for code in self.folders.codes():
            for fmt in WRITERS:
                ext = get_writer(fmt).extension
                for path, private in ((self.folders.shareable(code, ext), False), (self.folders.identifiable(code, ext), True)):
                    digest = sha256_of(path) if path.is_file() and not path.is_symlink() else None
                    if digest:
                        entries[("private/" if private else "shareable/") + path.name] = {
                            "code": code, "format": fmt, "hashes": [digest]}
        methods = self.out / METHODS
        if methods.is_file() and not methods.is_symlink():
            entries["shareable/methods.md"] = {"code": None, "format": None, "hashes": [sha256_of(methods)]}
        return entries

    def save(self) -> None:
        atomic_write(self.path, json.dumps({"files": self.entries, "meta": self.meta}, indent=1, sort_keys=True), mode=PRIVATE_FILE_MODE)
