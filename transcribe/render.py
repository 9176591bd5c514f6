"""Writing one interview's files: the private, identifiable versions and, anonymised on the way, the
shareable ones, on shared line numbers; and the study-wide files that go with them (key, review,
methods record).

Anonymisation fails closed: if it cannot run for an interview, no shareable file of it is left.
The review studio shows what :meth:`Renderer.view` lays out, the same pages the files are
written from.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .anonymise import review
from .anonymise.apply import ACCEPT, REJECT
from .anonymise.spans import word_at
from .anonymise.key import newest_previous
from .anonymise.prepare import Anonymiser, Prepared
from .errors import StorageError, TranscribeError
from .folders import COUNTS, METHODS, Folders, OutputSettings
from .layout import Page, layout
from .methods import methods_record
from .owned import OwnedFiles
from .reliability import mark
from .transcript import Transcript
from .writers import WRITERS, Document, get_writer

log = logging.getLogger("transcribe")


def _quiet(stage: str, seconds: float) -> None:
    """Progress nobody listens to."""


@dataclass
class FileResult:
    audio: Path
    code: str | None
    status: str  # "done", "failed", "not anonymised", "withdrawn"
    message: str = ""
    duration: float = 0.0
    low_confidence_roles: bool = False
    detections: int = 0  # identifiers found in the anonymised interview
    check_first: int = 0  # of them, listed to check first and not decided yet
    of_study: bool = False  # a file of the whole study (its QDA project, the quote bank), not of one interview


@dataclass
class View:
    """An interview as its files show it: both versions with the reliability marks, on their pages."""

    identifiable: Transcript
    anonymised: Transcript | None
    pages: list[Page]


class Renderer:
    """Writes interviews into a shareable folder and its private sibling."""

    def __init__(self, folders: Folders, output: OutputSettings, anonymiser: Anonymiser):
        self.folders = folders
        self.output = output
        self.anonymiser = anonymiser
        self.owned = OwnedFiles(folders)
        self.written: list[Path] = []  # the shareable files written, in order

    def check_study_files(self) -> None:
        """Before any interview is touched: the key and review file read cleanly, and the key is the
        one the shareable transcripts were made with. Raises TranscribeError saying how to fix it."""
        key = self.anonymiser.load_key()
        review.read(self.folders.review)
        made_with = set(self.owned.meta.get("key_replacements", []))
        shared = any(name.startswith("shareable/") and entry.get("code") for name, entry in self.owned.entries.items())
        if not made_with and not shared:
            return
        if not self.folders.key.exists():
            raise TranscribeError(
                f"key.csv is missing from {self.folders.private}, but shareable transcripts were made with it: "
                "without it, new placeholders would reuse numbers that already stand for other people. "
                + self._restore_hint())
        lost = sorted(made_with - key.replacements())
        if lost:
            raise TranscribeError(
                f"key.csv no longer has {', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}, which the shareable "
                "transcripts use: new placeholders could reuse them for other people. " + self._restore_hint())

    def _restore_hint(self) -> str:
        previous = newest_previous(self.folders.key)
        if previous is None:
            return "Restore key.csv from a backup and run again."
        return (f"Restore it from the previous version: copy {previous.parent.name}/{previous.name} "
                f"to key.csv in {self.folders.private}, and run again.")

    # --- one interview -------------------------------------------------------------------------

    def write_interview(self, transcript: Transcript, result: FileResult, cached_only: bool = False,
                        progress=_quiet) -> None:
        """The private and (anonymised) shareable files of one interview; `progress(stage, seconds)`
        hears "anonymising" and "writing", as the pipeline's stages are heard.

        Anything but a write error (which stops the batch) fails this interview only, and leaves
        no shareable file of it behind.
        """
        code = transcript.code
        try:
            progress("writing", 0)
            if not cached_only:
                self._write_identifiable(transcript)
            prepared, failure = self._prepare(transcript, progress)
            if prepared.corrections.unfit:  # counted, no text: the log is not private enough for it
                log.warning("%s: %d correction(s) no longer fit the recognised words; open `transcribe review` to "
                            "see them", code, len(prepared.corrections.unfit))
            view = self.view(prepared.transcript, prepared if prepared.anonymised else None)
            if failure is None and prepared.anonymised is not None:
                failure = self._unsafe(prepared, view)
                if failure:
                    view = View(view.identifiable, None, view.pages[:1])
            self._write_pages(view)  # the private text is wanted whatever happened to the shareable one
            if failure:
                self.fail_closed(code, result, failure)
            elif prepared.anonymised is None:
                result.status = "not anonymised"
                if self.owned.shared_files(code):  # an older anonymised version would stay shared, and go stale
                    left = self.remove_shareable(code)
                    result.message = ("its earlier shareable files were removed: a transcript made without "
                                      "anonymisation is not shared")
                    if left:
                        result.message += f"; left as they are, changed after transcribe wrote them: {', '.join(left)}"
            else:
                self._record(prepared, view, result)
        except StorageError:
            raise
        except TranscribeError as error:
            log.info("%s: writing the outputs failed (%s)", code, type(error).__name__)
            self.fail_closed(code, result, f"writing the outputs failed ({error})")
        except Exception as error:
            log.info("%s: writing the outputs failed (%s)", code, type(error).__name__)
            log.debug("traceback", exc_info=True)
            self.fail_closed(code, result, f"writing the outputs failed ({type(error).__name__}: {error})")

    def _prepare(self, transcript: Transcript, progress) -> tuple[Prepared, str | None]:
        """The interview with its corrections, anonymised as the output settings ask; and why the
        shareable files must not be written (None if they may)."""
        if not self.output.anonymise:
            return self.anonymiser.prepare(transcript, shareable=False), None
        progress("anonymising", 0)
        try:
            prepared = self.anonymiser.prepare(transcript)
        except StorageError:
            raise
        except Exception as error:
            log.info("%s: anonymisation failed (%s)", transcript.code, type(error).__name__)
            return self.anonymiser.prepare(transcript, shareable=False), f"anonymisation failed ({error})"
        if prepared.refusal:
            return prepared.without_shareable(), f"anonymisation failed ({prepared.refusal})"
        progress("writing", 0)
        return prepared, None

    def view(self, transcript: Transcript, prepared: Prepared | None) -> View:
        """Both versions as the files show them (reliability marks, line layout); `prepared` None:
        the identifiable version alone. The studio shows exactly this."""
        if prepared is None:
            (identifiable,) = marked = [mark(transcript)]
            return View(identifiable, None, layout(marked, self.output.width, self.output.timestamps))
        identifiable, anonymised = mark(transcript), mark(prepared.anonymised)
        return View(identifiable, anonymised, self.lay_out([identifiable, anonymised], prepared))

    def lay_out(self, versions: list[Transcript], prepared: Prepared) -> list[Page]:
        """Marked versions of one anonymised interview on the lines its files have: the breaks come
        from its layout shape, so any other version (a participant's copy) gets the same lines."""
        return layout(versions, self.output.width, self.output.timestamps, shape=mark(prepared.shape))

    def _unsafe(self, p: Prepared, view: View) -> str | None:
        """Why the shareable files must not be written although the turns passed the safety net: a
        name the study knows in a replacement the researcher typed, or anywhere else a writer puts
        text (the header, speaker labels, notes, the model's name, the JSON's other fields)."""
        turns = view.anonymised.turns
        for f in p.found:
            wording = p.decisions.get(f.id, "").strip()
            if wording.lower() in ("", ACCEPT, REJECT):
                continue
            named = p.net.find_in_text(wording)
            if named:
                turn = p.transcript.turns[f.turn]
                line = view.pages[0].line_of(f.turn, word_at(turn, f.detection.start))
                return (f"line {line}: the replacement typed in review.csv, \"{wording}\", still names "
                        f"{', '.join(named)}; change it and run `transcribe apply`")
        document = Document(view.anonymised, view.pages[1])
        data = view.anonymised.to_dict()
        other = {k: v for k, v in data.items() if k != "turns"} | {"labels": sorted({t.speaker for t in turns})}
        texts = {"the header": "\n".join(document.header()), "the other fields": json.dumps(other, ensure_ascii=False)}
        for where, text in texts.items():
            named = p.net.find_in_text(text)
            if named:
                return f"{where} of the shareable files would name {', '.join(named)}"
        return None

    def _write_identifiable(self, transcript: Transcript) -> None:
        """The canonical transcript (raw words included) in the private folder."""
        path = self.folders.identifiable(transcript.code)
        if not self.owned.write(path, transcript.to_json().encode("utf-8"), code=transcript.code, fmt="json", private=True):
            raise TranscribeError(f"{path.name} in {path.parent} was not written by transcribe; move it away and run again.")

    def _record(self, p: Prepared, view: View, result: FileResult) -> None:
        """What goes with the shareable files: where their lines break and which placeholders they
        use (owned.json); the key, the review rows and the counts (the anonymiser's records)."""
        result.detections = len(p.found)
        result.check_first = sum(1 for f in p.found if review.needs_check(f, p.transcript) and not p.decisions.get(f.id))
        note = self._note_line_breaks(p, view.pages[1])
        if note:
            result.message = f"{result.message}; {note}" if result.message else note
        self.owned.meta["key_replacements"] = self.anonymiser.record(p, view.pages[0])
        self.owned.save()

    def _note_line_breaks(self, p: Prepared, page: Page) -> str | None:
        """Record where the shareable text's lines break, with what was detected and the words;
        return what moved since the last render at the same width, and why, or None.

        Decisions never move a line; what is detected (a missed identifier marked, a text never to
        replace) and corrected words can re-flow a turn, and the lines after it if it grows or shrinks.
        """
        code = p.transcript.code
        layout_settings = [self.output.width, self.output.timestamps]
        now = [[line.turn, *line.words] for line in page.lines]
        found = sorted([f.turn, f.detection.start, f.detection.end] for f in p.found)
        words = hashlib.sha256(json.dumps([t.text for t in p.transcript.turns]).encode()).hexdigest()
        lines = self.owned.meta.setdefault("lines", {})
        before = lines.get(code)
        lines[code] = {"settings": layout_settings, "breaks": now, "found": found, "words": words}
        if not before or before.get("settings") != layout_settings or before.get("breaks") == now:
            return None
        old = before.get("breaks", [])
        changed, moved = [], set()
        for turn in sorted({line[0] for line in now}):
            was = [x for x in old if x[0] == turn]
            for k, (number, line) in enumerate((i + 1, x) for i, x in enumerate(now) if x[0] == turn):
                if k >= len(was) or was[k] != line:
                    changed.append(number)
                    moved.add(turn)
        spans = line_spans(changed or [len(now)])
        first = next((i + 1 for i, (x, y) in enumerate(zip(old, now)) if x != y), min(len(old), len(now)) + 1)
        cause = _reflow_cause(before, found, words)
        if len(now) == len(old):
            return (f"line numbers changed on {spans} ({cause} re-flowed {'its turn' if len(moved) == 1 else 'their turns'}"
                    "; the other lines kept their numbers); check citations of those lines")
        more = len(now) - len(old)
        return (f"line numbers changed from line {first} on ({cause} re-flowed {spans}, so the lines after them moved: "
                f"{abs(more)} line(s) {'more' if more > 0 else 'fewer'} in all); check citations of those lines")

    def formats_for(self, code: str) -> list[str]:
        """The formats asked for, plus every format already written for this interview: a re-render
        brings every file of the interview up to date, never only some of them."""
        present = self.owned.formats(code)
        return [f for f in WRITERS if f in self.output.formats or f in present]

    def _write_pages(self, view: View) -> None:
        code = view.identifiable.code
        for fmt in self.formats_for(code):
            writer = get_writer(fmt)
            if fmt != "json":  # the private JSON is the canonical transcript, with the raw words
                self._write(writer, Document(view.identifiable, view.pages[0]),
                            self.folders.identifiable(code, writer.extension), code, fmt, private=True)
            if view.anonymised is not None:
                self._write(writer, Document(view.anonymised, view.pages[1]),
                            self.folders.shareable(code, writer.extension), code, fmt)

    def _write(self, writer, document: Document, path: Path, code: str, fmt: str, private: bool = False) -> None:
        buffer = io.BytesIO()
        if writer.binary:
            writer.write(document, buffer)
        else:
            text = io.StringIO(newline="\n")
            writer.write(document, text)
            buffer.write(text.getvalue().encode("utf-8"))
        if not self.owned.write(path, buffer.getvalue(), code=code, fmt=fmt, private=private):
            raise TranscribeError(f"{path.name} in {path.parent} was not written by transcribe (or was changed since); "
                                  "it was left as it is. Move it away and run again.")
        if not private:
            self.written.append(path)

    # --- removing, and the study-wide record -------------------------------------------------------

    def fail_closed(self, code: str, result: FileResult, why: str) -> None:
        """No shareable file of this interview is left (of those the tool wrote); the result says why."""
        left = self.remove_shareable(code)
        result.status = "failed"
        result.message = f"{why}; no shareable output of it was written"
        if left:
            result.message += (f". Left as they are, because they were changed after transcribe wrote them: "
                               f"{', '.join(left)} (check them for names before sharing)")

    def remove_shareable(self, code: str) -> list[str]:
        """Remove this interview's shareable files that the tool wrote; return the names left alone."""
        left = []
        for path in self.owned.shared_files(code).values():
            if not self.owned.remove(path):
                left.append(path.name)
        return left

    def write_methods(self, withdrawn: set[str] = frozenset()) -> None:
        """methods.md in the shareable folder, for every interview of these folders still in the study."""
        transcripts = [Transcript.from_json(self.folders.identifiable(code).read_text())
                       for code in sorted(self.folders.codes()) if code not in withdrawn]
        path = self.folders.out / METHODS
        if transcripts:
            record = methods_record(transcripts, self.folders.read_record(COUNTS))
            self.owned.write(path, record.encode(), code=None, fmt=None)
        elif withdrawn:
            self.owned.remove(path)

    def write_study_files(self) -> list[FileResult]:
        """Once every interview is written: the study's REFI-QDA projects (--format qdpx), and the
        quote bank checked against the new texts. A file that could not be written (the safety net
        found a name, a recording cannot be read, the bank cannot be checked) is a failed result;
        what was only left out, or needs checking, is logged (codes and counts only)."""
        if not self.output.anonymise:
            return []
        return self._write_projects() + self._check_quotes()

    def _write_projects(self) -> list[FileResult]:
        from .folders import STUDY_PROJECT, STUDY_PROJECT_WITH_AUDIO
        from .qdpx import export

        if not export.asked(self.output.formats, self.owned):
            return []
        try:
            written = export.write_projects(self.owned, self.anonymiser)
        except StorageError:
            raise  # a full disk stops the batch, as it does for an interview
        except TranscribeError as error:  # a recording that cannot be read into the private project
            return [FileResult(Path(STUDY_PROJECT_WITH_AUDIO), None, "failed", str(error), of_study=True)]
        for problem in written.problems:
            log.warning(problem)
        if written.refusal:
            return [FileResult(Path(STUDY_PROJECT), None, "failed", written.refusal, of_study=True)]
        return []

    def _check_quotes(self) -> list[FileResult]:
        from . import quotes
        from .folders import QUOTES

        try:
            checks = quotes.render(self.owned, self.anonymiser.study)
        except StorageError:
            raise
        except TranscribeError as error:
            return [FileResult(Path(QUOTES), None, "failed", str(error), of_study=True)]
        flagged = sum(1 for c in checks if not c.ok)
        if flagged:
            log.warning("quote bank: %d quote(s) no longer match their lines; `transcribe quote --check` lists them",
                        flagged)
        return []


def _reflow_cause(before: dict, found: list[list[int]], words: str) -> str:
    """Why a turn re-flowed, from what the last render recorded: its words, or what was detected."""
    if "words" not in before:
        return "a change in what was detected or in the words"
    if before["words"] != words:
        return "a correction of the words"
    was, now = {tuple(f) for f in before.get("found", [])}, {tuple(f) for f in found}
    causes = []
    if now - was:
        causes.append("a newly found identifier")
    if was - now:
        causes.append("an identifier no longer replaced (never replace, or the allow list)")
    return " and ".join(causes) or "a change in what was detected"


def line_spans(numbers: list[int]) -> str:
    """Line numbers as the researcher reads them: "lines 2-3 and 6"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [f"{x}" if x == y else f"{x}-{y}" for x, y in runs]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("line " if len(numbers) == 1 else "lines ") + joined
