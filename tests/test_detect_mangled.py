"""End to end on a recording whose names Whisper tiny.en mishears: what stays readable.

Runs the real pipeline (diarisation, recognition, detection, writing) on tests/data/mangled/ with
no study file, then locates each spoken identifier in the identifiable transcript and checks
whether what the recogniser wrote for it still appears in the shareable files
(benchmarks/detection_mangled.py). Measured: 1 of 12 readable ("oiler", a surname misheard as an
ordinary word); 4 of 12 before the misheard-name, institution and address recognisers ("trigger
crescent", "Greggs", "Pinterfield's hospital", "oiler").
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANGLED = ROOT / "tests" / "data" / "mangled"


@pytest.mark.slow
def test_mangled_names_do_not_stay_readable_without_a_study_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from transcribe.cli import cli

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    shutil.copy(MANGLED / "mangled_01.flac", recordings)
    out = tmp_path / "transcripts"
    result = CliRunner().invoke(cli, ["run", str(recordings), "-o", str(out), "--model", "tiny.en"])
    assert result.exit_code == 0, result.output

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import detection_mangled

    report = detection_mangled.measure(out)
    (interview,) = report["interviews"].values()
    # Each identifier must have been located, or "readable" would count nothing.
    assert sum(bool(forms) for forms in interview["recognised_as"].values()) >= 10
    assert set(interview["readable_count"]) >= {"txt", "json"}
    assert all(count <= 2 for count in interview["readable_count"].values()), interview["readable"]
