"""The tool starts where fcntl does not exist (Windows): simulated by making `import fcntl` fail."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLES

NO_FCNTL = "import sys; sys.modules['fcntl'] = None\n"  # `import fcntl` now raises ImportError


def python(code: str, *args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_FCNTL + code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_simulation_works():
    result = python("import fcntl")
    assert result.returncode != 0 and "import of fcntl halted" in result.stderr


@pytest.mark.slow
def test_package_imports_without_fcntl():
    modules = ["transcribe", "transcribe.cli", "transcribe.storage", "transcribe.batch", "transcribe.render",
               "transcribe.progress", "transcribe.importers"]
    result = python("import importlib\nfor m in %r: importlib.import_module(m)\nprint('ok')" % modules)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.slow
def test_help_and_init_run_without_fcntl(tmp_path):
    cli = "from transcribe.cli import main; sys.argv[0] = 'transcribe'; main()"
    result = python(cli, "--help")
    assert result.returncode == 0, result.stderr
    assert "Typical use" in result.stdout
    for command in ("run", "anonymise", "export"):
        result = python(cli, command, "--help")
        assert result.returncode == 0, result.stderr
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(SAMPLES / "interview_01.flac", folder / "interview_01.flac")
    result = python(cli, "init", str(folder))
    assert result.returncode == 0, result.stderr
    assert "codes p1-p1" in result.stdout
    assert "interview_01.flac" in (folder / "study.toml").read_text()
