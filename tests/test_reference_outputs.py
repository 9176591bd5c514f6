"""The demo study's outputs, byte for byte, against files written by an earlier version.

`tests/data/reference/` holds every file `transcribe run samples/ --format all` wrote (shareable and
private, the stage cache and run log aside), made before the package was restructured. A change of
code that is meant to change no output (a move, a rename, a new module) must leave them all equal.
A change that is meant to change an output regenerates them on purpose:

    TRANSCRIBE_UPDATE_REFERENCE=1 .venv/bin/python -m pytest tests/test_reference_outputs.py

and the diff of tests/data/reference/ shows, in review, exactly what changed.

Dates (the day recognition ran) are the only thing normalised; a .docx is compared as its XML parts.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from conftest import DATA

REFERENCE = DATA / "reference"
# What a run writes that is not an output: caches, locks, logs, backups, the run's own paths.
SKIPPED = {"cache", "run.lock", "run.log", "key-history", "manifest.json", "owned.json"}
DATE = re.compile(rb"20\d\d-\d\d-\d\d")
OWN_PARTS = ("word/document.xml", "word/header", "word/footer", "docProps/", "word/_rels/", "[Content_Types].xml")


def normalised(path: Path) -> dict[str, bytes]:
    """The comparable content of one output file: {name: bytes} (a .docx gives one entry per part)."""
    data = path.read_bytes()
    if path.suffix == ".docx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {part: DATE.sub(b"DATE", archive.read(part)) for part in sorted(archive.namelist())}
        # The parts transcribe writes as they are; the template's (styles, theme, fonts) by their hash.
        own = {f"{path.name}/{part}": content for part, content in parts.items() if part.startswith(OWN_PARTS)}
        template = hashlib.sha256(b"".join(c for p, c in parts.items() if not p.startswith(OWN_PARTS)))
        return own | {f"{path.name}/template.sha256": template.hexdigest().encode() + b"\n"}
    return {path.name: DATE.sub(b"DATE", data)}


def outputs(out: Path) -> dict[str, bytes]:
    found = {}
    for side, folder in (("shareable", out), ("private", out.with_name(out.name + ".private"))):
        for path in sorted(folder.iterdir()):
            if path.name not in SKIPPED and path.is_file():
                found.update({f"{side}/{name}": content for name, content in normalised(path).items()})
    return found


def stored() -> dict[str, bytes]:
    return {str(p.relative_to(REFERENCE)): p.read_bytes() for p in sorted(REFERENCE.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_the_demo_study_is_written_as_before(study_run):
    out, _, _ = study_run
    now = outputs(out)
    if os.environ.get("TRANSCRIBE_UPDATE_REFERENCE"):
        for name, content in now.items():
            target = REFERENCE / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        for name in set(stored()) - set(now):
            (REFERENCE / name).unlink()
    before = stored()
    assert sorted(now) == sorted(before), "a different set of files was written"
    changed = [name for name in now if now[name] != before[name]]
    assert not changed, f"changed since the reference was written: {changed}"
