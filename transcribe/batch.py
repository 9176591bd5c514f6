"""A batch: discover recordings, give them codes, run each through the pipeline and write it.

One failing recording never stops the others: its error is recorded and the batch goes on. Every
file is written atomically, stage results are cached, and the run holds a lock on its output
folders, so an interrupted batch can simply be started again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
from pathlib import Path

from . import __version__
from .anonymise.prepare import Anonymiser
from .audio import AUDIO_EXTENSIONS, Audio, decode, file_sha256, special_file
from .binding import shown
from .cache import StageCache
from .errors import StorageError, TranscribeError
from .folders import CODES, REDO, RUN_LOG, Folders, OutputSettings
from .pipeline import Engines, InterviewJob, RunSettings, transcribe_interview
from .render import FileResult, Renderer
from .storage import (
    PRIVATE_FILE_MODE,
    make_dir,
    make_private_dir,
    output_lock,
    remove_stale_temporaries,
)
from .study import Study, audio_files, code_order, find_study, load_study
from .transcript import Transcript

log = logging.getLogger("transcribe")


class Stopped(Exception):
    """The batch stopped early (Ctrl-C, or a write failed): finished files are complete.

    `reason` is None for an interruption, else the StorageError that stopped it.
    """

    def __init__(self, finished: list[FileResult], remaining: list[InterviewJob], reason: StorageError | None = None):
        super().__init__(str(reason) if reason else "interrupted")
        self.finished = finished
        self.remaining = remaining
        self.reason = reason


class Reporter:
    """Progress callbacks; the CLI shows them, the library is silent by default."""

    def begin(self, files: int) -> None: ...
    def file(self, index: int, audio: Path, code: str) -> None: ...
    def stage(self, code: str, name: str, seconds: float) -> None: ...
    def done(self, result: FileResult) -> None: ...
    def say(self, message: str) -> None: ...


def discover(paths: list[Path]) -> list[Path]:
    """Audio files from the paths given: files as they are, folders searched recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and path.suffix.lower() not in AUDIO_EXTENSIONS:
            found.extend(audio_files(path))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


