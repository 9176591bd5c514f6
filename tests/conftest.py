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
    # The suite's runs use tiny.en, the fastest model, unless a test names another: what `auto`
    # picks is tested on its own (test_models.py), and the expected words are tiny.en's.
    os.environ["TRANSCRIBE_MODEL"] = "tiny.en"


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Converted Whisper weights go to a session folder, as on a fresh machine."""
    cache = tmp_path_factory.mktemp("model-cache")
    os.environ["TRANSCRIBE_CACHE_DIR"] = str(cache)
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    return cache


# Session fixtures that load a model or run the models on audio: a test using one is in the slow
# tier (marked below), like every test marked `slow` by hand.
MODEL_FIXTURES = {"tiny_en", "recogniser", "diariser", "study_run"}
# What loading a model means here: Whisper, pyannote and spaCy, through the project's classes.
MODEL_LOADERS = (("transcribe.asr", "SpeechRecogniser"), ("transcribe.diarise", "Diariser"),
                 ("transcribe.anonymise.detect", "Detector"), ("transcribe.models", "ct2_to_whisper_state"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


_RUNNING = {"slow": True}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture of the test is set up, a session fixture that loads a model included.
    _RUNNING["slow"] = item.get_closest_marker("slow") is not None


class ModelInFastTier(Exception):
    pass


@pytest.fixture(scope="session", autouse=True)
def models_only_in_the_slow_tier():
    """Loading a model outside the slow tier fails the test and says so, so that
    `pytest -m "not slow"` stays a tier that answers in seconds."""
    import functools
    import importlib

    def guarded(load):
        @functools.wraps(load)
        def check(*args, **kwargs):
            if not _RUNNING["slow"]:
                raise ModelInFastTier("this test loads a model: mark it @pytest.mark.slow (the fast tier loads none)")
            return load(*args, **kwargs)
        return check

    for module, name in MODEL_LOADERS:
        target = importlib.import_module(module)
        loader = getattr(target, name)
        if isinstance(loader, type):
            loader.__init__ = guarded(loader.__init__)
        else:
            setattr(target, name, guarded(loader))
    import spacy

    spacy.load = guarded(spacy.load)


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

    from transcribe.asr import SpeechRecogniser

    torch.set_num_threads(os.cpu_count() or 1)
    return SpeechRecogniser(tiny_en, "cpu")


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
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), "-o", str(out), "--format", "all", "--new-study"])
    assert result.exit_code == 0, result.output
    return out, out.with_name("transcripts.private"), result.output


class NoDetections:
    """A stand-in for the detector in the fast tier: finds nothing, loads nothing. The safety net,
    which does not trust detection, still replaces every name the study knows."""

    def __init__(self, config=None):
        self.config = config

    def detect(self, text, probabilities=None):
        return []


SMALL_STUDY = """\
[study]
interviewer_label = "I"
[[people]]
name = "Sarah Jones"
aliases = ["Sarah"]
code = "p1"
role = "participant"
[[interviews]]
audio = "p1.txt"
codes = ["p1"]
"""
SMALL_TRANSCRIPT = """\
I: Thank you for coming. Could you tell me about the scheme?
Sarah: I joined last spring. My name is Sarah Jones and I was nervous at first.
I: What changed for you?
Sarah: I feel less alone now, and I go every week.
"""


@pytest.fixture
def small_study(tmp_path, monkeypatch):
    """A study of one typed interview (`transcribe anonymise`, formats txt and json), made in a
    second with no model: for tests of the command line's options and messages."""
    from click.testing import CliRunner

    import transcribe.anonymise.detect
    from transcribe.cli import cli

    monkeypatch.setattr(transcribe.anonymise.detect, "Detector", NoDetections)
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "p1.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    (folder / "study.toml").write_text(SMALL_STUDY, encoding="utf-8")
    out = tmp_path / "transcripts"
    result = CliRunner().invoke(cli, ["anonymise", str(folder / "p1.txt"), "-o", str(out), "--study",
                                      str(folder / "study.toml")])
    assert result.exit_code == 0, result.output
    assert "Sarah" not in (out / "p1.txt").read_text(encoding="utf-8")
    return out
