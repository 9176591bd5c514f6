"""The benchmarks' memory figure is the measured process's own, not its parent's."""

import subprocess
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_peak_memory_of_a_worker_leaves_out_what_its_parent_held():
    held = np.ones(400 * 2**20 // 8)  # the parent peaks above 400 MiB, as bench.py does building a long input
    held[:] = 2.0
    del held
    child = subprocess.run(
        [sys.executable, "-c", "import stages; print(stages.peak_rss() / 2**20)"],
        cwd=BENCHMARKS, capture_output=True, text=True, check=True,
    )
    assert float(child.stdout) < 100  # a bare interpreter; ru_maxrss would report the parent's 400+
