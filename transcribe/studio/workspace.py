"""What the review studio shows and changes, in library terms; no HTTP here.

Every view is what `transcribe apply` would write: the edit layer, then the anonymiser's
`prepare` and the renderer's `view` (marks and line layout), and nothing is written to the
shareable folder except by :meth:`Studio.render`, which is `Batch.rerender()`: one rendering path
for the studio and `apply`.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import json
import re
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import edits
from ..anonymise import review
from ..anonymise.spans import word_offsets
from ..anonymise.detect import Detection
from ..anonymise.guesses import one_off
from ..anonymise.prepare import Anonymiser, Prepared
from ..anonymise.safety_net import names_among
from ..audio import SAMPLE_RATE, decode, file_sha256
from ..batch import Batch
from ..cache import StageCache
from ..folders import STUDIO, Folders
from ..pipeline import RunSettings
from ..render import Renderer, View, line_spans
from ..storage import atomic_write, output_lock, version_of
from ..study import Study, load_study
from ..timecode import clock
from ..transcript import Transcript
from ..writers import Document, get_writer
from . import words as wording

SAVE_WAIT = 30.0  # seconds a save waits for a run or apply to finish writing
LIST_FOR = {"place": "places", "organisation": "organisations"}
MARKABLE = ("person", "place", "organisation")


@dataclass
class Reviewing:
    """An interview as the studio shows it: the raw recognition, and what `apply` would make of it
    (the corrections fitted to it, the anonymised version, the pages)."""

    raw: Transcript
    prepared: Prepared
    view: View

    @property
    def fitted(self) -> edits.Fitted:
        return self.prepared.corrections

    @property
    def transcript(self) -> Transcript:
        return self.prepared.transcript


class Conflict(Exception):
    """A save against a state that changed since the page loaded it; the message says what to do."""


class Studio:
    """The private folder of one study, seen by the studio. Thread-safe: one lock for every change."""

    def __init__(self, out: Path):
        self.folders = Folders.of(out)
        self.out, self.private = self.folders.out, self.folders.private
        last = self.folders.read_last_run()
        if last is None:
            from ..binding import nothing_here

            raise nothing_here(self.folders, "nothing to review")
        self.output = last.output
        self.study_path = last.study
        self.lock = threading.RLock()
        self._hashes: dict[tuple, str] = {}
        self._audio: tuple[str, bytes] | None = None
        self._reload_study()

    def _reload_study(self) -> None:
        self._study_version = version_of(self.study_path) if self.study_path else "none"
        self.study = load_study(self.study_path) if self.study_path else Study()
        self.anonymiser = Anonymiser(self.study, StageCache(self.private), self.folders, self.output.styles)
        self.renderer = Renderer(self.folders, self.output, self.anonymiser)

    # --- reading -------------------------------------------------------------------------------

    def codes(self) -> list[str]:
        return self.folders.codes()

    def raw(self, code: str) -> Transcript:
        if code not in self.codes():
            raise KeyError(code)
        return Transcript.from_json(self.folders.identifiable(code).read_text(encoding="utf-8"))

    def version(self, code: str) -> str:
        """What a page loaded: the corrections of this recording, the review file and the study file."""
        sha = edits.layer_key(self.raw(code))
        parts = [version_of(edits.layer_path(self.private, sha)), version_of(self.folders.review),
                 version_of(self.study_path) if self.study_path else "none"]
        return ".".join(parts)

    def check(self, code: str, version: str) -> None:
        if version != self.version(code):
            raise Conflict("This interview was changed in another tab or window since this page loaded it. "
                           "The page has been reloaded with that change: make yours again.")

    def prepared(self, code: str) -> Reviewing:
        """The interview as `apply` would render it now: corrections, detections, decisions, pages."""
        raw = self.raw(code)
        if (version_of(self.study_path) if self.study_path else "none") != self._study_version:
            self._reload_study()  # the researcher edited the study file while the studio runs
        # The same steps as the shareable write; runs the detector after a correction.
        prepared = self.anonymiser.prepare(raw)
        return Reviewing(raw, prepared, self.renderer.view(prepared.transcript, prepared))

    def pending_lines(self, code: str, p: Reviewing) -> int | None:
        """Lines of the shareable text that a render would change (None: there is none yet)."""
        path = self.out / f"{code}.txt"
        if not path.exists():
            return None
        text = io.StringIO()
        get_writer("txt").write(Document(p.view.anonymised, p.view.pages[1]), text)
        now, then = text.getvalue().splitlines(), path.read_text(encoding="utf-8").splitlines()
        return sum(1 for a, b in zip(now, then) if a != b) + abs(len(now) - len(then))

    def overview(self) -> dict:
        state = self._state()
        interviews = []
        for code in self.codes():
            p = self.prepared(code)
            found = p.prepared.found
            check = [f for f in found if review.needs_check(f, p.transcript)]
            interviews.append({
                "code": code,
                "duration": clock(p.raw.duration) if p.raw.timed else "no times",
                "anonymised": self.folders.shareable(code, "txt").exists(),
                "detections": len(found),
                "check_first": len(check),
                "decided": len(p.prepared.decisions),
                "check_first_decided": sum(1 for f in check if f.id in p.prepared.decisions),
                "corrections": corrections(p.fitted.applied),
                "unfit": len(p.fitted.unfit),
                **self._review_state(code, p, state),
                "pending_lines": self.pending_lines(code, p),
            })
        return {"interviews": interviews, "study_file": self.study_path is not None}

    def interview(self, code: str) -> dict:
        p = self.prepared(code)
        transcript, found = p.transcript, p.prepared.found
        ident, shared = p.view.pages[0], p.view.pages[1]
        owner: dict[tuple[int, int], str] = {}
        for f in found:
            spans = word_offsets(transcript.turns[f.turn])
            for w, (a, b) in enumerate(spans):
                if a < f.detection.end and b > f.detection.start:
                    owner.setdefault((f.turn, w), f.id)
        lines = []
        for line, shared_line in zip(ident.lines, shared.lines):
            t = line.turn
            words = []
            for w in range(*line.words):
                word = transcript.turns[t].words[w]
                words.append({"i": w, "text": p.view.identifiable.turns[t].words[w].text,
                              "shared": p.view.anonymised.turns[t].words[w].text,
                              "start": word.start, "end": word.end, "det": owner.get((t, w))})
            lines.append({"n": line.number, "speaker": line.speaker, "turn": t, "words": words,
                          "shared_text": shared.render_line(shared_line)})
        dets = []
        language = self.anonymiser.language_of(transcript)
        for f in found:
            d = f.detection
            decision = p.prepared.decisions.get(f.id, "")
            check_first = review.needs_check(f, p.transcript)
            local = not decision and one_off(d, language) and not re.search(r"\d", p.prepared.proposals.get(f.id, "0"))
            first = next((w for (t, w), i in owner.items() if i == f.id), 0)
            dets.append({
                "id": f.id, "turn": f.turn, "text": d.text, "category": d.category, "kind": wording.category(d.category),
                "why": wording.why(d, check_first, local), "check_first": check_first, "decision": decision,
                "proposed": p.prepared.proposals.get(f.id, ""), "line": ident.line_of(f.turn, first),
            })
        dets.sort(key=lambda d: (not d["check_first"], d["line"], d["id"]))
        labels = [self.study.interviewer_label, *self._codes_of(code),
                  *sorted({t.speaker for t in p.raw.turns} | {t.speaker for t in transcript.turns})]
        unfit = [{"kind": e["kind"], "was": e["at"]["raw"].strip(), "time": clock(e["at"]["start"]),
                  "wanted": e.get("text") or e.get("speaker") or "split"} for e in p.fitted.unfit]
        return {
            "code": code, "version": self.version(code), "lines": lines, "detections": dets,
            "turns": [{"speaker": t.speaker, "text": t.text, "start": t.start} for t in transcript.turns],
            "speakers": list(dict.fromkeys(labels)), "unfit": unfit, "corrections": corrections(p.fitted.applied),
            "audio": self.audio_path(code) is not None, "pending_lines": self.pending_lines(code, p),
            "refusal": p.prepared.refusal,
            **self._review_state(code, p, self._state()),
        }

    def _codes_of(self, code: str) -> list[str]:
        entry = next((i for i in self.study.interviews if code in i.codes), None)
        return entry.codes if entry else [code]

    # --- changing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def saving(self):
        """One change at a time, in this studio and across processes: the output folders' lock,
        which `run`, `apply` and `export` hold while they write (a save waits for them a while)."""
        with self.lock, output_lock(self.private, wait=SAVE_WAIT):
            yield

    def decide(self, code: str, version: str, detection_id: str, decision: str) -> None:
        """accept, reject, or the researcher's own replacement, for one detection (review.csv)."""
        with self.saving():
            self.check(code, version)
            found = {f.id: f for f in self.prepared(code).prepared.found}
            if detection_id not in found:
                raise Conflict("That detection is no longer in this interview; the page has been reloaded.")
            review.set_decision(self.folders.review, code, detection_id, found[detection_id].detection.text,
                                decision.strip(), version_of(self.folders.review))

    def correct_text(self, code: str, version: str, turn: int, text: str) -> None:
        with self.saving():
            self.check(code, version)
            raw, current = self._current(code)
            if not 0 <= turn < len(current.turns):
                raise Conflict("That turn is no longer there; the page has been reloaded.")
            changes = edits.turn_text_edits(raw, current, turn, text, edits.positions_map(raw, current))
            self._save(raw, changes)

    def change_speaker(self, code: str, version: str, turn: int, speaker: str) -> None:
        with self.saving():
            self.check(code, version)
            raw, current = self._current(code)
            if not 0 <= turn < len(current.turns):
                raise Conflict("That turn is no longer there; the page has been reloaded.")
            if speaker not in self.interview(code)["speakers"] or not current.turns[turn].words:
                raise Conflict(f"{speaker} is not a speaker of this interview.")
            t, w = edits.positions_map(raw, current)[(turn, 0)]
            self._save(raw, [{"kind": "speaker", "at": edits.anchor(raw, t, w), "speaker": speaker}])

    def split_turn(self, code: str, version: str, turn: int, word: int) -> None:
        with self.saving():
            self.check(code, version)
            raw, current = self._current(code)
            if not 0 <= turn < len(current.turns) or not 0 < word < len(current.turns[turn].words):
                raise Conflict("A turn can only be split between two of its words.")
            t, w = edits.positions_map(raw, current)[(turn, word)]
            self._save(raw, [{"kind": "split", "at": edits.anchor(raw, t, w)}])

    def _current(self, code: str) -> tuple[Transcript, Transcript]:
        raw = self.raw(code)
        return raw, edits.corrected(raw, self.private).transcript

    def _save(self, raw: Transcript, changes: list[dict]) -> None:
        sha = edits.layer_key(raw)
        path = edits.layer_path(self.private, sha)
        before = self.prepared(raw.code)
        layer = edits.load_layer(self.private, sha)
        number = max((e.get("edit", 0) for e in layer), default=0) + 1
        changes = [{**change, "edit": number} for change in changes]  # one correction, however many words
        edits.save_layer(self.private, sha, edits.merge(layer, changes), version_of(path))
        # Detect on the corrected words now (so that `apply` finds them cached), and keep decisions.
        self._carry_decisions(raw.code, before, self.prepared(raw.code))

    def _carry_decisions(self, code: str, before: Reviewing, after: Reviewing) -> None:
        """Decisions follow their detections when a correction moves them (ids are turn and offset).

        Detections before and after are matched in order by their text, so a split or an edit
        earlier in the turn does not silently drop a decision the researcher made.
        """
        old, new = before.prepared.found, after.prepared.found
        matcher = difflib.SequenceMatcher(a=[f.detection.text for f in old], b=[f.detection.text for f in new],
                                          autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                was, now = old[block.a + k], new[block.b + k]
                decision = before.prepared.decisions.get(was.id)
                if decision and was.id != now.id and not after.prepared.decisions.get(now.id):
                    review.set_decision(self.folders.review, code, now.id, now.detection.text, decision,
                                        version_of(self.folders.review))

    def rule(self, code: str, version: str, text: str, category: str, always: bool) -> dict:
        """Study-wide: always replace `text` (as `category`) or never replace it; updates study.toml.

        Returns every occurrence now detected in the study, for the page to offer.
        """
        import tomlkit

        text = " ".join(text.split())
        if not text:
            raise Conflict("Select some text first.")
        if always and category not in MARKABLE:
            raise Conflict(f"Choose one of {', '.join(MARKABLE)}.")
        with self.saving():
            self.check(code, version)
            if self.study_path is None:
                raise Conflict("This study has no study file, so there is no study-wide list to add to. "
                               "Create one with `transcribe init`, run again, then review.")
            document = tomlkit.parse(self.study_path.read_text(encoding="utf-8"))
            settings = document.setdefault("study", tomlkit.table())
            if not always:
                named = names_among([text], self.study.people, self.anonymiser.load_key())
                if named:
                    raise Conflict(f"\"{text}\" is the name of someone in this study (on the study file's list of "
                                   "people, or in the key): it cannot be kept readable everywhere. Decide on each "
                                   "occurrence instead (r keeps one).")
                _append(settings, "allow", text)
            else:
                _remove(settings, "allow", text)  # a word once allowed, now to be replaced
                if category != "person":
                    _append(settings, LIST_FOR[category], text)
                elif text.casefold() not in {n.casefold() for p in self.study.people for n in p.names}:
                    people = document.setdefault("people", tomlkit.aot())
                    person = tomlkit.table()
                    person["name"] = text
                    people.append(person)
            mode = self.study_path.stat().st_mode & 0o777
            atomic_write(self.study_path, tomlkit.dumps(document), mode=mode)
            self._reload_study()
            if always:
                # Its study-wide placeholder now: the safety net then finds every occurrence in
                # every interview, even where the detector would pass over an ordinary word.
                key = self.anonymiser.load_key()
                key.replacement(Detection(0, len(text), text, category, "researcher", 1.0, None), code)
                key.save(self.folders.key)
            # The researcher said "always" (or "never"): every occurrence not yet decided takes it,
            # including those only the safety net finds (ordinary words it would otherwise keep).
            occurrences = []
            for other in self.codes():
                p = self.prepared(other)
                for f in p.prepared.found:
                    if f.detection.text.casefold() == text.casefold():
                        occurrences.append({"code": other, "id": f.id})
                        if not p.prepared.decisions.get(f.id):
                            review.set_decision(self.folders.review, other, f.id, f.detection.text,
                                                "accept" if always else "reject", version_of(self.folders.review))
            return {"occurrences": occurrences}

    def set_pseudonym(self, code: str, version: str, detection_id: str, pseudonym: str) -> None:
        """The researcher's own pseudonym for the person a detection names, for the whole study (key.csv)."""
        from ..study import PSEUDONYM_PATTERN

        pseudonym = " ".join(pseudonym.split())
        if not PSEUDONYM_PATTERN.fullmatch(pseudonym):
            raise Conflict("A pseudonym is a first name, or a first name and a surname, in letters.")
        with self.lock:
            self.check(code, version)
            found = {f.id: f for f in self.prepared(code).prepared.found}
            if detection_id not in found or found[detection_id].detection.category != "person":
                raise Conflict("Choose a person's detection to give them a pseudonym.")
            key = self.anonymiser.load_key()
            try:
                key.fix_pseudonym(found[detection_id].detection, code, pseudonym)
            except ValueError as error:
                raise Conflict(f"Not changed: {error}.") from None
            key.save(self.folders.key)

    def set_reviewed(self, code: str, version: str, reviewed: bool) -> None:
        with self.saving():
            self.check(code, version)
            state = self._state()
            marks = state.setdefault("reviewed", {})
            if reviewed:
                marks[code] = self._reviewed_mark(code, self.prepared(code))
            else:
                marks.pop(code, None)
            self.folders.write_record(STUDIO, state)

    def _reviewed_mark(self, code: str, p: Reviewing) -> dict:
        """What the researcher approved: the shareable text's lines (a hash, and the lines, to say
        which changed), and what it was made from, to say why it changed."""
        lines = _shareable_lines(p)
        return {"text": _digest(lines), "lines": lines, **self._made_from(code, p)}

    def _made_from(self, code: str, p: Reviewing) -> dict:
        decisions = review.load_decisions(self.folders.review).get(code, {})
        return {"study": version_of(self.study_path) if self.study_path else "none",
                "corrections": version_of(edits.layer_path(self.private, edits.layer_key(p.raw))),
                "decisions": _digest(sorted(decisions.items()))}

    def _review_state(self, code: str, p: Reviewing, state: dict) -> dict:
        """Reviewed: the mark stands while the interview's shareable text is what the researcher
        approved, whatever else changed. Otherwise, if it lost its mark, which lines changed and why."""
        mark = state.get("reviewed", {}).get(code)
        if mark is None:
            return {"reviewed": False, "review_lost": None}
        if not isinstance(mark, dict):
            return {"reviewed": False, "review_lost": "it was marked by an earlier version of transcribe; mark it again"}
        lines = _shareable_lines(p)
        if mark.get("text") == _digest(lines):
            return {"reviewed": True, "review_lost": None}
        was = mark.get("lines", [])
        changed = [i + 1 for i in range(max(len(lines), len(was)))
                   if i >= len(lines) or i >= len(was) or lines[i] != was[i]]
        now = self._made_from(code, p)
        causes = [what for key, what in (("study", "a change to the study file"), ("corrections", "a correction"),
                                          ("decisions", "a decision")) if mark.get(key) != now[key]]
        because = f" after {' and '.join(causes)}" if causes else ""
        return {"reviewed": False,
                "review_lost": f"{line_spans(changed)} of its shareable text changed{because} since you marked it"}

    def _state(self) -> dict:
        return self.folders.read_record(STUDIO)

    def render(self) -> list[dict]:
        """Every shareable file of every interview brought up to date: exactly `transcribe apply`."""
        with self.lock:
            for code in self.codes():
                self.prepared(code)  # detections for corrected text are in the cache before rerender
            results = Batch(self.out, RunSettings(), self.output, self.study).rerender()
            # The studio stays open after a render: later reviews reuse the loaded detector.
            # A file of the whole study (its QDA project) is named by its file name: it has no code.
            return [{"code": r.code or r.audio.name, "status": r.status, "message": r.message} for r in results]

    # --- audio ---------------------------------------------------------------------------------

    def audio_path(self, code: str) -> Path | None:
        """The original recording of an interview, when the study file lists it and its content matches."""
        entry = next((i for i in self.study.interviews if code in i.codes), None)
        if entry is None or not entry.audio.is_file():
            return None
        stat = entry.audio.stat()
        key = (str(entry.audio), stat.st_size, stat.st_mtime_ns)
        if key not in self._hashes:
            self._hashes[key] = file_sha256(entry.audio)
        return entry.audio if self._hashes[key] == self.raw(code).sha256 else None

    def audio_wav(self, code: str) -> bytes | None:
        """The recording decoded (PyAV) to 16-bit mono WAV in memory: nothing is written anywhere."""
        path = self.audio_path(code)
        if path is None:
            return None
        with self.lock:
            if self._audio is None or self._audio[0] != code:
                samples = decode(path).samples
                pcm = (np.clip(np.asarray(samples), -1.0, 1.0) * 32767).astype("<i2").tobytes()
                buffer = io.BytesIO()
                with wave.open(buffer, "wb") as w:
                    w.setnchannels(1)
                    w.setsampwidth(2)
                    w.setframerate(SAMPLE_RATE)
                    w.writeframes(pcm)
                self._audio = (code, buffer.getvalue())
            return self._audio[1]


def _append(table, key: str, value: str) -> None:
    import tomlkit

    if key not in table:
        table[key] = tomlkit.array()
    if value.casefold() not in {str(v).casefold() for v in table[key]}:
        table[key].append(value)


def _remove(table, key: str, value: str) -> None:
    if key in table:
        for index in reversed(range(len(table[key]))):
            if str(table[key][index]).casefold() == value.casefold():
                del table[key][index]


def corrections(applied: list[dict]) -> int:
    """The researcher's corrections among the applied edits: one per save, however many words it
    changed (edits saved before they were numbered count one each)."""
    return len({e.get("edit", id(e)) for e in applied})


def _shareable_lines(p: Reviewing) -> list[str]:
    page = p.view.pages[1] if p.view.anonymised is not None else p.view.pages[0]
    return [page.render_line(line) for line in page.lines]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:16]
