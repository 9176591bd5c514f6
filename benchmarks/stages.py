"""Wall time and peak memory per stage of one process.

A background thread samples the process's resident memory (VmRSS in /proc/self/status) every few
milliseconds; :class:`StageMeter` takes the highest sample between two stage boundaries. On CUDA it
also reads PyTorch's peak allocated GPU memory per stage, and synchronises at each boundary so that
queued GPU work is charged to the stage that queued it.
"""

from __future__ import annotations

import resource
import sys
import threading
import time

MIB = 1 << 20


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} is missing from /proc/self/status")


def current_rss() -> int:
    """Resident memory of this process in bytes."""
    return _status("VmRSS")


def peak_rss() -> int:
    """The highest resident memory this process has had, in bytes: the kernel's high-water mark.

    Not getrusage's ru_maxrss: Linux carries that over fork and exec, so a worker started by a
    parent that once held more (bench.py building a six-hour input) would report the parent's peak.
    """
    try:
        return _status("VmHWM")
    except (OSError, RuntimeError):  # not Linux: macOS reports bytes
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class RssSampler(threading.Thread):
    """Keeps the highest resident memory seen since the last :meth:`take_peak`."""

    def __init__(self, interval: float = 0.005):
        super().__init__(daemon=True, name="rss-sampler")
        self.interval = interval
        self._peak = current_rss()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            rss = current_rss()
            with self._lock:
                self._peak = max(self._peak, rss)

    def take_peak(self) -> int:
        """The peak since the last call (including now); the next period starts at the current value."""
        rss = current_rss()
        with self._lock:
            peak, self._peak = max(self._peak, rss), rss
        return peak

    def stop(self) -> None:
        self._stopped.set()


class StageMeter:
    """Stages as named, consecutive periods: ``switch("decode")`` ends the current one and starts another.

    A stage entered more than once accumulates its time and keeps its highest peak. Safe to switch
    from another thread (transcribe's batch decodes in a worker thread).
    """

    def __init__(self, cuda: bool = False):
        self.cuda = cuda
        self.sampler = RssSampler()
        self.sampler.start()
        self._lock = threading.Lock()
        self._current: str | None = None
        self._started = 0.0
        self._stages: dict[str, dict] = {}

    def switch(self, name: str | None) -> None:
        """End the current stage and start `name` (None: start nothing). Switching to the current stage is a no-op."""
        with self._lock:
            if name is not None and name == self._current:
                return
            now = self._sync_and_time()
            if self._current is not None:
                self._close(self._current, now - self._started)
            else:
                self.sampler.take_peak()
                self._reset_gpu_peak()
            self._current, self._started = name, now

    def stop(self) -> list[dict]:
        """End the last stage, stop sampling, and return the stages in the order first entered."""
        self.switch(None)
        self.sampler.stop()
        return self.results()

    def results(self) -> list[dict]:
        return [{"stage": name, **values} for name, values in self._stages.items()]

    def _close(self, name: str, seconds: float) -> None:
        stage = self._stages.setdefault(name, {"seconds": 0.0, "peak_rss_mib": 0.0})
        stage["seconds"] = round(stage["seconds"] + seconds, 4)
        stage["peak_rss_mib"] = round(max(stage["peak_rss_mib"], self.sampler.take_peak() / MIB), 1)
        if self.cuda:
            stage["peak_gpu_mib"] = round(max(stage.get("peak_gpu_mib", 0.0), self._gpu_peak() / MIB), 1)
            self._reset_gpu_peak()

    def _cuda_started(self) -> bool:
        # Never start CUDA here: starting it is part of the first stage that uses the GPU ("load").
        if not self.cuda:
            return False
        import torch

        return torch.cuda.is_initialized()

    def _sync_and_time(self) -> float:
        if self._cuda_started():
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def _gpu_peak(self) -> int:
        if not self._cuda_started():
            return 0
        import torch

        return torch.cuda.max_memory_allocated()

    def _reset_gpu_peak(self) -> None:
        if self._cuda_started():
            import torch

            torch.cuda.reset_peak_memory_stats()