class Batch:
    """Runs recordings through every stage into a shareable folder and its private sibling."""

    def __init__(self, out: Path, settings: RunSettings, output: OutputSettings, study: Study | None = None,
                 reporter: Reporter | None = None, remote=None):
        self.folders = Folders.of(out)
        self.out, self.private = self.folders.out, self.folders.private
        # With a cluster (a cluster.Remote) its workers run the model stages, --redo included, and
        # save them in this batch's stage cache; here they are then all found there.
        self.remote = remote
        self.redo = settings.redo
        self.settings = dataclasses.replace(settings, redo=frozenset()) if remote else settings
        self.output = output
        self.study = study or Study()
        self.reporter = reporter or Reporter()
        self.engines = remote.engines(self.settings) if remote else Engines(settings, say=self.reporter.say)
        self.cache = StageCache(self.private)
        self.anonymiser = Anonymiser(self.study, self.cache, self.folders, output.styles)
        self.renderer = Renderer(self.folders, output, self.anonymiser)
        self._voice = None

    # --- planning ----------------------------------------------------------------------------

    def plan(self, audio: list[Path]) -> list[InterviewJob]:
        """One job per recording: study-file recordings first, in study order, then the rest.

        Recordings outside the study file get their code when they first decode, so unusable
        files take no code. A recording found twice (the same content under two names) becomes a
        job that fails with a message naming the first.
        """
        jobs: list[InterviewJob] = []
        prompt = self.study.prompt  # per interview: only the names of its own people (issue 12)
        first_of: dict[str, Path] = {}
        d = self.settings.diarisation
        for path in audio:
            content = self._content_key(path)
            if content in first_of:
                jobs.append(InterviewJob(path, [], duplicate_of=first_of[content]))
                continue
            first_of[content] = path
            sha256 = None if content.startswith("name:") else content
            entry = self.study.interview_for(path) if path.is_file() else None
            if entry is not None:
                counts = (entry.speakers, entry.min_speakers, entry.max_speakers)
                if counts == (None, None, None):  # the study does not say: the command line does
                    counts = (d.num_speakers, d.min_speakers, d.max_speakers)
                jobs.append(InterviewJob(path, entry.codes, *counts, entry.roles, self.study.interviewer_label,
                                         prompt(entry.codes), sha256=sha256))
            else:
                jobs.append(InterviewJob(path, [], d.num_speakers, d.min_speakers, d.max_speakers, None,
                                         self.study.interviewer_label, prompt([]), sha256=sha256))
        order = {entry.audio.resolve(): i for i, entry in enumerate(self.study.interviews)}
        jobs.sort(key=lambda j: order.get(j.audio.resolve(), len(order)))
        return jobs

    def used_codes(self) -> set[str]:
        """Every code these folders already use: the transcripts they hold, the files the tool
        wrote, and the codes given to recordings and transcripts outside the study file."""
        return set(self.folders.codes()) | self.renderer.owned.codes() | set(self._load_codes().values())

    def assign_code(self, job: InterviewJob, sha256: str) -> None:
        """Give a recording (or typed transcript) outside the study file its code: the one it had
        before, unless the study file now gives that code to another recording or these folders
        hold it for other content; else the next code these folders and the study never used."""
        codes = self._load_codes()
        study_codes = {c for entry in self.study.interviews for c in entry.codes}
        code = codes.get(sha256)
        if code is None or code in study_codes or self.folders.content_of(code) not in (None, sha256):
            code = codes[sha256] = _next_code(study_codes | self.used_codes())
            self._save_codes(codes)
            if self.study.path:
                self.reporter.say(f"{job.audio.name} is not in the study file; it is {code} for now. "
                                  + self._listing_hint(job.audio, code))
        job.codes = [code]

    def check_codes(self, job: InterviewJob, sha256: str) -> None:
        """Refuse a study-file code that these folders already gave to other content (a recording
        or transcript outside the study file): writing it would overwrite that interview."""
        given = {code: content for content, code in self._load_codes().items()}
        for code in job.codes:
            other = given.get(code)
            if other is not None and other != sha256 and self.folders.content_of(code) == other:
                raise TranscribeError(
                    f"{code} is already the code of another recording or transcript in {shown(self.out)} (given to it "
                    f"because the study file did not list it), so {job.audio.name} cannot be {code}; nothing was "
                    f"overwritten. Give {job.audio.name} another code in {shown(self.study.path)}, or list the other "
                    "one there with its own code, and run again.")

    def check_roster_codes(self) -> None:
        """A participant on the roster whose code no interview in the study file has: their
        interview was withdrawn (these folders hold it), and they keep their code wherever other
        interviews mention them; or the code is a mistake, refused with the study file's line."""
        for code, problem in self.study.unlisted_codes.items():
            if code not in self.used_codes():
                raise TranscribeError(f"{problem}, here or in {shown(self.out)}. Give the person the code of their "
                                      "interview (or remove the code if they are not a participant).")

    def _listing_hint(self, path: Path, code: str) -> str:
        """The lines that list `path` in the study file with `code`, to copy into it."""
        import tomli_w

        study = self.study.path
        try:
            relative = path.resolve().relative_to(study.parent.resolve()).as_posix()
        except ValueError:
            return (f"To keep it, move {path.name} into {shown(study.parent)} (or a folder inside it), then list it in "
                    f"{shown(study)} as [[interviews]] with audio = its path from there and codes = [\"{code}\"].")
        lines = ["[[interviews]]", *tomli_w.dumps({"audio": relative}).splitlines(), f'codes = ["{code}"]']
        return f"To keep it, add these lines to {shown(study)}:\n" + "\n".join(f"    {line}" for line in lines)

    @staticmethod
    def _content_key(path: Path) -> str:
        # The content hash recognises a renamed or moved recording; the name is the fallback for
        # files that cannot be read (they fail later with a clear message).
        if special_file(path):
            return f"name:{path}"  # reading a pipe or /dev/zero would never end; it fails with a reason
        try:
            return file_sha256(path)
        except OSError:
            return f"name:{path}"

    def _load_codes(self) -> dict[str, str]:
        return self.folders.read_record(CODES)

    def _save_codes(self, codes: dict[str, str]) -> None:
        self.folders.write_record(CODES, codes)

    # --- running -----------------------------------------------------------------------------

    def run(self, paths: list[Path]) -> list[FileResult]:
        make_private_dir(self.private)
        with output_lock(self.private), run_log(self.private):
            make_dir(self.out)
            for folder in (self.out, self.private):
                remove_stale_temporaries(folder)
            self.renderer.check_study_files()
            self.check_roster_codes()
            jobs: list[InterviewJob] = []
            results: list[FileResult] = []
            try:
                jobs = self.plan(discover(paths))
                redone = self._resume_redo(jobs)
                self.reporter.begin(len(jobs))
                if self.remote:
                    self.remote.start(jobs, self.cache, self.study.interviewer_voice)
                # Decode the next recording while the models work on this one.
                pending = _Prefetch(self._decode, jobs[0]) if jobs else None
                for index, job in enumerate(jobs):
                    decoded = pending
                    pending = _Prefetch(self._decode, jobs[index + 1]) if index + 1 < len(jobs) else None
                    self.reporter.file(index, job.audio, job.code)
                    remote_failure = self.remote.wait(index) if self.remote else None
                    result = self._run_one(job, decoded, remote_failure)
                    if redone is not None and result.status in ("done", "not anonymised") and job.sha256:
                        redone.add(job.sha256)
                        self.folders.write_record(REDO, {"stages": sorted(self.redo), "done": sorted(redone)})
                    results.append(result)
                    log.info("%s: %s", result.code or "-", result.status)
                    self.reporter.done(result)
            except KeyboardInterrupt:
                self.record_settings(stopping=True)
                raise Stopped(results, jobs[len(results):]) from None
            except StorageError as error:
                self.record_settings(stopping=True)
                raise Stopped(results, jobs[len(results):], error) from None
            try:
                (self.private / REDO).unlink(missing_ok=True)  # the --redo is complete: a new one redoes all
                self.record_settings()
                results.extend(self.withdraw())
                self.renderer.write_methods(self.withdrawn_codes())
                results.extend(self.renderer.write_study_files())
            except StorageError as error:  # the summary is still printed
                raise Stopped(results, [], error) from None
        return results

    def _resume_redo(self, jobs: list[InterviewJob]) -> set[str] | None:
        """With --redo, the recordings an interrupted run of the same --redo already redid (they
        are marked, and take their results from the cache); None without --redo."""
        if not self.redo:
            return None
        record = self.folders.read_record(REDO)
        done = set(record.get("done", [])) if record.get("stages") == sorted(self.redo) else set()
        for job in jobs:
            job.redone = job.sha256 in done
        self.folders.write_record(REDO, {"stages": sorted(self.redo), "done": sorted(done)})
        return done

    def _decode(self, job: InterviewJob) -> Audio | None:
        if job.duplicate_of is not None:
            return None
        return decode(job.audio, allow_partial=self.settings.allow_partial, spill_dir=self.private, sha256=job.sha256)

    def _run_one(self, job: InterviewJob, decoded: "_Prefetch", remote_failure=None) -> FileResult:
        if job.duplicate_of is not None:
            return FileResult(job.audio, None, "failed", f"same recording as {job.duplicate_of.name}; transcribed once")
        try:
            audio = decoded.get()
            if not job.codes:
                self.assign_code(job, audio.sha256)
            else:
                self.check_codes(job, audio.sha256)
            if remote_failure is not None:  # reported as the same error here would be
                raise remote_failure.exception()
            transcript = transcribe_interview(
                job, self.engines, self.cache, self.settings, audio=audio,
                progress=self.stage_progress(job.code),
                interviewer_voice=self.voice(),
            )
        except StorageError:
            raise  # a full disk or unwritable folder stops the batch: every later file would fail too
        except TranscribeError as error:
            log.info("%s: failed (%s)", job.code, type(error).__name__)
            return FileResult(job.audio, job.code, "failed", str(error))
        except MemoryError:
            return FileResult(job.audio, job.code, "failed", "ran out of memory; close other programs or use a smaller model")
        except Exception as error:  # a model or library error must not stop the other recordings
            log.error("%s: unexpected error (%s)", job.code, type(error).__name__)
            log.debug("traceback", exc_info=True)  # console with --verbose only: it may show paths
            return FileResult(job.audio, job.code, "failed",
                              f"unexpected error ({type(error).__name__}: {error}); please report it")
        result = FileResult(job.audio, job.code, "done", duration=transcript.duration,
                            low_confidence_roles=transcript.low_confidence_roles)
        self.renderer.write_interview(transcript, result, progress=self.stage_progress(job.code))
        return result

    def stage_progress(self, code: str):
        """What the stages of interview `code` call as they go: `progress(stage, seconds)`."""
        return lambda stage, seconds: self.reporter.stage(code, stage, seconds)

    def voice(self):
        """The interviewer's enrolled voice, decoded once per batch."""
        if self._voice is None and self.study.interviewer_voice is not None:
            self._voice = decode(self.study.interviewer_voice).samples
        return self._voice

    def record_settings(self, stopping: bool = False) -> None:
        """Record the study and output settings for `apply` and `export`. While the batch is
        already stopping (Ctrl-C, a full disk) a failure here must not hide why it stopped."""
        if stopping:
            with contextlib.suppress(StorageError):
                self.record_settings()
            return
        self.folders.write_last_run(self.study.path, self.output)

    def rerender(self) -> list[FileResult]:
        """Render every cached transcript again (review decisions, formats) without loading a model."""
        results = []
        make_private_dir(self.private)
        with output_lock(self.private):
            make_dir(self.out)
            self.renderer.check_study_files()
            self.check_roster_codes()
            withdrawn = self.withdrawn_codes()
            for code in self.folders.codes():
                if code in withdrawn:
                    continue
                path = self.folders.identifiable(code)
                transcript = Transcript.from_json(path.read_text())
                result = FileResult(Path(""), transcript.code, "done", duration=transcript.duration)
                self.renderer.write_interview(transcript, result, cached_only=True, progress=self.stage_progress(code))
                results.append(result)
            self.record_settings()
            results.extend(self.withdraw())
            self.renderer.write_methods(withdrawn)
            results.extend(self.renderer.write_study_files())
        return results

    def withdrawn_codes(self) -> set[str]:
        """Interviews transcribed into these folders that the study file no longer lists.

        Only a study file that lists its interviews can withdraw one; recordings outside it keep
        the codes they were given (codes.json).
        """
        if self.study.path is None or not self.study.interviews:
            return set()
        current = {c for entry in self.study.interviews for c in entry.codes} | set(self._load_codes().values())
        made = set(self.folders.codes()) | self.renderer.owned.codes()
        return {code for code in made if code not in current}

    def withdraw(self) -> list[FileResult]:
        """Remove the shareable files of withdrawn interviews (their private files stay)."""
        results = []
        for code in sorted(self.withdrawn_codes(), key=code_order):
            if not self.renderer.owned.shared_files(code):
                continue
            left = self.renderer.remove_shareable(code)
            message = "no longer in the study file: its shareable files were removed (private files kept)"
            if code in self.study.unlisted_codes:
                message += f"; the participant keeps [{code}] where other interviews mention them"
            if left:
                message += f"; left as they are, changed after transcribe wrote them: {', '.join(left)}"
            log.info("%s: withdrawn", code)
            results.append(FileResult(Path(code), code, "withdrawn", message))
        return results


