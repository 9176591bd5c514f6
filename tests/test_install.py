"""The README's install works with the pip that each supported Python's venv brings, whatever
upstream has released since the lock was made.

pip 23.2 (which Python 3.11's and 3.12's venvs bundle) refused the lock in hash-checking mode as
soon as a newer release appeared of a package that another one asks for with an extra (spaCy's
weasel asks for ``smart-open[http]``). The README installs the lock with ``--no-deps``: pip then
installs exactly the files the lock lists and never resolves anything, so no release made later
can change or break it. These tests build a small package index in a temporary folder with such a
newer release beside the locked one, and install a lock of it with the README's own command.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # builds virtual environments

SUPPORTED = ("3.11", "3.12", "3.13")


def readme_command(heading: str) -> str:
    """The command in the first code block after the README line `heading`."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    block = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    end = next(i for i in range(block + 1, len(lines)) if lines[i].startswith("```"))
    return " ".join(line.strip() for line in lines[block + 1:end])


def lock_step(command: str) -> list[str]:
    """The README command's step that installs a lock file, as arguments after `pip`."""
    for step in command.split("&&"):
        words = shlex.split(step)
        if words and words[0].endswith("pip") and "--require-hashes" in words:
            return words[1:]
    raise AssertionError("the README command installs no lock file")


def interpreters() -> dict[str, Path]:
    """Each supported Python found on this machine (pyenv's, the system's), by version."""
    found = {".".join(map(str, sys.version_info[:2])): Path(sys.executable)}
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"]
    for version in SUPPORTED:
        candidates = [p / "bin" / f"python{version}" for root in roots if root.is_dir()
                      for p in sorted(root.glob(f"{version}.*"))]
        candidates += [Path(d) / f"python{version}" for d in ("/usr/bin", "/usr/local/bin")]
        for candidate in candidates:
            if version not in found and candidate.is_file() and os.access(candidate, os.X_OK):
                found[version] = candidate
    return found


def wheel(folder: Path, name: str, version: str, requires: list[str] = (), extras: list[str] = ()) -> Path:
    """A minimal pure-Python wheel, written by hand (no build tool, no network)."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Provides-Extra: {extra}" for extra in extras]
    metadata += [f"Requires-Dist: {requirement}" for requirement in requires]
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": "\n".join(metadata) + "\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name_in_zip, text in files.items():
            archive.writestr(name_in_zip, text)
    return path


@pytest.fixture(scope="module")
def moved_on(tmp_path_factory):
    """An index where upstream moved on since the lock: smart-open 9.0.4 beside the locked 9.0.2,
    asked for with an extra by a locked package, as spaCy's weasel asks for smart-open[http]."""
    index = tmp_path_factory.mktemp("index")
    locked = [
        wheel(index, "toy-weasel", "1.0.1", ["toy-smart-open[http]>=5.2.1"]),
        wheel(index, "toy-smart-open", "9.0.2", ['toy-requests; extra == "http"'], ["http"]),
        wheel(index, "toy-requests", "2.32.0"),
    ]
    wheel(index, "toy-smart-open", "9.0.4", ['toy-requests; extra == "http"'], ["http"])
    lines = []
    for path in locked:
        name, version = path.name.split("-")[:2]
        lines.append(f"{name.replace('_', '-')}=={version} --hash=sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}")
    lock = index / "toy.lock"
    lock.write_text("\n".join(lines) + "\n")
    return index, lock


def fresh_venv(python: Path, folder: Path) -> Path:
    """A venv with the pip its Python bundles (python -m venv, as the README does)."""
    subprocess.run([str(python), "-m", "venv", str(folder)], check=True, capture_output=True, timeout=300)
    return folder / "bin" / "pip"


def offline(pip: Path, args: list[str], index: Path, lock: Path) -> subprocess.CompletedProcess:
    args = [str(lock) if a.endswith(".lock") else a for a in args]
    # Only the temporary index: no configuration, cache or network of this machine takes part.
    env = {"PATH": os.environ.get("PATH", ""), "PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([str(pip), *args, "--no-index", "--find-links", str(index)], capture_output=True, text=True,
                          env=env, timeout=300)


def installed_version(pip: Path, name: str) -> str:
    python = pip.parent / "python"
    out = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_every_supported_python_is_here():
    # The README says which versions are tested: each must be on the machine the tests run on.
    assert set(SUPPORTED) <= set(interpreters()), f"found only {sorted(interpreters())}"


@pytest.mark.parametrize("heading", ["Set up, transcribe the three demo interviews in `samples/` and show the first one:",
                                     "Set up and run the tests:"])
@pytest.mark.parametrize("version", SUPPORTED)
def test_the_readme_installs_a_lock_after_upstream_moved_on(moved_on, tmp_path, version, heading):
    python = interpreters().get(version)
    assert python is not None, f"Python {version} is not on this machine"
    index, lock = moved_on
    pip = fresh_venv(python, tmp_path / "venv")
    result = offline(pip, lock_step(readme_command(heading)), index, lock)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(pip, "toy-smart-open") == "9.0.2"  # the locked file, not the newer release
    assert installed_version(pip, "toy-requests") == "2.32.0"


def test_the_simulation_reproduces_the_failure_it_guards_against(moved_on, tmp_path):
    """Without --no-deps, the pip Python 3.11's venv bundles refuses the same lock, as it refused
    the project's: so the test above would catch a README that went back to resolving."""
    python = interpreters()["3.11"]
    index, lock = moved_on
    pip = fresh_venv(python, tmp_path / "venv")
    bundled = subprocess.run([str(pip), "--version"], capture_output=True, text=True, check=True).stdout
    assert re.match(r"pip 23\.2", bundled), bundled
    result = offline(pip, ["install", "--require-hashes", "-r", "toy.lock"], index, lock)
    assert result.returncode != 0
    assert "must have their versions pinned with ==" in result.stderr and "toy-smart-open[http]" in result.stderr
