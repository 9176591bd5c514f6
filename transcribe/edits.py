"""The researcher's corrections to a transcript, kept as an edit layer beside the raw recognition.

Corrections (a word's text, a turn's speaker, a turn split where the speaker changes) live in the
private folder as ``edits/<sha256 of the recording>.json``. Each one is anchored to a recognised
word by its start time and raw text, so it survives a re-run of recognition where the words are
unchanged and is reported, not guessed, where they changed. The layer is applied after recognition
and before detection (:func:`corrected`); the canonical identifiable JSON stays the raw words.

Every save is atomic and checked against the version the editor loaded, so two browser tabs cannot
overwrite each other's corrections unseen.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .folders import EDITS
from .storage import (
    PRIVATE_FILE_MODE,
    StaleEdit,
    atomic_write,
    make_private_dir,
    version_of,
)
from .transcript import Transcript, Turn

log = logging.getLogger("transcribe")
LAYER_VERSION = 1
KINDS = ("word", "speaker", "split")
_lock = threading.RLock()  # one studio process, several request threads


@dataclass
class Fitted:
    """A transcript with its corrections applied, and the corrections that no longer fit."""

    transcript: Transcript
    applied: list[dict]
    unfit: list[dict]


def layer_path(private: Path, sha256: str) -> Path:
    return Path(private) / EDITS / f"{sha256}.json"


def load_layer(private: Path, sha256: str) -> list[dict]:
    """The corrections recorded for one recording (an empty list when there are none)."""
    path = layer_path(private, sha256)
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [e for e in data.get("edits", []) if e.get("kind") in KINDS]


def save_layer(private: Path, sha256: str, edits: list[dict], expected_version: str) -> str:
    """Write the corrections of one recording atomically, refusing a stale save; the new version."""
    path = layer_path(private, sha256)
    with _lock:
        if version_of(path) != expected_version:
            raise StaleEdit("the corrections were changed in another tab or window")
        make_private_dir(path.parent)
        atomic_write(path, json.dumps({"layer_version": LAYER_VERSION, "edits": edits}, ensure_ascii=False, indent=1),
                     mode=PRIVATE_FILE_MODE)
        return version_of(path)


# --- anchoring -------------------------------------------------------------------------------


def anchor(transcript: Transcript, turn: int, word: int) -> dict:
    """Where a correction applies: the word's start time and its raw text, plus its position."""
    flat = _flat(transcript)
    position = next(i for i, (t, w) in enumerate(flat) if (t, w) == (turn, word))
    w = transcript.turns[turn].words[word]
    return {"start": round(w.start, 3), "raw": w.text, "position": position}


def _flat(transcript: Transcript) -> list[tuple[int, int]]:
    return [(t, w) for t, turn in enumerate(transcript.turns) for w in range(len(turn.words))]


def _locate(raw: Transcript, flat: list[tuple[int, int]], at: dict) -> int | None:
    """The flat position of the anchored word in the raw transcript, or None where it is gone."""
    matches = [i for i, (t, w) in enumerate(flat)
               if raw.turns[t].words[w].text == at.get("raw") and abs(raw.turns[t].words[w].start - at.get("start", -1)) < 0.002]
    if not matches:
        return None
    return min(matches, key=lambda i: abs(i - at.get("position", 0)))


# --- applying --------------------------------------------------------------------------------


