"""The `transcribe` command line: parse options, call the library, print. No logic beyond that."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import TranscribeError

log = logging.getLogger("transcribe")


class Console:
    """Progress and messages on stderr, honouring --quiet and --verbose."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


class ProgressReporter:
    """A progress bar over the batch's audio minutes, labelled with the file and the stage."""

    def __init__(self, console: Console, jobs_durations: dict[Path, float]):
        self.console = console
        self.durations = jobs_durations
        self.bar = None
        self.files = 0
        self.current: Path | None = None
        self.advanced = 0.0
        self.prefix = ""

    def begin(self, files: int) -> None:
        self.files = files
        total = sum(self.durations.values()) or 1.0
        if not self.console.quiet and files:
            self.bar = click.progressbar(length=int(total) + 1, file=sys.stderr, show_eta=True,
                                         label=f"{files} recording(s), {total / 60:.1f} min of audio")
            self.bar.__enter__()

    def file(self, index: int, audio: Path, code: str) -> None:
        self.current, self.advanced = audio, 0.0
        self.prefix = f"[{index + 1}/{self.files}]"
        if self.bar:
            self.bar.label = self.prefix
            self.bar.render_progress()

    def stage(self, code: str, name: str, seconds: float) -> None:
        if self.bar:
            self.bar.label = f"{self.prefix} {code} {name}"
            self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        # The bar counts whole seconds; keep the fractions so that many small steps add up.
        before = self.advanced
        self.advanced += seconds
        self.bar.update(int(self.advanced) - int(before))

    def done(self, result) -> None:
        if self.bar:
            remaining = self.durations.get(self.current, 0.0) - self.advanced
            if remaining > 0:
                self._advance(remaining)

    def end(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def say(self, message: str) -> None:
        if self.bar:
            click.echo("", err=True)
        self.console.say(message)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG)
    for noisy in ("pytorch_lightning", "lightning", "lightning.pytorch", "pyannote", "speechbrain", "presidio-analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _quiet_libraries() -> None:
    import warnings

    # Libraries warn about things this tool handles (torchcodec unused, CPU fp32, ...).
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def _fail(error: TranscribeError) -> None:
    click.echo(f"Error: {error}", err=True)
    sys.exit(1)


def common_options(fn):
    for decorator in reversed((
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", is_flag=True, help="Print what each stage does (never transcript text)."),
    )):
        fn = decorator(fn)
    return fn


def output_options(fn):
    for decorator in reversed((
        click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("transcripts"),
                     show_default=True, help="Shareable output folder; identifiable files go to OUT.private beside it."),
        click.option("--format", "formats", default="txt,json", show_default=True,
                     help="Output formats, comma-separated, or 'all'."),
        click.option("--width", type=int, default=80, show_default=True, help="Line width of the numbered text."),
        click.option("--timestamps", is_flag=True, help="Put [hh:mm:ss] at the start of each turn."),
    )):
        fn = decorator(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transcribe")
def cli():
    """Transcribe interview recordings offline: who said what, names replaced, lines numbered.

    \b
    Typical use:
        transcribe init recordings/       # write recordings/study.toml, then edit it
        transcribe run recordings/        # transcripts/ (shareable) + transcripts.private/
        transcribe review                 # what was anonymised; edit review.csv
        transcribe apply                  # re-render with your decisions
    """


def _formats(value: str) -> list[str]:
    from .writers import parse_formats

    try:
        return parse_formats(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--format") from None


def _check_width(width: int) -> None:
    from .layout import MIN_WIDTH

    if width < MIN_WIDTH:
        raise click.BadParameter(f"{width} is too narrow for numbered lines; use at least {MIN_WIDTH}.", param_hint="--width")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_options
@click.option("--study", "study_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Study file (default: study.toml beside the recordings, if any).")
@click.option("--model", default="auto", show_default=True, help="Whisper model name or path to a .pt file; 'auto' picks the best one available.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--language", default=None, help="Spoken language code (default: the study's, else en).")
@click.option("--speakers", type=click.IntRange(1, 20), default=None, help="Number of speakers (default 2: an interview).")
@click.option("--min-speakers", type=click.IntRange(1, 20), default=None, help="Fewest speakers, when the number is unknown.")
@click.option("--max-speakers", type=click.IntRange(1, 20), default=None, help="Most speakers, when the number is unknown.")
@click.option("--recognition", type=click.Choice(["windows", "sequential"]), default="windows", show_default=True,
              help="windows: speech windows from diarisation, batched; sequential: Whisper's own long-form decoding.")
@click.option("--batch-size", type=click.IntRange(1, 256), default=None, help="Speech windows decoded at once (default: from free GPU memory).")
@click.option("--segmentation-step", type=click.FloatRange(0.05, 1.0), default=None,
              help="Diarisation window step as a fraction of 10 s (smaller is slower and finer).")
@click.option("--diarisation-pipeline", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of an official pyannote pipeline to use instead of the packaged models.")
@click.option("--no-anonymise", is_flag=True, help="Skip anonymisation: outputs go only to the private folder.")
@click.option("--partial", is_flag=True, help="Transcribe the readable part of truncated or damaged recordings.")
@click.option("--redo", multiple=True, type=click.Choice(["diarise", "recognise"]), help="Run a stage again even if cached.")
@click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="TRANSCRIBE_CACHE_DIR",
              help="Where converted model weights are cached [env TRANSCRIBE_CACHE_DIR; default ~/.cache/transcribe].")
@common_options
def run(paths, out, formats, width, timestamps, study_path, model, device, language, speakers, min_speakers,
        max_speakers, recognition, batch_size, segmentation_step, diarisation_pipeline, no_anonymise, partial, redo,
        model_dir, quiet, verbose):
    """Transcribe recordings (files or folders, searched recursively)."""
    _setup_logging(verbose, quiet)
    _quiet_libraries()
    from .batch import OutputSettings
    from .diarise import DiarisationSettings
    from .pipeline import RunSettings

    if min_speakers and max_speakers and min_speakers > max_speakers:
        raise click.BadParameter("--min-speakers is larger than --max-speakers.", param_hint="--min-speakers")
    _check_width(width)
    fixed = speakers if speakers else (None if (min_speakers or max_speakers) else 2)
    diarisation = DiarisationSettings(
        num_speakers=fixed, min_speakers=min_speakers, max_speakers=max_speakers,
        pipeline_dir=str(diarisation_pipeline) if diarisation_pipeline else None,
        **({"segmentation_step": segmentation_step} if segmentation_step else {}),
    )
    settings = RunSettings(model=model, device=device, language=language, recognition_mode=recognition,
                           batch_size=batch_size, diarisation=diarisation, allow_partial=partial,
                           redo=frozenset(redo), cache_dir=model_dir)
    output = OutputSettings(_formats(formats), width, timestamps, not no_anonymise)
    console = Console(quiet)
    try:
        _run_batch(list(paths), out, study_path, settings, output, console)
    except KeyboardInterrupt:  # while reading the folder, before any recording was started
        console.say("Interrupted before any recording was started.")
        sys.exit(130)


def _run_batch(paths: list[Path], out: Path, study_path: Path | None, settings, output, console: Console) -> None:
    """Run the batch, print its summary and exit with its status (0 all done, 1 any failed, 130 Ctrl-C)."""
    from .audio import probe_duration
    from .batch import Batch, Stopped, discover, open_study, summary_lines

    try:
        missing = [p for p in paths if not p.exists() and not p.is_symlink()]
        if missing:
            raise TranscribeError(f"{missing[0]} does not exist.")
        study = open_study(paths, study_path)
        if study.path:
            console.say(f"Study file: {study.path.name}")
        settings.language = settings.language or study.language or "en"
        audio = discover(paths)
        if not audio:
            raise TranscribeError("No audio or video files found in the paths given.")
        reporter = ProgressReporter(console, {p: probe_duration(p) for p in audio if p.is_file()})
        batch = Batch(out, settings, output, study, reporter)
        try:
            results = batch.run(audio)
        except Stopped as stop:
            reporter.end()
            console.say(f"Error: {stop.reason}" if stop.reason else "Interrupted.")
            console.say("Finished before stopping:")
            for line in summary_lines(stop.finished) or ["  (none)"]:
                console.say(line)
            console.say(f"{len(stop.remaining)} recording(s) not finished; run the same command again to resume.")
            sys.exit(1 if stop.reason else 130)
        reporter.end()
    except TranscribeError as error:
        _fail(error)
    ok = [r for r in results if r.status in ("done", "not anonymised")]
    console.say(f"\nFinished {len(ok)} of {len(results)} recording(s):")
    for line in summary_lines(results):
        console.say(line)
    if not output.anonymise:
        console.say(f"Not anonymised: transcripts are only in {batch.private} (not shareable).")
    elif ok:
        console.say(f"Shareable transcripts: {batch.out}/   Identifiable files and the key: {batch.private}/")
    if any(r.low_confidence_roles for r in results):
        console.say("Some speaker roles were decided with low confidence: check them, or set roles in the study file.")
    sys.exit(0 if len(ok) == len(results) else 1)


@cli.command()
@click.option("--download", metavar="NAME", default=None, help="Download a Whisper model into openai-whisper's cache (needs internet).")
@click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="TRANSCRIBE_CACHE_DIR",
              help="Where converted model weights are cached.")
def models(download, model_dir):
    """List the models available offline for each stage."""
    from . import models as model_store

    try:
        if download:
            path = model_store.download_whisper(download)
            click.echo(f"Downloaded {download} to {path}")
            return
        rows = model_store.list_models(model_dir)
    except TranscribeError as error:
        _fail(error)
    table = [("stage", "model", "source", "status")] + [(r.stage, r.name, r.source, r.status) for r in rows]
    widths = [max(len(row[i]) for row in table) + 2 for i in range(3)]
    for row in table:
        click.echo("".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + row[3])
    click.echo(f"\nConverted weights are cached in {model_store.cache_dir(model_dir)}")


@cli.command()
@click.argument("folder", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing study.toml.")
def init(folder, force):
    """Write a commented study.toml for the recordings in FOLDER, with codes p1…pN."""
    from .storage import atomic_write
    from .study import STUDY_FILE, audio_files, template

    target = folder / STUDY_FILE
    if target.exists() and not force:
        _fail(TranscribeError(f"{target} already exists. Edit it, or use --force to start again."))
    files = audio_files(folder)
    try:
        atomic_write(target, template(folder), mode=0o600)
    except TranscribeError as error:
        _fail(error)
    click.echo(f"Wrote {target} with {len(files)} interview(s), codes p1-p{len(files)}.")
    click.echo("Add the names people may be called, then run: transcribe run " + str(folder))


def _rerender(out: Path, formats: str | None, width: int | None, timestamps: bool | None, quiet: bool,
              verbose: bool) -> None:
    """Render the cached transcripts again (apply, export): no model runs. Exits with the status."""
    import json

    from .batch import MANIFEST, Batch, OutputSettings, folders, summary_lines
    from .pipeline import RunSettings
    from .study import Study, load_study

    _setup_logging(verbose, quiet)
    _, private = folders(out)
    manifest_path = private / MANIFEST
    try:
        if not manifest_path.exists():
            raise TranscribeError(f"There is nothing to re-render in {private}: run `transcribe run` first.")
        manifest = json.loads(manifest_path.read_text())
        last = manifest.get("output", {})
        study = load_study(manifest["study"]) if manifest.get("study") else Study()
        output = OutputSettings(
            _formats(formats) if formats else last.get("formats", ["txt", "json"]),
            width or last.get("width", 80),
            last.get("timestamps", False) if timestamps is None else timestamps,
            last.get("anonymise", True),
        )
        _check_width(output.width)
        results = Batch(out, RunSettings(), output, study).rerender()
    except TranscribeError as error:
        _fail(error)
    console = Console(quiet)
    for line in summary_lines(results):
        console.say(line)
    sys.exit(0 if all(r.status != "failed" for r in results) else 1)


@cli.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("transcripts"), show_default=True)
@common_options
def apply(out, quiet, verbose):
    """Re-render the transcripts with the decisions in review.csv (no model runs)."""
    _rerender(out, None, None, None, quiet, verbose)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), default=Path("transcripts"))
