"""The stage cache: each stage's result for a recording, kept in the private folder.

Results live under ``cache/<sha256 of the recording>/<stage>-<digest of its settings>.json``,
written atomically with mode 0600, each with a checksum of its data. A damaged or edited entry
(wrong checksum, or a shape its stage cannot read) is treated as missing and the stage runs again,
so a cache can make a run faster but never change what it writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable

from .storage import PRIVATE_FILE_MODE, atomic_write, make_private_dir

log = logging.getLogger("transcribe")
# What `read` may raise on data of the wrong shape (an edited or foreign entry).
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, AssertionError, IndexError)


def _same(value):
    return value


class StageCache:
    """Stage results as JSON files under cache/<audio sha256>/ in the private folder."""

    def __init__(self, private_dir: Path):
        self.root = Path(private_dir) / "cache"

    @staticmethod
    def digest(key: dict) -> str:
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @staticmethod
    def checksum(data: dict) -> str:
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def path(self, sha256: str, stage: str, key: dict) -> Path:
        return self.root / sha256 / f"{stage}-{self.digest(key)}.json"

    def load(self, sha256: str, stage: str, key: dict) -> dict | None:
        """The stored data, or None when it is missing, unreadable or damaged."""
        try:
            record = json.loads(self.path(sha256, stage, key).read_text())
        except (OSError, ValueError):
            return None
        return self.checked(stage, record)

    def checked(self, stage: str, record) -> dict | None:
        """The data of a cache record, or None when its checksum does not match."""
        data = record.get("data") if isinstance(record, dict) else None
        if not isinstance(data, dict) or record.get("checksum") != self.checksum(data):
            log.warning("a cached %s result was damaged or edited; running the stage again", stage)
            return None
        return data

    def save(self, sha256: str, stage: str, key: dict, data: dict) -> None:
        path = self.path(sha256, stage, key)
        make_private_dir(path.parent)
        record = {"checksum": self.checksum(data), "data": data}
        atomic_write(path, json.dumps(record, ensure_ascii=False), mode=PRIVATE_FILE_MODE)

    def fetch(self, sha256: str, stage: str, key: dict, compute: Callable[[], Any], *,
              read: Callable[[dict], Any] = _same, write: Callable[[Any], dict] = _same, redo: bool = False,
              reused: str | None = None) -> Any:
        """The stage's result: read from the cache, or computed (always when `redo`) and saved.

        `read` turns stored data into the result and raises on a wrong shape, which counts as a
        miss; `write` turns a result into data to store. `reused` names the result in the log
        when it comes from the cache ("p3: diarisation").
        """
        data = None if redo else self.load(sha256, stage, key)
        if data is not None:
            try:
                value = read(data)
            except SHAPE_ERRORS:
                log.warning("a cached %s result has the wrong shape; running the stage again", stage)
            else:
                if reused:
                    log.info("%s reused from the cache", reused)
                return value
        value = compute()
        self.save(sha256, stage, key, write(value))
        return value
