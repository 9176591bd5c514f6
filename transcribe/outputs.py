"""Writing one interview's files: the private, identifiable versions and, anonymised on the way,
the shareable ones, on shared line numbers; and the study-wide files that go with them (key,
review, methods record).

Anonymisation fails closed: if it cannot run for an interview, no shareable file of it is left.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .anonymise import review
from .anonymise.apply import Found, anonymise, find_identifiers, layout_shape
from .anonymise.key import StudyKey, newest_previous
from .anonymise.languages import detection_language
from .anonymise.safety_net import SafetyNet, protect
from .edits import apply_edits
from .errors import StorageError, TranscribeError
from .layout import layout
from .methods import methods_record
from .owned import OwnedFiles
from .pipeline import StageCache, package_version
from .reliability import mark
from .storage import PRIVATE_FILE_MODE, atomic_write
from .study import Study
from .transcript import Transcript
from .writers import WRITERS, Document, get_writer

log = logging.getLogger("transcribe")


@dataclass
class OutputSettings:
    formats: list[str] = field(default_factory=lambda: ["txt", "json"])
    width: int = 80
    timestamps: bool = False
    anonymise: bool = True


@dataclass
class Prepared:
    """One interview ready to render: detections (the safety net's included), decisions, the
    anonymised version, proposals, the key as it now stands, the layout shape, and a refusal."""

    found: list[Found]
    decisions: dict[str, str]
    anonymised: Transcript
    proposals: dict[str, str]
    key: StudyKey
    shape: Transcript
    refusal: str | None = None


@dataclass
class FileResult:
    audio: Path
    code: str | None
    status: str  # "done", "failed", "not anonymised", "withdrawn"
    message: str = ""
    duration: float = 0.0
    low_confidence_roles: bool = False


class Outputs:
    """Writes interviews into a shareable folder and its private sibling; loads the detector once."""

    def __init__(self, out: Path, private: Path, output: OutputSettings, study: Study, cache: StageCache, reporter):
        self.out, self.private = out, private
        self.output = output
        self.study = study
        self.cache = cache
        self.reporter = reporter
        self._detectors = {}  # one per language: spaCy model, Presidio and word lists load once
        self.owned = OwnedFiles(out, private)

    @property
    def key_path(self) -> Path:
        return self.private / "key.csv"

    def check_study_files(self) -> None:
        """Before any interview is touched: the key and review file read cleanly, and the key is the
        one the shareable transcripts were made with. Raises TranscribeError saying how to fix it."""
        key = self.load_key()
        review.read(self.private / "review.csv")
        made_with = set(self.owned.meta.get("key_replacements", []))
        shared = any(name.startswith("shareable/") and entry.get("code") for name, entry in self.owned.entries.items())
        if not made_with and not shared:
            return
        if not self.key_path.exists():
            raise TranscribeError(
                f"key.csv is missing from {self.private}, but shareable transcripts were made with it: "
                "without it, new placeholders would reuse numbers that already stand for other people. "
                + self._restore_hint())
        lost = sorted(made_with - key.replacements())
        if lost:
            raise TranscribeError(
                f"key.csv no longer has {', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}, which the shareable "
                "transcripts use: new placeholders could reuse them for other people. " + self._restore_hint())

    def _restore_hint(self) -> str:
        previous = newest_previous(self.key_path)
        if previous is None:
            return "Restore key.csv from a backup and run again."
        return (f"Restore it from the previous version: copy {previous.parent.name}/{previous.name} "
                f"to key.csv in {self.private}, and run again.")

    def load_key(self) -> StudyKey:
        return StudyKey.load(self.key_path, self.study.people, self.study.interviewer_label)

    def write(self, transcript: Transcript, result: FileResult, cached_only: bool = False) -> None:
        """The private and (anonymised) shareable files of one interview.

        Anything but a write error (which stops the batch) fails this interview only, and leaves
        no shareable file of it behind.
        """
        try:
            if cached_only:
                self.reporter.stage(transcript.code, "writing", 0)
            else:
                self.write_identifiable(transcript)
            transcript = apply_edits(transcript, self.private)  # corrections: after recognition, before detection
            if self.output.anonymise:
                self.write_shareable(transcript, result)
            else:
                self.render(mark(transcript), None)
                result.status = "not anonymised"
        except StorageError:
            raise
        except TranscribeError as error:
            log.info("%s: writing the outputs failed (%s)", transcript.code, type(error).__name__)
            self.fail_closed(transcript.code, result, f"writing the outputs failed ({error})")
        except Exception as error:
            log.info("%s: writing the outputs failed (%s)", transcript.code, type(error).__name__)
            log.debug("traceback", exc_info=True)
            self.fail_closed(transcript.code, result, f"writing the outputs failed ({type(error).__name__}: {error})")

    def fail_closed(self, code: str, result: FileResult, why: str) -> None:
        """No shareable file of this interview is left (of those the tool wrote); the result says why."""
        left = self.remove_shareable(code)
        result.status = "failed"
        result.message = f"{why}; no shareable output of it was written"
        if left:
            result.message += (f". Left as they are, because they were changed after transcribe wrote them: "
                               f"{', '.join(left)} (check them for names before sharing)")

    @property
    def detector(self):
        """The detector for the study's language."""
        return self.detector_for(detection_language(self.study.language))

    def detector_for(self, language: str):
        if language not in self._detectors:
            from .anonymise.detect import Detector

            self._detectors[language] = Detector(self.detector_config(language))
        return self._detectors[language]

    def detector_config(self, language: str = "en"):
        from .anonymise.detect import DetectorConfig

        s = self.study
        return DetectorConfig(roster=tuple(s.people), places=tuple(s.places), organisations=tuple(s.organisations),
                              allow=tuple(s.allow), language=language)

    def language_of(self, transcript: Transcript) -> str:
        """The language detection reads `transcript` in: the one it was recognised in (the run's
        --language), else the study's; English where anonymisation has no model for it."""
        spoken = transcript.settings.get("recognition", {}).get("language") or self.study.language
        return detection_language(spoken)

    def detection_key(self, transcript: Transcript) -> dict:
        """What the cached detections of `transcript` depend on."""
        # Versions too: a newer detector or spaCy model may find what an older one missed.
        from .anonymise.detect import DETECTOR_VERSION, spacy_model

        language = self.language_of(transcript)
        # Word probabilities too: the misheard-name recogniser weighs them.
        return {"text": [t.text for t in transcript.turns], "config": repr(self.detector_config(language)),
                "probabilities": [[round(w.probability, 3) for w in t.words] for t in transcript.turns],
                "versions": [__version__, DETECTOR_VERSION,
                             *(package_version(p) for p in ("presidio-analyzer", "spacy", spacy_model(language)[1]))]}

    def detections(self, transcript: Transcript) -> list[Found]:
        key = self.detection_key(transcript)
        sha = transcript.audio.get("sha256", transcript.code)
        cached = self.cache.load(sha, "detect", key)
        if cached is not None:
            return [Found.from_dict(d) for d in cached["found"]]
        # The study's names, a correction or the detector changed since: detect again (spaCy and
        # Presidio only; recognition and diarisation are never re-run by apply or export).
        language = self.language_of(transcript)
        # Through `detector` for the study's own language: tests replace that property.
        detector = self.detector if language == detection_language(self.study.language) else self.detector_for(language)
        found = find_identifiers(detector, transcript)
        self.cache.save(sha, "detect", key, {"found": [f.to_dict() for f in found]})
        return found

    def write_identifiable(self, transcript: Transcript) -> None:
        """The canonical transcript (raw words included) in the private folder."""
        self.reporter.stage(transcript.code, "writing", 0)
        path = self.private / f"{transcript.code}.identifiable.json"
        if not self.owned.write(path, transcript.to_json().encode("utf-8"), code=transcript.code, fmt="json", private=True):
            raise TranscribeError(f"{path.name} in {self.private} was not written by transcribe; move it away and run again.")

    def write_shareable(self, transcript: Transcript, result: FileResult) -> None:
        """Anonymise and write the shareable files, failing closed.

        If anonymisation cannot run, no shareable file of this interview is left behind (an older
        one could miss a name added to the study since) and the result says why. Write errors are
        not anonymisation failures: they stop the batch with earlier outputs intact.
        """
        try:
            self.reporter.stage(transcript.code, "anonymising", 0)
            prepared = self.prepare(transcript)
            if prepared.refusal:
                raise TranscribeError(prepared.refusal)
        except StorageError:
            raise
        except Exception as error:
            log.info("%s: anonymisation failed (%s)", transcript.code, type(error).__name__)
            self.fail_closed(transcript.code, result, f"anonymisation failed ({error})")
            self.render(mark(transcript), None)  # the private text is still wanted
            return
        self.reporter.stage(transcript.code, "writing", 0)
        p = prepared
        pages = self.render(mark(transcript), mark(p.anonymised), mark(p.shape))
        p.key.save(self.key_path)
        self.owned.meta["key_replacements"] = sorted(p.key.replacements())
        moved = self._note_line_breaks(transcript.code, pages[1])
        if moved:
            note = (f"line numbers changed from line {moved} on (a newly found identifier re-flowed its turn); "
                    "check citations of those lines")
            result.message = f"{result.message}; {note}" if result.message else note
        self.owned.save()
        review.update(self.private / "review.csv", transcript.code,
                      review.rows_for(transcript, pages[0], p.found, p.proposals, p.decisions))
        counts = self.anonymisation_counts()
        counts[transcript.code] = p.anonymised.anonymisation
        atomic_write(self.private / "anonymisation.json", json.dumps(counts, indent=1, sort_keys=True), mode=PRIVATE_FILE_MODE)

    def _note_line_breaks(self, code: str, page) -> int | None:
        """Record where the shareable text's lines break; return the first line that moved since
        the last render at the same width (decisions never move lines; a new detection can)."""
        layout_settings = [self.output.width, self.output.timestamps]
        now = [[line.turn, *line.words] for line in page.lines]
        lines = self.owned.meta.setdefault("lines", {})
        before = lines.get(code)
        lines[code] = {"settings": layout_settings, "breaks": now}
        if not before or before.get("settings") != layout_settings or before.get("breaks") == now:
            return None
        old = before.get("breaks", [])
        return next((i + 1 for i, (a, b) in enumerate(zip(old, now)) if a != b), min(len(old), len(now)) + 1)

    def prepare(self, transcript: Transcript) -> "Prepared":
        """Everything the shareable files of one interview are rendered from, written nowhere: the
        one path that `run`, `apply`, `export` and the review studio share."""
        found = self.detections(transcript)
        decisions = review.decisions_for(review.load_decisions(self.private / "review.csv"), transcript.code, found)
        key = self.load_key()
        anonymised, proposals = anonymise(transcript, found, decisions, key)
        found, decisions, anonymised, proposals, refusal = self.safety_net(
            transcript, found, decisions, anonymised, proposals, key)
        language = self.language_of(transcript)
        if language != "en":  # the methods record names the model; English records stay as they were
            anonymised.anonymisation["language"] = language
        # Every detection a slot of one width: laid out beside the real versions (never
        # written), it keeps line numbers the same whatever the decisions and the hidden text.
        return Prepared(found, decisions, anonymised, proposals, key, layout_shape(transcript, found), refusal)

    def safety_net(self, transcript: Transcript, found: list[Found], decisions: dict[str, str],
                   anonymised: Transcript, proposals: dict[str, str], key: StudyKey):
        """Run the study-wide safety net over the anonymised text (whatever detection and the cache
        said) and anonymise again with its hits; then check that nothing known is left.

        Returns the detections with the net's hits, the researcher's decisions, the anonymised
        transcript (ordinary words the researcher has not accepted are kept as they are, and listed
        first in the review), the proposals, and why the text must not be shared (None if it may).
        """
        net = SafetyNet(self.study.people, key, self.study.allow, self.language_of(transcript))
        kept = [(f.turn, f.detection.start, f.detection.end) for f in found
                if decisions.get(f.id, "").strip().lower() == "reject"]
        hits = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
        effective = dict(decisions)
        if hits:
            extra = [Found(h.turn, h.detection) for h in hits]
            found = sorted(found + extra, key=lambda f: (f.turn, f.detection.start))
            decisions = review.decisions_for(review.load_decisions(self.private / "review.csv"), transcript.code, found)
            effective = dict(decisions)
            for hit, item in zip(hits, extra):
                if hit.ordinary and not decisions.get(item.id):
                    effective[item.id] = "reject"
            kept = [(f.turn, f.detection.start, f.detection.end) for f in found
                    if effective.get(f.id, "").strip().lower() == "reject"]
            anonymised, proposals = anonymise(transcript, found, effective, key)
            anonymised.anonymisation["safety_net"] = sum(1 for f in extra if effective.get(f.id) != "reject")
            log.info("%s: the safety net found %d known name(s) that detection missed", transcript.code, len(extra))
            # The key may have grown.
            net = SafetyNet(self.study.people, key, self.study.allow, self.language_of(transcript))
        left = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
        refusal = f"{len(left)} name(s) the study knows would still be readable in the shareable text" if left else None
        return found, decisions, anonymised, proposals, refusal

    def anonymisation_counts(self) -> dict[str, dict]:
        try:
            return json.loads((self.private / "anonymisation.json").read_text())
        except (OSError, ValueError):
            return {}

    def write_methods(self, withdrawn: set[str] = frozenset()) -> None:
        """methods.md in the shareable folder, for every interview of these folders still in the study."""
        transcripts = [Transcript.from_json(p.read_text()) for p in sorted(self.private.glob("*.identifiable.json"))
                       if p.name.split(".")[0] not in withdrawn]
        path = self.out / "methods.md"
        if transcripts:
            self.owned.write(path, methods_record(transcripts, self.anonymisation_counts()).encode(), code=None, fmt=None)
        elif withdrawn:
            self.owned.remove(path)

    def formats_for(self, code: str) -> list[str]:
        """The formats asked for, plus every format already written for this interview: a re-render
        brings every file of the interview up to date, never only some of them."""
        present = self.owned.formats(code)
        return [f for f in WRITERS if f in self.output.formats or f in present]

    def render(self, identifiable: Transcript, anonymised: Transcript | None, *layout_only: Transcript):
        versions = [identifiable] + ([anonymised] if anonymised is not None else [])
        pages = layout(versions, self.output.width, self.output.timestamps, shape=layout_only[0] if layout_only else None)
        code = identifiable.code
        for fmt in self.formats_for(code):
            writer = get_writer(fmt)
            ext = writer.extension
            if fmt != "json":  # the private JSON is the canonical transcript, with the raw words
                self._write(writer, Document(identifiable, pages[0]), self.private / f"{code}.identifiable.{ext}",
                            code, fmt, private=True)
            if anonymised is not None:
                self._write(writer, Document(anonymised, pages[1]), self.out / f"{code}.{ext}", code, fmt)
        return pages

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

    def remove_shareable(self, code: str) -> list[str]:
        """Remove this interview's shareable files that the tool wrote; return the names left alone."""
        left = []
        for path in self.owned.shareable(code).values():
            if not self.owned.remove(path):
                left.append(path.name)
        return left


def _overlaps(hit, spans: list[tuple[int, int, int]]) -> bool:
    d = hit.detection
    return any(turn == hit.turn and start < d.end and d.start < end for turn, start, end in spans)