def fit(raw: Transcript, edits: list[dict]) -> Fitted:
    """Apply `edits` to a copy of the raw transcript: splits, then speakers, then word texts."""
    flat = _flat(raw)
    located, unfit = [], []
    for edit in edits:
        position = _locate(raw, flat, edit.get("at", {}))
        if position is None:
            unfit.append(edit)
        else:
            located.append((position, edit))
    by_kind = {kind: {p: e for p, e in located if e["kind"] == kind} for kind in KINDS}
    result = copy.deepcopy(raw)
    words = [result.turns[t].words[w] for t, w in flat]
    turns: list[Turn] = []
    starts: set[int] = set()  # flat positions of the words that begin a turn
    position = 0
    for turn in result.turns:
        if not turn.words:
            turns.append(turn)
            continue
        pieces: list[list[int]] = [[]]
        for _ in turn.words:
            if pieces[-1] and position in by_kind["split"]:
                pieces.append([])
            pieces[-1].append(position)
            position += 1
        for k, piece in enumerate(pieces):
            start = turn.start if k == 0 else words[piece[0]].start
            end = turn.end if k == len(pieces) - 1 else words[piece[-1]].end
            new = Turn(turn.speaker, turn.raw_speaker, start, end, [words[p] for p in piece])
            starts.add(piece[0])
            edit = by_kind["speaker"].get(piece[0])
            if edit is not None:
                new.speaker = edit["speaker"]
                new.raw_speaker = _raw_id_for(raw, edit["speaker"], new.raw_speaker)
            turns.append(new)
    result.turns = turns
    for p, edit in by_kind["speaker"].items():
        if p not in starts:
            unfit.append(edit)
    for p, edit in by_kind["word"].items():
        word = words[p]
        lead = word.text[: len(word.text) - len(word.text.lstrip())] or " "
        word.text = lead + edit["text"].strip() if edit["text"].strip() else ""
        word.flag = None  # the researcher listened: neither inaudible nor uncertain now
        word.probability = 1.0
    applied = [e for _, e in located if not any(e is u for u in unfit)]
    return Fitted(result, applied, unfit)


def _raw_id_for(raw: Transcript, label: str, fallback: str) -> str:
    return next((t.raw_speaker for t in raw.turns if t.speaker == label), fallback)


def layer_key(transcript: Transcript) -> str:
    """What a transcript's corrections are filed under: its recording's content hash."""
    return transcript.sha256 or transcript.code


def corrected(transcript: Transcript, private: Path) -> Fitted:
    """The transcript with the researcher's corrections for its recording, if there are any.

    Corrections that no longer fit (recognition was run again and the words changed) are left out,
    in the result's `unfit`.
    """
    layer = load_layer(Path(private), layer_key(transcript))
    return fit(transcript, layer) if layer else Fitted(transcript, [], [])


# --- making corrections ------------------------------------------------------------------------


def turn_text_edits(raw: Transcript, current: Transcript, turn: int, new_text: str,
                    positions: dict[tuple[int, int], tuple[int, int]]) -> list[dict]:
    """Word corrections that turn `current.turns[turn]` into `new_text`.

    Words are aligned with difflib: a changed word takes the new text, a deleted one becomes
    empty, inserted words join the word before them (the number of words stays the same, which
    keeps every version of the transcript on the same lines). `positions` maps a (turn, word)
    of `current` to the (turn, word) of `raw` it came from.
    """
    words = current.turns[turn].words
    old = [w.text.strip() for w in words]
    new = new_text.split()
    replacement = list(old)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if a1 == a2:  # pure insertion: join the word before (or the first word)
            target = a1 - 1 if a1 > 0 else 0
            if not words:
                continue
            joined = " ".join(new[b1:b2])
            replacement[target] = (f"{replacement[target]} {joined}" if a1 > 0 else f"{joined} {replacement[target]}").strip()
            continue
        chunk = new[b1:b2]
        for k, index in enumerate(range(a1, a2)):
            if k < len(chunk):
                replacement[index] = " ".join(chunk[k:]) if index == a2 - 1 else chunk[k]
            else:
                replacement[index] = ""
    edits = []
    for index, (before, after) in enumerate(zip(old, replacement)):
        if before != after:
            t, w = positions[(turn, index)]
            edits.append({"kind": "word", "at": anchor(raw, t, w), "text": after})
    return edits


def positions_map(raw: Transcript, current: Transcript) -> dict[tuple[int, int], tuple[int, int]]:
    """(turn, word) in the corrected transcript -> (turn, word) in the raw one (splits only regroup)."""
    flat = _flat(raw)
    mapping, i = {}, 0
    for t, turn in enumerate(current.turns):
        for w in range(len(turn.words)):
            mapping[(t, w)] = flat[i]
            i += 1
    return mapping


def merge(edits: list[dict], new: list[dict]) -> list[dict]:
    """`edits` with `new` added, a later correction of the same kind and word replacing an earlier one."""
    def key(edit: dict) -> tuple:
        at = edit["at"]
        return (edit["kind"], at["start"], at["raw"], at["position"])

    keys = {key(e) for e in new}
    return [e for e in edits if key(e) not in keys] + new
