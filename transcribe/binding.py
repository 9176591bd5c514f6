"""One study, one pair of output folders: which study file an output folder belongs to, and where
the output folders of a study file are.

An output folder remembers the study file it was made with (manifest.json: its path and the
SHA-256 of its content). Before a run or an import writes anything, its study file is checked
against that record, and against the output folders beside the study file (in its folder and the
folder above, where `transcribe run recordings/` puts them), so that a run from another folder
never starts a second key for the same recordings and one output folder never mixes two studies.
`--new-study` says that a second study is meant. Commands that read a finished run (review,
apply, export) name the output folders they find near here when there is none where they looked.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import TranscribeError
from .folders import LAST_RUN, Folders, study_sha256


def shown(path: Path) -> str:
    """A path as the researcher would type it from here: relative to the current folder when it
    is inside it or in the folder above, else in full."""
    path = Path(path).resolve()
    try:
        relative = Path(os.path.relpath(path, Path.cwd().resolve()))
    except ValueError:  # another drive (Windows)
        return str(path)
    return relative.as_posix() if relative.parts.count("..") <= 1 else str(path)


def output_folders_in(*places: Path) -> list[Folders]:
    """The output folders (with a finished run: a manifest in the private sibling) directly in `places`."""
    found: dict[Path, Folders] = {}
    for place in places:
        try:
            candidates = sorted(Path(place).glob(f"*.private/{LAST_RUN}"))
        except OSError:
            continue
        for manifest in candidates:
            private = manifest.parent
            folders = Folders(private.with_name(private.name[: -len(".private")]).resolve(), private.resolve())
            found.setdefault(folders.out, folders)
    return list(found.values())


def _study_of(folders: Folders) -> Path | None:
    try:
        last = folders.read_last_run()
    except TranscribeError:
        return None
    return last.study.resolve() if last and last.study else None


def study_for(folders: Folders) -> tuple[Path | None, str | None]:
    """The study file the folders' last run used, for a run or an import given none, and where it
    came from (None, None: there is none); raises if that study file is gone."""
    last = folders.read_last_run()
    if last is None or last.study is None:
        return None, None
    if not last.study.is_file():
        raise TranscribeError(f"{shown(folders.out)} was made with the study file {shown(last.study)}, which is not "
                              "there any more. Give the study file with --study (or move it back).")
    return last.study, f"the study file of {shown(folders.out)}"


def check_study(folders: Folders, study: Path | None, new_study: bool = False) -> str | None:
    """Refuse a study file that does not belong to these output folders, unless `new_study`.

    Returns a line to print when the folders' study file was recognised in a new place (moved
    with the same content), else None.
    """
    if study is None or new_study:
        return None
    study = Path(study).resolve()
    last = folders.read_last_run()
    if last is None:  # new folders: is this study already another folder's?
        near = output_folders_in(study.parent, study.parent.parent)
        others = [f for f in near if f.out != folders.out and _study_of(f) == study]
        if others:
            names = ", ".join(shown(f.out) for f in others)
            raise TranscribeError(
                f"{shown(study)} is already the study file of {names} (its key, codes and review file). Writing into "
                f"{shown(folders.out)} would start a second key for the same recordings. Add -o {shown(others[0].out)} "
                f"to work on that study, or --new-study to start a separate one in {shown(folders.out)}.")
        return None
    if last.study is None or last.study.resolve() == study:
        return None
    gone = not last.study.exists()
    if gone and last.study_sha256 and last.study_sha256 == study_sha256(study):
        return f"The study file of {shown(folders.out)} has moved: it is now {shown(study)}."
    raise TranscribeError(
        f"{shown(folders.out)} was made with the study file {shown(last.study)}{' (no longer there)' if gone else ''}, "
        f"not {shown(study)}: one output folder holds one study's key and codes. Use --study {shown(last.study)}, "
        f"or another output folder (-o), or add --new-study if {shown(study)} is now the study file of "
        f"{shown(folders.out)}.")


def nothing_here(folders: Folders, what: str) -> TranscribeError:
    """The error of a command that needs a finished run where there is none: it names the output
    folders found near here (here, the folders inside it, the folder above), with the command to use."""
    here = Path.cwd()
    places = [here, *(p for p in sorted(here.iterdir()) if p.is_dir() and not p.name.startswith("."))
              ] if here.is_dir() else []
    places += [here.parent, folders.out.parent]
    found = [f for f in output_folders_in(*dict.fromkeys(places)) if f.out != folders.out]
    message = f"There is {what} in {shown(folders.out)}: no transcripts were made there"
    if not found:
        return TranscribeError(f"{message}. Run `transcribe run RECORDINGS` first (or give the output folder with -o).")
    listed = "; ".join(f"{shown(f.out)}" + (f" (study file {shown(s)})" if (s := _study_of(f)) else "") for f in found)
    return TranscribeError(f"{message}. Output folders found near here: {listed}. Give the one you mean with "
                           f"-o {shown(found[0].out)}.")
