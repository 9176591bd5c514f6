"""A batch over a Ray cluster (`transcribe run --ray`): the model stages run in Ray actors.

Each worker (a Ray actor, one per GPU) loads the models once. For each recording it is sent, it
reads the file from its path on the shared filesystem, decodes it and runs every model stage
(:func:`transcribe_interview`) and detection into an in-memory stage cache seeded with the driver's
entries for that recording; only the new entries come back. The driver saves them into the batch's
ordinary stage cache, and the ordinary batch then finds every model stage cached: participant
codes, the study key, review and every write stay at the driver, the outputs are those of a local
run, and an interrupted run resumes, on one machine or on a cluster, with nothing redone.

Ray is told participant codes only: task names are "transcribe p3" (or "transcribe recording 4"
for a recording that gets its code at the driver later), and nothing is logged by the workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import time
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .anonymise.prepare import Anonymiser
from .audio import decode
from .cache import StageCache
from .errors import TranscribeError
from .pipeline import Engines, InterviewJob, RunSettings, transcribe_interview
from .study import Study

log = logging.getLogger("transcribe")
INSTALL = "pip install 'transcribe-interviews[cluster]'"
LOCAL = "local"  # `--ray` without an address: a cluster on this machine, started for the run
TRIES = 3  # a recording whose worker dies is tried this many times in all
LOCAL_CPUS: int | None = None  # CPUs of a local cluster (None: all of this machine's)


def import_ray():
    """The ray module, or a TranscribeError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise TranscribeError(f"--ray needs Ray, which is not installed. Install it with: {INSTALL}") from None
    return ray


