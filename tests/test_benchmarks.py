"""The benchmarks' own measurements: a worker's memory, and DER at diarisation block edges."""

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


def test_der_at_block_edges_is_told_apart_from_errors_elsewhere():
    sys.path.insert(0, str(BENCHMARKS))
    from scoring import der_near_cuts

    reference = [(0.0, 50.0, "A"), (50.0, 100.0, "B")]
    wrong_at_edge = [(0.0, 28.0, "A"), (28.0, 32.0, "B"), (32.0, 50.0, "A"), (50.0, 100.0, "B")]
    edges = der_near_cuts(reference, wrong_at_edge, 100.0, cuts=[30.0], window=10.0)
    assert edges["near"] == 0.2 and edges["elsewhere"] == 0.0  # 4 s wrong of the 20 s around the cut
    assert (edges["near_s"], edges["elsewhere_s"]) == (20.0, 80.0)
    swapped_later = [(0.0, 50.0, "A"), (50.0, 75.0, "B"), (75.0, 100.0, "A")]
    assert der_near_cuts(reference, swapped_later, 100.0, cuts=[30.0])["elsewhere"] > 0.3