class _Prefetch:
    """Runs `work(job)` in a daemon thread: a decode in progress never keeps Ctrl-C waiting."""

    def __init__(self, work, job):
        self._result = self._error = None
        self._thread = threading.Thread(target=self._run, args=(work, job), daemon=True)
        self._thread.start()

    def _run(self, work, job) -> None:
        try:
            self._result = work(job)
        except BaseException as error:  # handed to the caller of get()
            self._error = error

    def get(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


@contextlib.contextmanager
def run_log(private: Path):
    """Append this run's log to run.log in the private folder (mode 0600).

    The log holds participant codes, stages, timings and statuses: never file names, names or
    transcript text, so it can be sent with a bug report.
    """
    fd = os.open(private / RUN_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    stream = os.fdopen(fd, "a", encoding="utf-8")
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    previous = log.level
    log.addHandler(handler)
    log.setLevel(min(previous or logging.WARNING, logging.INFO))
    log.info("run started (transcribe %s)", __version__)
    try:
        yield
    finally:
        log.info("run ended")
        log.removeHandler(handler)
        log.setLevel(previous)
        stream.close()


def _next_code(used: set[str]) -> str:
    number = 1
    while f"p{number}" in used:
        number += 1
    return f"p{number}"


def open_run(paths: list[Path], study_path: Path | None, settings: RunSettings, out: Path | None = None,
             new_study: bool = False, say=lambda message: None) -> tuple[Study, list[Path]]:
    """The study and the recordings of `transcribe run PATHS`, checked before any model loads; sets
    the run's language (the command line's, else the study's, else English)."""
    from .asr import checked_language

    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise TranscribeError(f"{missing[0]} does not exist.")
    study = open_study(paths, study_path, out, new_study, say)
    settings.language = checked_language(settings.language or study.language or "en", settings.model)
    audio = discover(paths)
    if not audio:
        raise TranscribeError("No audio or video files found in the paths given.")
    return study, audio


def open_study(paths: list[Path], study_path: Path | None, out: Path | None = None, new_study: bool = False,
               say=lambda message: None) -> Study:
    """The study file given, or one found beside the inputs, or the one the output folder OUT was
    made with, or defaults; checked against OUT (one study per output folder, see binding.py).
    `say` is told which study file it is."""
    from .binding import check_study, study_for

    path, origin, note = study_path or find_study(paths), None, None
    if out is not None:
        folders = Folders.of(out)
        if path is None and not new_study:
            path, origin = study_for(folders)
        note = check_study(folders, path, new_study)
    if path:
        say(f"Study file: {shown(path)}" + (f" ({origin})" if origin else ""))
    if note:
        say(note)
    return load_study(path) if path else Study()


def summary_lines(results: list[FileResult]) -> list[str]:
    """One line per interview: its code, input file, status, what was found and any note."""
    lines = []
    for r in results:
        flag = "  (check speaker roles: low confidence)" if r.low_confidence_roles else ""
        found = [f"{r.detections} identifier(s) found, {r.check_first} to check first"] if r.status == "done" else []
        notes = "; ".join(found + ([r.message] if r.message else []))
        what = f"{r.status}{': ' + notes if notes else ''}"
        name = f" {r.audio.name}:" if r.audio.name and r.status != "withdrawn" else ""
        lines.append(f"  {r.code or '-':<6}{name} {what}{flag}")
    return lines