@contextlib.contextmanager
def connect(address: str, *, temp_dir: Path | None = None):
    """Connected to the Ray cluster at `address` (auto, HOST:PORT, ray://HOST:PORT), or to one
    started on this machine for the run (`local`); disconnected, or stopped, afterwards.

    A program that has already connected (ray.init) keeps its connection, and it stays open.
    """
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray would otherwise report usage online
    options = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address == LOCAL:
        # Only this machine's loopback: nothing of the run is reachable from the network.
        options.update(address="local", include_dashboard=False, _node_ip_address="127.0.0.1", num_cpus=LOCAL_CPUS,
                       _temp_dir=str(temp_dir) if temp_dir else None)
    else:
        options["address"] = address
    with _anonymous_driver(ray):
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise TranscribeError(f"Could not connect to the Ray cluster at {address}: {error}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _anonymous_driver(ray):
    # Ray records the driver's command line as the job's entrypoint (shown by `ray list jobs` and
    # the dashboard); here it would name the recordings' folders.
    utils = getattr(getattr(ray, "_private", None), "utils", None)
    original = getattr(utils, "get_entrypoint_name", None)
    if original is None:
        yield
        return
    utils.get_entrypoint_name = lambda: "transcribe run"
    try:
        yield
    finally:
        utils.get_entrypoint_name = original


class MemoryCache(StageCache):
    """A stage cache in memory: seeded with the driver's records, it keeps every new entry."""

    def __init__(self, records: dict[str, dict]):
        super().__init__(Path("."))
        self.records = dict(records)
        self.saved: list[tuple[str, dict, dict]] = []

    def load(self, sha256: str, stage: str, key: dict) -> dict | None:
        record = self.records.get(self.path(sha256, stage, key).name)
        return None if record is None else self.checked(stage, record)

    def save(self, sha256: str, stage: str, key: dict, data: dict) -> None:
        self.records[self.path(sha256, stage, key).name] = {"checksum": self.checksum(data), "data": data}
        self.saved.append((stage, key, data))


@dataclass
class Failure:
    """Why a recording failed on a worker, as the batch reports a failure (see batch.failure)."""

    error_type: str
    message: str
    user_error: bool  # a TranscribeError: the message is for the user as it is
    out_of_memory: bool = False

    def exception(self) -> Exception:
        """The error as the worker raised it, for the batch to report as it reports a local one."""
        if self.out_of_memory:
            return MemoryError()
        # The same class name: the batch's message and run.log name the type.
        base = TranscribeError if self.user_error else Exception
        return type(self.error_type, (base,), {})(self.message)


@dataclass
class Outcome:
    entries: list[tuple[str, dict, dict]]  # (stage, key, data): what the driver saves in its cache
    failure: Failure | None = None
    seconds: float = 0.0  # the worker's time on the recording


class TranscribeWorker:
    """The body of a Ray actor: one set of models, loaded once, for every recording it is sent."""

    def __init__(self, settings: RunSettings, threads: int | None = None, study: Study | None = None):
        warnings.filterwarnings("ignore")  # library warnings would go to Ray's log files
        logging.getLogger("transcribe").addHandler(logging.NullHandler())
        logging.getLogger("transcribe").propagate = False
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.settings = settings
        self.engines = Engines(settings)
        # Detection only, nothing written but the cache: its entries have the key the driver's would
        # have, so the driver finds them unless the transcript changed there (a correction made in
        # the review studio) or the study's names did.
        self.anonymiser = Anonymiser(study, MemoryCache({})) if study is not None else None

    def describe(self) -> dict:
        """The device and Whisper checkpoint this worker uses (loading nothing yet)."""
        return {"device": self.engines.device, "checkpoint": self.engines.checkpoint, "pid": os.getpid()}

    def voice_embedding(self, path: str):
        """The interviewer's enrolled voice as a speaker embedding."""
        return self.engines.voice_embedding(decode(path).samples)

    def transcribe(self, job: InterviewJob, records: dict[str, dict]) -> Outcome:
        """Every model stage of one recording; never raises (an error comes back as a Failure)."""
        cache = MemoryCache(records)
        started = time.perf_counter()
        failure = None
        try:
            audio = decode(job.audio, allow_partial=self.settings.allow_partial, sha256=job.sha256)
            transcript = transcribe_interview(job, self.engines, cache, self.settings, audio=audio)
            if self.anonymiser is not None:
                self.anonymiser.finder.cache = cache
                self.anonymiser.finder.detections(transcript, self.anonymiser.language_of(transcript))
        except MemoryError:
            failure = Failure("MemoryError", "", False, out_of_memory=True)
        except TranscribeError as error:
            failure = Failure(type(error).__name__, str(error), True)
        except Exception as error:
            failure = Failure(type(error).__name__, str(error), False)
        return Outcome(cache.saved, failure, time.perf_counter() - started)


class ModelAtDriver(RuntimeError):
    """A model stage was about to run at the driver: its cluster result was not in the cache."""


class DriverEngines(Engines):
    """The driver's Engines: the workers' device and model, and no model of its own."""

    def __init__(self, settings: RunSettings, remote: "Remote"):
        super().__init__(settings)
        self.remote = remote

    @property
    def device(self) -> str:
        return self.remote.device

    @property
    def checkpoint(self):
        return self.remote.checkpoint

    @property
    def recogniser(self):
        raise ModelAtDriver("recognition was not found in the stage cache after the cluster ran it")

    @property
    def diariser(self):
        raise ModelAtDriver("diarisation was not found in the stage cache after the cluster ran it")

    def voice_embedding(self, samples):
        if self._voice is None:
            self._voice = self.remote.voice_embedding()
        return self._voice


class Remote:
    """The cluster's side of a batch: its workers, the recordings sent to them, what came back."""

    def __init__(self, ray, settings: RunSettings, *, study: Study | None = None, workers: int | None = None,
                 cpus_per_worker: int = 1, say: Callable[[str], None] = lambda message: None):
        """`study`: the workers detect identifiers too, with its lists (None: the driver detects)."""
        self.ray = ray
        self.settings = settings
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if settings.device == "cuda" and not gpus:
            raise TranscribeError("--device cuda was requested but the Ray cluster has no GPU. Use --device cpu or auto.")
        if gpus and settings.device != "cpu":
            options, threads = {"num_gpus": 1, "num_cpus": 1}, None
            count = workers or gpus
        else:
            options, threads = {"num_cpus": cpus_per_worker}, cpus_per_worker
            count = workers or max(1, int(resources.get("CPU", 1)) // cpus_per_worker)
        actor = ray.remote(TranscribeWorker).options(max_restarts=TRIES - 1, max_task_retries=TRIES - 1, **options)
        if study is not None:  # what detection reads: not the recordings' names
            study = dataclasses.replace(study, path=None, interviews=[], interviewer_voice=None)
        self.workers = [actor.remote(settings, threads, study) for _ in range(count)]
        # The first worker converts packaged weights if they need it; the others then find them.
        try:
            first = ray.get(self.workers[0].describe.remote())
            described = [first] + ray.get([w.describe.remote() for w in self.workers[1:]])
        except ray.exceptions.RayTaskError as error:  # a model not installed on a node, ...
            cause = getattr(error, "cause", None)
            if isinstance(cause, TranscribeError):
                raise TranscribeError(f"On the cluster: {cause}") from None
            raise TranscribeError(f"The cluster's workers could not start ({type(cause).__name__}).") from None
        except ray.exceptions.RayError as error:
            raise TranscribeError(f"The cluster's workers could not start ({type(error).__name__}).") from None
        if len({d["checkpoint"].sha256 for d in described}) > 1:
            raise TranscribeError("The cluster's workers do not have the same Whisper model installed: install the "
                                  "same version of transcribe and its models on every node.")
        self.device, self.checkpoint = first["device"], first["checkpoint"]
        if settings.model == "auto":
            say(f"Model: Whisper {self.checkpoint.name} ({self.checkpoint.source}), chosen automatically for "
                f"{self.device}.")
        say(f"Ray cluster: {count} worker(s) on {'GPUs' if threads is None else 'CPUs'}.")
        self.cache: StageCache | None = None
        self.voice_path: Path | None = None
        self.pending: deque[tuple[int, InterviewJob]] = deque()
        self.in_flight: dict = {}  # ObjectRef -> (index, job, worker)
        self.finished: dict[int, Failure | None] = {}
        self.tries: dict[int, int] = {}
        self.worker_seconds = 0.0  # the workers' time on recordings, all together

    def engines(self, settings: RunSettings) -> DriverEngines:
        return DriverEngines(settings, self)

    def start(self, jobs: list[InterviewJob], cache: StageCache, voice_path: Path | None = None) -> None:
        """Send the recordings to the workers, two at a time each so that none waits for the driver."""
        self.cache, self.voice_path = cache, voice_path
        # A duplicate is not transcribed; a file that cannot be read fails at the driver as it would locally.
        self.pending = deque((i, job) for i, job in enumerate(jobs) if job.duplicate_of is None and job.sha256)
        for _ in range(2):
            for worker in self.workers:
                self._send(worker)

    def wait(self, index: int) -> Failure | None:
        """Wait until recording `index` is back, saving every entry that arrives meanwhile.

        None when its stages are in the cache (or it was never sent), else why it failed.
        """
        while index not in self.finished and self.in_flight and self._owed(index):
            ready, _ = self.ray.wait(list(self.in_flight), num_returns=1)
            for future in ready:
                self._receive(future)
        return self.finished.pop(index, None)

    def _owed(self, index: int) -> bool:
        return any(i == index for i, _, _ in self.in_flight.values()) or any(i == index for i, _ in self.pending)

    def voice_embedding(self):
        return self.ray.get(self.workers[0].voice_embedding.remote(str(Path(self.voice_path).resolve())))

    def _send(self, worker) -> None:
        if not self.pending:
            return
        index, job = self.pending.popleft()
        job = dataclasses.replace(job, audio=job.audio.resolve())  # workers have their own working folders
        name = f"transcribe {job.code or f'recording {index + 1}'}"
        future = worker.transcribe.options(name=name).remote(job, self._records(job.sha256))
        self.in_flight[future] = (index, job, worker)

    def _records(self, sha256: str) -> dict[str, dict]:
        records = {}
        for path in sorted((self.cache.root / sha256).glob("*.json")):
            with contextlib.suppress(OSError, ValueError):
                records[path.name] = json.loads(path.read_text())
        return records

    def _receive(self, future) -> None:
        index, job, worker = self.in_flight.pop(future)
        try:
            outcome = self.ray.get(future)
        except self.ray.exceptions.RayActorError:
            # The worker died more often than Ray restarts it: try the recording on another one.
            log.warning("%s: a cluster worker stopped for good", job.code or "-")
            if worker in self.workers:
                self.workers.remove(worker)
            self.tries[index] = self.tries.get(index, 1) + TRIES - 1
            if self.tries[index] < 2 * TRIES and self.workers:
                self.pending.appendleft((index, job))
            else:
                self.finished[index] = Failure("WorkerDied", f"the cluster worker transcribing it stopped {TRIES} "
                                               "times (out of memory?)", True)
            if not self.workers:
                for left, _ in self.pending:
                    self.finished.setdefault(left, Failure("WorkerDied", "no cluster worker was left", True))
                self.pending.clear()
            for alive in self.workers:
                self._send(alive)
            return
        for stage, key, data in outcome.entries:
            self.cache.save(job.sha256, stage, key, data)
        log.info("%s: model stages on the cluster in %.1f s", job.code or "-", outcome.seconds)
        self.worker_seconds += outcome.seconds
        self.finished[index] = outcome.failure
        self._send(worker)
