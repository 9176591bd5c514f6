"""Shared fixtures: real models loaded once per test session, real audio, and no network at all."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = ROOT / "samples"


class NetworkAttempt(AssertionError):
    pass


NETWORK_ATTEMPTS: list[tuple] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _is_inet(sock: socket.socket, address=None) -> bool:
    # Loopback is not the network: the review studio's tests talk to its local server and to
    # chromedriver on 127.0.0.1. Anything else is an attempt to reach out.
    loopback = isinstance(address, tuple) and address and address[0] in LOOPBACK
    return sock.family in (socket.AF_INET, socket.AF_INET6) and not loopback


def _blocked_connect(self, address):
    if _is_inet(self, address):
        NETWORK_ATTEMPTS.append(("connect", address))
        raise NetworkAttempt(f"network connection attempted to {address}")
    return _real_connect(self, address)


def _blocked_connect_ex(self, address):
    if _is_inet(self, address):
        NETWORK_ATTEMPTS.append(("connect_ex", address))
        raise NetworkAttempt(f"network connection attempted to {address}")
    return _real_connect_ex(self, address)


def _blocked_getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        NETWORK_ATTEMPTS.append(("getaddrinfo", host))
        raise NetworkAttempt(f"name lookup attempted for {host}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config):
    # Every test runs with the network made to fail, and every attempt is recorded: the tool must
    # work offline and must never phone home (pyannote's telemetry included).
    socket.socket.connect = _blocked_connect
    socket.socket.connect_ex = _blocked_connect_ex
    socket.getaddrinfo = _blocked_getaddrinfo


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Converted Whisper weights go to a session folder, as on a fresh machine."""
    cache = tmp_path_factory.mktemp("model-cache")
    os.environ["TRANSCRIBE_CACHE_DIR"] = str(cache)
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    return cache


@pytest.fixture(autouse=True)
def no_network_attempts():
    before = len(NETWORK_ATTEMPTS)
    yield
    assert NETWORK_ATTEMPTS[before:] == [], "a network connection was attempted"


@pytest.fixture(scope="session")
def tiny_en(model_cache):
    from transcribe.models import find_whisper

    return find_whisper("tiny.en")


@pytest.fixture(scope="session")
def recogniser(tiny_en):
    import torch

    from transcribe.asr import Recogniser

    torch.set_num_threads(os.cpu_count() or 1)
    return Recogniser(tiny_en, "cpu")


@pytest.fixture(scope="session")
def diariser():
    from transcribe.diarise import DiarisationSettings, Diariser

    return Diariser(DiarisationSettings())


def pyannote_sample() -> tuple[Path, Path]:
    """pyannote's own sample (a 30 s phone call) and its reference RTTM, read from the installed wheel."""
    import importlib.util

    spec = importlib.util.find_spec("pyannote.audio")
    folder = Path(list(spec.submodule_search_locations)[0]) / "sample"
    return folder / "sample.wav", folder / "sample.rttm"


def read_rttm(path: Path, uri: str | None = None):
    from pyannote.core import Annotation, Segment

    annotation = Annotation()
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and (uri is None or parts[1] == uri):
            start, duration = float(parts[3]), float(parts[4])
            annotation[Segment(start, start + duration)] = parts[7]
    return annotation


def normalised(text: str) -> str:
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()(text)


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalised(reference), normalised(hypothesis))


@pytest.fixture(scope="session")
def study_run(tmp_path_factory):
    """`transcribe run samples/` once per session: the demo study with its study file, all formats."""
    from click.testing import CliRunner

    from transcribe.cli import cli

    out = tmp_path_factory.mktemp("run") / "transcripts"
    # For local iterations only: a stage cache kept from an earlier session (never set in CI, where
    # the models run for real). Entries whose settings or models differ are simply not used.
    kept = os.environ.get("TRANSCRIBE_TEST_STAGE_CACHE")
    if kept and Path(kept, "cache").is_dir():
        import shutil

        private = out.with_name("transcripts.private")
        private.mkdir(mode=0o700)
        shutil.copytree(Path(kept, "cache"), private / "cache")
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(out), "--format", "all"])
    assert result.exit_code == 0, result.output
    return out, out.with_name("transcripts.private"), result.output
