"""One command grammar: the output folder, formats, speaker counts and languages, checked before any work."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe import cli as cli_module
from transcribe.asr import checked_language
from transcribe.cli import cli
from transcribe.writers import DEFAULT_FORMATS, STUDY_FORMATS, WRITERS


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command gets as far as reading recordings or loading a model."""
    def refuse(*args, **kwargs):
        raise AssertionError("work started before the options were checked")

    monkeypatch.setattr(cli_module, "_run_batch", refuse)
    import transcribe.batch

    monkeypatch.setattr(transcribe.batch.Batch, "run", refuse)


@pytest.mark.parametrize("command", ["run", "apply", "export", "review", "anonymise"])
def test_every_command_takes_the_output_folder_with_o(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert re.search(r"-o, --out DIRECTORY\s+Shareable output folder", result.output)


def test_help_lists_every_format_and_says_what_options_do_to_line_numbers():
    text = " ".join(invoke("run", "--help").output.split())
    for name in (*WRITERS, *STUDY_FORMATS):
        assert name in text
    assert "replaces the default (txt,json)" in text and "start it with + to add" in text
    assert "Lines break at this width, so line numbers depend on it" in text
    assert "[hh:mm:ss]" in text and "line numbers change" in text
    assert "Anonymisation supports English and French" in text
    assert set(cli_module.FORMAT_NAMES) == {*WRITERS, *STUDY_FORMATS}


def test_format_replaces_or_adds():
    assert cli_module._formats("docx") == ["docx"]
    assert cli_module._formats("+docx,nvivo") == [*DEFAULT_FORMATS, "docx", "nvivo"]
    assert cli_module._formats("+srt", ["txt", "docx"]) == ["txt", "docx", "srt"]
    assert cli_module._formats("all") == list(WRITERS)
    result = invoke("run", str(SAMPLES), "--format", "pdf")
    assert result.exit_code == 2 and "unknown format pdf" in result.output


def test_contradictory_speaker_counts_are_refused_before_any_work(no_work):
    result = invoke("run", str(SAMPLES), "--speakers", "3", "--min-speakers", "2")
    assert result.exit_code == 2
    assert "give one or the other" in result.output
    result = invoke("run", str(SAMPLES), "--min-speakers", "4", "--max-speakers", "2")
    assert result.exit_code == 2 and "larger than --max-speakers" in result.output


def test_language_is_checked_before_any_model_loads(no_work):
    result = invoke("run", str(SAMPLES), "--language", "klingon")
    assert result.exit_code == 2 and "not a language Whisper knows" in result.output
    result = invoke("run", str(SAMPLES), "--language", "fr", "--model", "tiny.en")
    assert result.exit_code == 2 and "English-only model" in result.output


def test_language_names_become_codes():
    assert checked_language("French") == "fr"
    assert checked_language("en", "tiny.en") == "en"
    assert checked_language(None) is None


def test_export_folder_argument_still_works_but_is_deprecated(tmp_path):
    folder = tmp_path / "out"
    old = invoke("export", str(folder))
    new = invoke("export", "-o", str(folder))
    # Same folder either way (nothing there to render), and the old form says it is deprecated.
    assert old.exit_code == new.exit_code == 1
    assert "is deprecated; use `transcribe export -o" in old.output
    assert "nothing to re-render" in old.output and "nothing to re-render" in new.output
    both = invoke("export", str(folder), "-o", str(tmp_path / "other"))
    assert both.exit_code == 2 and "Two output folders" in both.output


def test_export_adds_a_format_to_the_last_run(small_study):
    out = small_study
    assert sorted(p.name for p in out.glob("p1.*")) == ["p1.json", "p1.txt"]
    result = invoke("export", "-o", str(out), "--format", "+srt")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("p1.*")) == ["p1.json", "p1.srt", "p1.txt"]
    result = invoke("export", "-o", str(out), "--format", "+docx")
    assert result.exit_code == 0, result.output
    # The last run's formats are kept and brought up to date: srt too.
    assert sorted(p.name for p in out.glob("p1.*")) == ["p1.docx", "p1.json", "p1.srt", "p1.txt"]


@pytest.mark.parametrize("language,warned", [("de", True), ("fr", False), ("en", False)])
def test_summary_says_when_anonymisation_has_no_model_for_the_language(monkeypatch, tmp_path, language, warned):
    import transcribe.batch
    from transcribe.render import FileResult

    def fake_run(self, paths):
        return [FileResult(SAMPLES / "interview_01.flac", "p1", "done", duration=79.9)]

    monkeypatch.setattr(transcribe.batch.Batch, "run", fake_run)
    result = invoke("run", str(SAMPLES / "interview_01.flac"), "-o", str(tmp_path / "out"), "--new-study", "--language", language,
                    "--model", "base")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("Anonymisation has no German model: names, places and organisations were looked for with English "
            "models" in text) == warned