@click.option("--format", "formats", default=None, help="Formats to render, comma-separated, or 'all' (default: as last run).")
@click.option("--width", type=int, default=None, help="Line width of the numbered text (default: as last run).")
@click.option("--timestamps/--no-timestamps", default=None, help="[hh:mm:ss] at turn starts (default: as last run).")
@common_options
def export(out, formats, width, timestamps, quiet, verbose):
    """Render the cached transcripts of OUT in other formats (no model runs)."""
    _rerender(out, formats, width, timestamps, quiet, verbose)


@cli.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("transcripts"), show_default=True)
def review(out):
    """Summarise review.csv: what was detected, and what to check first."""
    import csv
    from collections import Counter

    from .batch import folders

    _, private = folders(out)
    path = private / "review.csv"
    if not path.exists():
        _fail(TranscribeError(f"No review file in {private}: run `transcribe run` first."))
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    by_category = Counter(r["category"] for r in rows)
    check = sum(1 for r in rows if r["priority"])
    decided = sum(1 for r in rows if r["decision"].strip())
    click.echo(f"{path}: {len(rows)} detection(s); {check} to check first; {decided} with a decision.")
    for category, count in sorted(by_category.items()):
        click.echo(f"  {category:<14}{count}")
    click.echo("Edit the decision column (accept, reject, or your own replacement), then run: transcribe apply"
               + (f" -o {out}" if out != Path("transcripts") else ""))


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cli()
