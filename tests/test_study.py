"""The study file: `transcribe init`, loading, and errors that name the line and the problem."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from transcribe.cli import cli
from transcribe.errors import TranscribeError
from transcribe.study import audio_files, load_study


@pytest.fixture
def folder(tmp_path):
    for size, name in ((1000, "b_second.flac"), (2000, "a_first.flac")):
        (tmp_path / name).write_bytes((SAMPLES / "interview_01.flac").read_bytes()[:size])
    return tmp_path


def test_the_demo_study_loads():
    study = load_study(SAMPLES / "study.toml")
    assert [i.code for i in study.interviews] == ["p1", "p2", "p3"]
    assert study.interview_for(SAMPLES / "interview_02.flac").code == "p2"
    sarah = next(p for p in study.people if "Sarah Jones" in p.names)
    assert sarah.id == "p1" and sarah.role == "participant" and "Ms Jones" in sarah.names
    helen = next(p for p in study.people if p.role == "interviewer")
    assert helen.id == "I"
    assert "WellTogether" in study.allow
    assert "WellTogether" in study.prompt() and "Sarah Jones" in study.prompt()


def test_init_writes_valid_toml_for_any_file_name(folder):
    (folder / 'it\'s "quoted" \\ name.flac').write_bytes((folder / "a_first.flac").read_bytes()[:-1] + b"\0")
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    study = load_study(folder / "study.toml")
    assert 'it\'s "quoted" \\ name.flac' in [i.audio.name for i in study.interviews]


def test_init_proposes_codes_in_file_order(folder):
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    study = load_study(folder / "study.toml")
    assert [(i.audio.name, i.code) for i in study.interviews] == [("a_first.flac", "p1"), ("b_second.flac", "p2")]
    assert "# " in (folder / "study.toml").read_text()  # a commented template
    again = CliRunner().invoke(cli, ["init", str(folder)])
    assert again.exit_code == 1 and "already exists" in again.output


def write(folder, body: str):
    path = folder / "study.toml"
    path.write_text(body)
    return path


@pytest.mark.parametrize("body, message", [
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\n\n[[interviews]]\naudio = "b_second.flac"\ncodes = ["p1"]\n',
     r"line 7: duplicate participant code 'p1'"),
    ('[[interviews]]\naudio = "missing.wav"\ncodes = ["p1"]\n', r"line 2: audio file missing.wav not found"),
    ('[study]\nplaces = [Leeds]\n', r"not valid TOML: .*line 2"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p 1"]\n', r"line 3: participant code 'p 1'"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\nspeakers = -2\n', r"line 4: speakers must be a whole number"),
    ('[study]\ncolour = "blue"\n', r"line 2: unknown key 'colour' in \[study\]"),
    # Mistakes that used to pass silently (an ignored key loses every alias, which then leak).
    ('[[people]]\nname = "Ann Lee"\naliasses = ["Ann"]\n', r"line 3: unknown key 'aliasses' in \[\[people\]\]; did you mean aliases\?"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\nspeaker = 2\n', r"line 4: unknown key 'speaker'.*did you mean speakers\?"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["Sarah"]\n[[people]]\nname = "Sarah Jones"\ncode = "Sarah"\n',
     r"line 3: participant code 'Sarah' is also a name on the study's roster"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1\\n"]\n', r"participant code 'p1\n' must be"),
    ('[[interviews]]\naudio = "../elsewhere/a_first.flac"\ncodes = ["p1"]\n', r"line 2: audio file \.\./elsewhere/a_first\.flac is outside the study's folder"),
    ('[[people]]\nname = "Ann"\nrole = "boss"\n', r"line 3: role 'boss'"),
])
def test_bad_study_files_name_the_line_and_the_problem(folder, body, message):
    with pytest.raises(TranscribeError, match=message):
        load_study(write(folder, body))


def test_bad_study_file_through_the_cli(folder):
    path = write(folder, '[study]\nplaces = [Leeds]\n')
    result = CliRunner().invoke(cli, ["run", str(folder / "a_first.flac"), "--study", str(path), "-o", str(folder / "out")])
    assert result.exit_code == 1
    assert "not valid TOML" in result.output and "Traceback" not in result.output


def test_discovery_is_recursive_sorted_and_survives_a_symlink_loop(folder):
    sub = folder / "week2"
    sub.mkdir()
    (sub / "c.MP3").write_bytes(b"x")
    (sub / "notes.docx").write_bytes(b"x")
    (sub / "loop").symlink_to(folder, target_is_directory=True)
    names = [p.relative_to(folder).as_posix() for p in audio_files(folder)]
    assert names == ["a_first.flac", "b_second.flac", "week2/c.MP3"]


@pytest.mark.parametrize("body, message", [
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\n[[people]]\nname = "Ann Lee"\nrole = "participant"\n',
     r"line 6: person Ann Lee is a participant but has no code"),
    ('[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\nroles = ["I", "Ann"]\n',
     r"line 4: roles must list labels .* never a name"),
    ('[study]\ninterviewer_label = "Alex"\n[[people]]\nname = "Alex Smith"\nrole = "interviewer"\n',
     r"line 2: interviewer_label 'Alex' is also a name on the study's roster"),
])
def test_study_files_that_would_put_a_name_in_the_shareable_text_are_refused(folder, body, message):
    with pytest.raises(TranscribeError, match=message):
        load_study(write(folder, body))


def test_decomposed_unicode_names_are_composed(folder):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Zoë Brontë")
    study = load_study(write(folder, f'[[people]]\nname = "{decomposed}"\n'))
    assert study.people[0].names == ("Zoë Brontë",)


def test_command_line_speaker_counts_apply_unless_the_study_gives_them(folder):
    from pathlib import Path

    from transcribe.batch import Batch
    from transcribe.diarise import DiarisationSettings
    from transcribe.folders import OutputSettings
    from transcribe.pipeline import RunSettings

    study = load_study(write(folder, '[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\n\n'
                                     '[[interviews]]\naudio = "b_second.flac"\ncodes = ["p2"]\nspeakers = 2\n'))
    settings = RunSettings(diarisation=DiarisationSettings(num_speakers=3))
    jobs = Batch(Path(folder / "out"), settings, OutputSettings(), study).plan(audio_files(folder))
    assert {j.code: j.num_speakers for j in jobs} == {"p1": 3, "p2": 2}


TWO = '[[interviews]]\naudio = "a_first.flac"\ncodes = ["p1"]\n[[interviews]]\naudio = "b_second.flac"\ncodes = ["p2"]\n'


def test_case_variables_and_the_citation_form_load_from_the_study_file(folder):
    import datetime

    study = load_study(write(folder, '[study]\ncitation = "[{code}: {range}]"\n' + TWO
                             + '[[people]]\nname = "Ann Lee"\ncode = "p1"\n'
                             'variables = { role = "staff", years_in_role = 3, started = 2019-09-01 }\n'
                             '[[people]]\nname = "Bo Tran"\ncode = "p2"\n'
                             'variables = { role = "peer mentor", years_in_role = 1.5 }\n'))
    assert study.variables == {"p1": {"role": "staff", "years_in_role": 3, "started": datetime.date(2019, 9, 1)},
                               "p2": {"role": "peer mentor", "years_in_role": 1.5}}
    assert study.citation == "[{code}: {range}]"
    assert load_study(write(folder, TWO)).citation == "({code}, {lines})"  # the default


@pytest.mark.parametrize("body, message", [
    (TWO + '[[people]]\nname = "Tom"\nvariables = { role = "staff" }\n',
     r"line 9: variables describe a participant.*Tom has no code"),
    (TWO + '[[people]]\nname = "Ann"\ncode = "p1"\nvariables = ["staff"]\n',
     r"line 10: variables of Ann must be a table"),
    (TWO + '[[people]]\nname = "Ann"\ncode = "p1"\nvariables = { role = ["a", "b"] }\n',
     r"line 10: variable 'role' of Ann must be a text, a number, true/false or a date"),
    (TWO + '[[people]]\nname = "Ann"\ncode = "p1"\nvariables = { role = "" }\n',
     r"line 10: variable 'role' of Ann is empty"),
    (TWO + '[[people]]\nname = "Ann"\ncode = "p1"\nvariables = { years = 3 }\n'
     '[[people]]\nname = "Bo"\ncode = "p2"\nvariables = { years = "three" }\n',
     r"line 14: variable 'years' of Bo is a text, but a number for Ann"),
    ('[study]\ncitation = "({participant}, {lines})"\n', r"line 2: citation .*\{participant\}"),
    ('[study]\ncitation = "(lines {range})"\n', r"line 2: citation must name the participant with \{code\}"),
])
def test_bad_variables_and_citation_forms_name_the_line(folder, body, message):
    with pytest.raises(TranscribeError, match=message):
        load_study(write(folder, body))
