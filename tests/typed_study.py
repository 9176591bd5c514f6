"""A small study of typed interviews (one of them paired), anonymised by `transcribe anonymise` with
no model loaded (the safety net still replaces every name the study knows): the output folders
that the REFI-QDA project, quotes and member-check copies are made from in the fast tier."""

from __future__ import annotations

TYPED_STUDY = """\
[study]
interviewer_label = "I"
[[interviews]]
audio = "one.txt"
codes = ["p1"]
[[interviews]]
audio = "pair.txt"
codes = ["p2", "p3"]
[[people]]
name = "Sarah Jones"
aliases = ["Sarah"]
code = "p1"
variables = { role = "staff", years_in_role = 3 }
[[people]]
name = "Ann Lee"
aliases = ["Ann"]
code = "p2"
variables = { role = "peer mentor", years_in_role = 1 }
[[people]]
name = "Bo Tran"
aliases = ["Bo"]
code = "p3"
variables = { role = "peer mentor" }
[[people]]
name = "Helen Carter"
aliases = ["Helen"]
role = "interviewer"
"""
ONE = """\
[00:00:01] Helen: Thank you for coming, Sarah. Could you tell me about the scheme?
[00:00:05] Sarah: I joined last spring. My name is Sarah Jones and I was nervous at first, because I did not know \
anyone there and the mentors seemed so sure of themselves.
[00:00:19] Helen: What changed for you?
[00:00:22] Sarah: I feel less alone now, and I go every week. Um, they are the people who actually listen, and \
it's why the model was set up in the way it is.
"""
PAIR = """\
[00:00:01] Helen: How did you two meet?
[00:00:04] Ann: Through the scheme, two years ago. Bo was my first mentee.
[00:00:09] Bo: Yes, and Ann, uh, she never gave up on me.
[00:00:14] Helen: Thank you both.
"""
NAMES = ("Sarah", "Jones", "Ann", "Lee", "Bo Tran", "Tran", "Helen", "Carter")


def typed(tmp_path, monkeypatch, study: str = TYPED_STUDY, formats: str = "txt,json,qdpx", exit_code: int = 0):
    """A study of two typed interviews (one of them paired) anonymised with no model loaded: the
    shareable and private folders, and what the command printed."""
    from click.testing import CliRunner

    import transcribe.anonymise.detect
    from conftest import NoDetections
    from transcribe.cli import cli

    monkeypatch.setattr(transcribe.anonymise.detect, "Detector", NoDetections)
    folder = tmp_path / "study"
    folder.mkdir(exist_ok=True)
    for name, text in (("one.txt", ONE), ("pair.txt", PAIR), ("study.toml", study)):
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "transcripts"
    result = CliRunner().invoke(cli, ["anonymise", str(folder / "one.txt"), str(folder / "pair.txt"), "-o", str(out),
                                      "--study", str(folder / "study.toml"), "--format", formats])
    assert result.exit_code == exit_code, result.output
    return out, out.with_name("transcripts.private"), result.output


def correct_word(out, code: str, old: str, new: str) -> str:
    """A correction as the review studio saves one (the edit layer), then `transcribe apply`."""
    from click.testing import CliRunner

    from transcribe.cli import cli
    from transcribe.edits import anchor, layer_path, load_layer, save_layer
    from transcribe.folders import Folders
    from transcribe.storage import version_of
    from transcribe.transcript import Transcript

    folders = Folders.of(out)
    raw = Transcript.from_json(folders.identifiable(code).read_text(encoding="utf-8"))
    turn, word = next((t, w) for t, turn in enumerate(raw.turns) for w, item in enumerate(turn.words)
                      if item.text.strip() == old)
    sha = raw.sha256
    edits = load_layer(folders.private, sha) + [{"kind": "word", "at": anchor(raw, turn, word), "text": new}]
    save_layer(folders.private, sha, edits, version_of(layer_path(folders.private, sha)))
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def demo_copy(study_run, tmp_path):
    """A copy of the demo study's finished run (`transcribe run samples/`, the session's), to change."""
    import shutil

    out, private, _ = study_run
    copy = tmp_path / "transcripts"
    shutil.copytree(out, copy)
    shutil.copytree(private, tmp_path / "transcripts.private")
    return copy, tmp_path / "transcripts.private"
