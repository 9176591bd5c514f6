"""The `transcribe` command line: parse options, call the library, print. No logic beyond that."""

from __future__ import annotations

import functools
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


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time, so that a live progress bar (which redirects
    it) prints log messages above itself instead of through itself."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        """Ignored (logging.StreamHandler.__init__ sets it): the stream is always sys.stderr now."""


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = _StderrHandler()
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


class Commands(click.Group):
    """The command group. A TranscribeError from any command (a bad file, a wrong folder, a study file
    to fix) is printed as its message, without a traceback, and the command exits with 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TranscribeError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(1)


def common_options(fn):
    for decorator in reversed((
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", is_flag=True, help="Print what each stage does (never transcript text)."),
    )):
        fn = decorator(fn)
    return fn


FORMAT_NAMES = ("txt", "json", "docx", "maxqda", "nvivo", "qualcoder", "atlasti", "srt", "vtt", "qdpx")
OUT_HELP = "Shareable output folder; identifiable files and the key go to OUT.private beside it."
FORMAT_HELP = ("Formats to write, comma-separated: " + ", ".join(FORMAT_NAMES) + ", or all. The list replaces "
               "the default ({default}); start it with + to add to the default instead (+docx,nvivo). txt and "
               "docx are numbered, with the same line numbers; json is the full data; maxqda, nvivo, "
               "qualcoder and atlasti are for those programs' transcript import; srt and vtt are subtitles; qdpx is "
               "one REFI-QDA project of the whole study (study.qdpx; with the recordings, study-with-audio.qdpx "
               "in the private folder), not included in all.")
WIDTH_HELP = ("Characters per numbered line (txt, docx). Lines break at this width, so line numbers depend on "
              "it: keep one width for a whole study.")
NEW_STUDY_HELP = ("Start a study of its own in OUT with this study file, although another output folder beside "
                  "the study file already holds its key, or OUT was made with another study file.")
STYLE_HELP = ("How identifiers are replaced: placeholder ([Name 1], [p3]; the default), pseudonym (people: made-up "
              "names, one per person for the whole study), generalise (places and organisations: [a London borough]) "
              "or redact ([…]); or category=style pairs (person=pseudonym,place=redact). Applies over the study "
              "file's styles and is remembered for this folder's later commands; 'study' goes back to the study file's.")
TIMESTAMPS_HELP = ("Start each turn with [hh:mm:ss] in txt and docx. Lines break differently, so line numbers "
                   "change; other formats always carry times.")


def out_option(default: Path | None = Path("transcripts")):
    """-o/--out, the same on every command that reads or writes the output folders."""
    return click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=default,
                        show_default=default is not None,
                        help=OUT_HELP + ("" if default is not None else " [default: transcripts]"))


def output_options(fn):
    for decorator in reversed((
        out_option(),
        click.option("--format", "formats", default="txt,json", show_default=True, metavar="NAMES",
                     help=FORMAT_HELP.format(default="txt,json")),
        click.option("--width", type=int, default=80, show_default=True, help=WIDTH_HELP),
        click.option("--timestamps", is_flag=True, help=TIMESTAMPS_HELP),
        style_option(),
    )):
        fn = decorator(fn)
    return fn


def style_option():
    return click.option("--style", "style", default=None, metavar="STYLES", help=STYLE_HELP)


def _styles(value: str | None, out: Path) -> dict[str, str] | None:
    """--style parsed (None: the study file's); not given: what the last command into `out` used."""
    from .styles import parse
    from .folders import Folders

    if value is None:
        last = Folders.of(out).read_last_run()
        return last.output.styles if last else None
    try:
        return parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--style") from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transcribe")
def cli():
    """Transcribe interview recordings offline: who said what, names replaced, lines numbered.

    \b
    Typical use:
        transcribe init recordings/       # write recordings/study.toml, then edit it
        transcribe run recordings/        # transcripts/ (shareable) + transcripts.private/
        transcribe review                 # check, correct and approve in the browser
        transcribe apply                  # re-render with your decisions
        transcribe anonymise typed/*.docx # transcripts made elsewhere, same study key

    Every command takes the output folder as -o FOLDER (default: transcripts).
    Anonymisation supports English and French (the study's language or --language);
    in any other language it uses the English models, and the summary says so.
    """


def _formats(value: str, default: list[str] | None = None) -> list[str]:
    """--format NAMES: the list replaces `default`; "+NAMES" adds to it."""
    from .writers import DEFAULT_FORMATS, parse_formats

    base = list(default or DEFAULT_FORMATS)
    adding = value.strip().startswith("+")
    try:
        names = parse_formats(value.strip().lstrip("+"))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--format") from None
    return list(dict.fromkeys(base + names)) if adding else names


def _check_speakers(speakers: int | None, min_speakers: int | None, max_speakers: int | None) -> None:
    if speakers and (min_speakers or max_speakers):
        raise click.UsageError("--speakers gives the exact number of speakers and --min-speakers/--max-speakers "
                               "a range when it is unknown: give one or the other.")
    if min_speakers and max_speakers and min_speakers > max_speakers:
        raise click.BadParameter("--min-speakers is larger than --max-speakers.", param_hint="--min-speakers")


def _warn_allowed_names(study, say) -> None:
    """The study file's allow list keeps its entries readable everywhere: say so loudly for any that
    names someone on the roster (a researcher may have meant the word, not the person)."""
    from .anonymise.safety_net import names_among

    named = names_among(study.allow, study.people)
    if named:
        say(f"Warning: the study file's allow list keeps these names of people in the study readable in every "
            f"shareable file: {', '.join(named)}. Remove them from `allow` unless that is what you want.")


def _check_width(width: int) -> None:
    from .layout import MIN_WIDTH

    if width < MIN_WIDTH:
        raise click.BadParameter(f"{width} is too narrow for numbered lines; use at least {MIN_WIDTH}.", param_hint="--width")


RAY_HELP = ("Run the model stages on a Ray cluster: auto (the cluster this machine belongs to), HOST:PORT, "
            "or, without a value, a cluster on this machine started for the run. Needs "
            "pip install 'transcribe-interviews[cluster]' and the recordings on a filesystem every node shares.")


def _ray_option(value: str | None, paths: tuple[Path, ...]) -> tuple[str | None, tuple[Path, ...]]:
    """--ray takes an optional value, so `--ray recordings/` reads the folder as the address:
    anything that is not an address but an existing path is a path, and the cluster is local."""
    from .cluster import LOCAL

    if value is None or value in ("auto", LOCAL) or "://" in value:
        return value, paths
    if ":" not in value and Path(value).exists():
        return LOCAL, (Path(value), *paths)
    if ":" not in value:
        raise click.BadParameter(f"'{value}' is not a Ray address: give auto, HOST:PORT or ray://HOST:PORT, or "
                                 "--ray alone for a cluster on this machine.", param_hint="--ray")
    return value, paths


def recognition_quality_options(command):
    """--time-budget, --quantise and --verbatim (issue 24), passed on as `quality`: RunSettings fields."""
    from .models import TIME_BUDGET

    def collect(*args, time_budget, quantise, verbatim, **kwargs):
        return command(*args, quality={"time_budget": time_budget, "quantise": quantise, "verbatim": verbatim}, **kwargs)

    collect = functools.wraps(command)(collect)
    for option in reversed((
        click.option("--time-budget", type=click.FloatRange(0.05, 100.0), default=TIME_BUDGET, show_default=True,
                     help="For --model auto on a CPU: the longest the whole run may take, in seconds per second of "
                          "recording; auto takes the most accurate installed model estimated to fit "
                          "(`transcribe models` shows the table)."),
        click.option("--quantise", type=click.Choice(["none", "int8"]), default="none", show_default=True,
                     help="int8: Whisper's linear layers in 8-bit integers on a CPU (PyTorch's dynamic quantisation)."),
        click.option("--verbatim", is_flag=True, help="Keep fillers (um, uh), repetitions and false starts in the transcript."),
    )):
        collect = option(collect)
    return collect


@cli.command()
@click.argument("paths", nargs=-1, metavar="PATHS...", type=click.Path(path_type=Path))
@output_options
@click.option("--study", "study_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Study file (default: study.toml beside the recordings, else the one OUT was made with).")
@click.option("--new-study", is_flag=True, help=NEW_STUDY_HELP)
@click.option("--model", default="auto", show_default=True, envvar="TRANSCRIBE_MODEL", show_envvar=True,
              help="Whisper model name or path to a .pt file; 'auto' picks the best one available.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where the models run: auto takes an NVIDIA GPU when torch sees one, else the CPU.")
@click.option("--language", default=None,
              help="Spoken language, a code such as en or fr (default: the study's, else en). English-only models "
                   "(*.en) need en. Anonymisation supports English and French; other languages are anonymised "
                   "with the English models.")
@click.option("--speakers", type=click.IntRange(1, 20), default=None,
              help="Exact number of speakers (default 2: an interview). Not with --min/--max-speakers.")
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
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]", help=RAY_HELP)
@recognition_quality_options
@common_options
def run(paths, out, formats, width, timestamps, style, study_path, model, device, language, speakers, min_speakers,
        max_speakers, recognition, batch_size, segmentation_step, diarisation_pipeline, no_anonymise, partial, redo,
        model_dir, ray_address, new_study, quality, quiet, verbose):
    """Transcribe recordings (files or folders, searched recursively)."""
    ray_address, paths = _ray_option(ray_address, paths)
    if not paths:
        raise click.UsageError("Missing argument 'PATHS...'.")
    _setup_logging(verbose, quiet)
    _quiet_libraries()
    from .diarise import DiarisationSettings
    from .folders import OutputSettings
    from .pipeline import RunSettings

    _check_speakers(speakers, min_speakers, max_speakers)
    _check_width(width)
    output_formats = _formats(formats)
    from .asr import checked_language

    try:
        language = checked_language(language, model)
    except TranscribeError as error:
        raise click.BadParameter(str(error), param_hint="--language") from None
    fixed = speakers if speakers else (None if (min_speakers or max_speakers) else 2)
    diarisation = DiarisationSettings(
        num_speakers=fixed, min_speakers=min_speakers, max_speakers=max_speakers,
        pipeline_dir=str(diarisation_pipeline) if diarisation_pipeline else None,
        **({"segmentation_step": segmentation_step} if segmentation_step else {}),
    )
    settings = RunSettings(model=model, device=device, language=language, recognition_mode=recognition,
                           batch_size=batch_size, diarisation=diarisation, allow_partial=partial,
                           redo=frozenset(redo), cache_dir=model_dir, **quality)
    output = OutputSettings(output_formats, width, timestamps, not no_anonymise, _styles(style, out))
    console = Console(quiet)
    try:
        _run_batch(list(paths), out, study_path, settings, output, console, ray_address, new_study=new_study)
    except KeyboardInterrupt:  # while reading the folder, before any recording was started
        console.say("Interrupted before any recording was started.")
        sys.exit(130)


def _run_batch(paths: list[Path], out: Path, study_path: Path | None, settings, output, console: Console,
               ray_address: str | None = None, new_study: bool = False) -> None:
    """Run the batch, print its summary and exit with its status (0 all done, 1 any failed, 130 Ctrl-C)."""
    from .asr import choose_device
    from .audio import probe_duration
    from .batch import Batch, Stopped, open_run, summary_lines
    from .progress import ProgressReporter

    study, audio = open_run(paths, study_path, settings, out, new_study, console.say)
    if output.anonymise:
        _warn_allowed_names(study, console.say)
    reporter = ProgressReporter({p: probe_duration(p) for p in audio if p.is_file()},
                                choose_device(settings.device), console.quiet)
    try:
        with _cluster(ray_address, settings, study if output.anonymise else None, console) as remote:
            batch = Batch(out, settings, output, study, reporter, remote=remote)
            results = batch.run(audio)
    except TranscribeError:
        reporter.stop()  # the error goes below the bar, not into it
        raise
    except Stopped as stop:
        reporter.stop()
        console.say(f"Error: {stop.reason}" if stop.reason else "Interrupted.")
        console.say("Finished before stopping:")
        for line in summary_lines(stop.finished) or ["  (none)"]:
            console.say(line)
        redone = [r for r in stop.finished if r.status in ("done", "not anonymised")] if settings.redo else []
        console.say(f"{len(stop.remaining)} recording(s) not finished; run the same command again to resume"
                    + (f" (the {len(redone)} finished with --redo are not redone)." if redone else "."))
        sys.exit(1 if stop.reason else 130)
    reporter.end()
    others = [r for r in results if r.status == "withdrawn" or r.of_study]  # not recordings of this run
    results = [r for r in results if r.status != "withdrawn" and not r.of_study]
    ok = [r for r in results if r.status in ("done", "not anonymised")]
    console.say(f"\nFinished {len(ok)} of {len(results)} recording(s):")
    for line in summary_lines(results + others):
        console.say(line)
    from .anonymise.languages import no_model_warning
    from .binding import shown

    if not output.anonymise:
        console.say(f"Not anonymised: transcripts are only in {shown(batch.private)}/ (not shareable).")
    warning = no_model_warning(settings.language)
    if output.anonymise and warning:
        console.say(warning)
    if any(r.low_confidence_roles for r in results):
        console.say("Some speaker roles were decided with low confidence: check them, or set roles in the study file.")
    if output.anonymise:
        _next_steps(console, results, batch.folders, out)
    sys.exit(0 if len(ok) == len(results) and all(r.status != "failed" for r in others) else 1)


def _next_steps(console: Console, results, folders, out: Path) -> None:
    """Where the files are, what was found, and the command to run next."""
    from .binding import shown

    done = [r for r in results if r.status == "done"]
    failed = [r for r in results if r.status == "failed"]
    option = "" if Path(out) == Path("transcripts") else f" -o {shown(folders.out)}"
    if failed:
        console.say(f"{len(failed)} failed: the reason is beside each above; fix it and run the same command again.")
    if not done:
        return
    found, check = sum(r.detections for r in done), sum(r.check_first for r in done)
    console.say(f"Shareable transcripts: {shown(folders.out)}/   Identifiable files and the key: {shown(folders.private)}/")
    console.say(f"{found} identifier(s) found in {len(done)} interview(s), {check} to check first.")
    if check:
        console.say(f"Next: transcribe review{option}   (check the {check} item(s) marked \"check first\", then "
                    f"Render all), then share {shown(folders.out)}/")
    else:
        console.say(f"Next: transcribe review{option}   (read and approve each interview), then share "
                    f"{shown(folders.out)}/")


def _cluster(address: str | None, settings, study, console: Console):
    """The workers of a Ray cluster for the batch (--ray), or None to run it here. Given the
    study, they detect identifiers too."""
    import contextlib

    if address is None:
        return contextlib.nullcontext(None)
    from . import cluster

    @contextlib.contextmanager
    def connected():
        with cluster.connect(address) as ray:
            yield cluster.Remote(ray, settings, study=study, say=console.say)

    return connected()


@cli.command()
@click.option("--download", metavar="NAME", default=None, help="Download a Whisper model into openai-whisper's cache (needs internet).")
@click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="TRANSCRIBE_CACHE_DIR",
              help="Where converted model weights are cached.")
@click.option("--time-budget", type=click.FloatRange(0.05, 100.0), default=None,
              help="Show the choice --model auto would make with this time budget (see run --help).")
def models(download, model_dir, time_budget):
    """List the models available offline for each stage, and the table --model auto chooses from."""
    from . import models as model_store

    if download:
        path = model_store.download_whisper(download)
        click.echo(f"Downloaded {download} to {path}")
        return
    rows = model_store.list_models(model_dir)
    table = [("stage", "model", "source", "status", "measured")] + [(r.stage, r.name, r.source, r.status, r.cost) for r in rows]
    widths = [max(len(row[i]) for row in table) + 2 for i in range(4)]
    for row in table:
        click.echo(("".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + row[4]).rstrip())
    click.echo(f"\nConverted weights are cached in {model_store.cache_dir(model_dir)}")
    budget = time_budget or model_store.TIME_BUDGET
    click.echo(f"\n--model auto on a CPU, for English, with a time budget of {budget:g}x the recording's length:")
    choice = [("model", "installed", "WER realistic", "recognition", "whole run", "fits", "")]
    for row in model_store.choice_table("cpu", "en", budget, model_dir):
        choice.append((row["model"], "yes" if row["installed"] else "no",
                       f"{row['wer']:.1%}" if row["wer"] is not None else "not measured",
                       f"{'~' if row['estimated'] else ''}{row['rtf']:.2f}x", f"{row['run_rtf']:.2f}x",
                       "yes" if row["fits"] else "no", "<- chosen" if row["chosen"] else ""))
    widths = [max(len(row[i]) for row in choice) + 2 for i in range(6)]
    for row in choice:
        click.echo(("".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + row[6]).rstrip())
    click.echo(model_store.AUTO_RULE.format(budget=budget))


@cli.command()
@click.argument("folder", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing study.toml.")
def init(folder, force):
    """Write a commented study.toml for the recordings in FOLDER, with codes p1…pN.

    A folder of typed transcripts (.txt, .docx, .srt, .vtt) and no recordings gets them as its
    interviews, for `transcribe anonymise`.
    """
    from .audio import AUDIO_EXTENSIONS
    from .binding import shown
    from .importers import IMPORT_EXTENSIONS
    from .storage import atomic_write
    from .study import STUDY_FILE, audio_files, template

    target = folder / STUDY_FILE
    if target.exists() and not force:
        raise TranscribeError(f"{target} already exists. Edit it, or use --force to start again.")
    files = audio_files(folder)
    typed = [] if files else sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                                    and p.suffix.lower() in IMPORT_EXTENSIONS)
    if not files and not typed:
        raise TranscribeError(
            f"There are no recordings in {shown(folder)} (audio or video files: "
            f"{', '.join(sorted(AUDIO_EXTENSIONS))}) and no typed transcripts ({', '.join(IMPORT_EXTENSIONS)}), so no "
            "study.toml was written. Put the recordings there, or give the folder they are in: "
            "transcribe init RECORDINGS")
    atomic_write(target, template(folder) if files else template(folder, typed), mode=0o600)
    if files:
        click.echo(f"Wrote {target} with {len(files)} interview(s), codes p1-p{len(files)}.")
        click.echo("Add the names people may be called, then run: transcribe run " + str(folder))
        return
    click.echo(f"Wrote {target} with {len(typed)} typed transcript(s) as its interviews, codes p1-p{len(typed)} "
               f"(there are no recordings in {shown(folder)}).")
    click.echo("Add the names people may be called, then run: transcribe anonymise "
               + " ".join(shown(p) for p in typed))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_options
@click.option("--study", "study_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Study file (default: study.toml beside the transcripts, else the one OUT was made with).")
@click.option("--new-study", is_flag=True, help=NEW_STUDY_HELP)
@click.option("--interviewer", metavar="LABEL", default=None,
              help="The label the interviewer's turns start with in the files (default: a label such as I, "
                   "Interviewer or a roster interviewer's name, else whoever speaks first).")
@common_options
def anonymise(files, out, formats, width, timestamps, style, study_path, new_study, interviewer, quiet, verbose):
    """Anonymise transcripts made elsewhere (.txt, .docx, .srt, .vtt) into the study's folders.

    Each turn starts with a speaker label ("Sarah: ...", "I: ...", "[00:01:02] Speaker 1: ...",
    a WebVTT voice tag). The interviewer's label becomes the study's, the other speaker the
    interview's participant code. Detection, the study-wide key (shared with recorded interviews),
    review.csv and the safety net are the same as for recordings; so are the numbered outputs.
    Anonymisation supports English and French, as the study file's language says (default en).
    """
    from .asr import checked_language
    from .batch import open_study, summary_lines
    from .folders import Folders, OutputSettings
    from .importers import IMPORT_EXTENSIONS, anonymise_transcripts
    from .progress import MessageReporter

    _check_width(width)
    output = OutputSettings(_formats(formats), width, timestamps, True, _styles(style, out))
    wrong = [f for f in files if f.suffix.lower() not in IMPORT_EXTENSIONS]
    if wrong:
        raise click.BadParameter(f"{wrong[0].name}: transcripts are read from {', '.join(IMPORT_EXTENSIONS)} files.",
                                 param_hint="FILES")
    _setup_logging(verbose, quiet)
    console = Console(quiet)
    study = open_study(list(files), study_path, out, new_study, console.say)
    study.language = checked_language(study.language or "en")  # a code Whisper knows, as `run` checks it
    _warn_allowed_names(study, console.say)
    results = anonymise_transcripts(list(dict.fromkeys(files)), out, study, output, interviewer, MessageReporter(quiet))
    transcripts = [r for r in results if not r.of_study]
    ok = [r for r in transcripts if r.status == "done"]
    console.say(f"\nAnonymised {len(ok)} of {len(transcripts)} transcript(s):")
    for line in summary_lines(results):
        console.say(line)
    from .anonymise.languages import no_model_warning

    warning = no_model_warning(study.language)
    if warning:
        console.say(warning)
    _next_steps(console, results, Folders.of(out), out)
    sys.exit(0 if len(ok) == len(results) else 1)


def _rerender(out: Path, formats: str | None, width: int | None, timestamps: bool | None, style: str | None,
              quiet: bool, verbose: bool, listing: bool = False) -> None:
    """Render the cached transcripts again (apply, export): no model runs. Exits with the status."""
    from .batch import Batch, summary_lines
    from .folders import Folders, OutputSettings
    from .pipeline import RunSettings
    from .study import Study, load_study

    _setup_logging(verbose, quiet)
    folders = Folders.of(out)
    last = folders.read_last_run()
    if last is None:
        from .binding import nothing_here

        raise nothing_here(folders, "nothing to re-render")
    study = load_study(last.study) if last.study else Study()
    _warn_allowed_names(study, Console(quiet).say)
    output = OutputSettings(_formats(formats, last.output.formats) if formats else last.output.formats,
                            width or last.output.width,
                            last.output.timestamps if timestamps is None else timestamps, last.output.anonymise,
                            _styles(style, out))
    _check_width(output.width)
    batch = Batch(out, RunSettings(), output, study)
    results = batch.rerender()
    console = Console(quiet)
    rendered = [r for r in results if r.status != "withdrawn"]
    console.say(f"Rendered {len(rendered)} interview(s) again from the cache"
                + (" with the decisions in review.csv:" if output.anonymise else ":"))
    for line in summary_lines(results):
        console.say(line)
    if listing:
        from .binding import shown

        by_format: dict[str, list[str]] = {}
        for path in dict.fromkeys(batch.renderer.written):
            by_format.setdefault(path.name.split(".", 1)[1], []).append(path.name)
        console.say(f"Wrote in {shown(batch.folders.out)}/:")
        for names in by_format.values():
            console.say("  " + " ".join(names))
    if output.anonymise:
        _next_steps(console, results, batch.folders, out)
    sys.exit(0 if all(r.status != "failed" for r in results) else 1)


@cli.command()
@out_option()
@style_option()
@common_options
def apply(out, style, quiet, verbose):
    """Re-render the transcripts with the decisions in review.csv (no model runs)."""
    _rerender(out, None, None, None, style, quiet, verbose)


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path), metavar="[OUT]")
@out_option(default=None)
@click.option("--format", "formats", default=None, metavar="NAMES",
              help=FORMAT_HELP.format(default="the formats of the last run"))
@click.option("--width", type=int, default=None, help=WIDTH_HELP + " [default: as last run]")
@click.option("--timestamps/--no-timestamps", default=None, help=TIMESTAMPS_HELP + " [default: as last run]")
@style_option()
@common_options
def export(folder, out, formats, width, timestamps, style, quiet, verbose):
    """Render the cached transcripts in other formats (no model runs).

    The folder is given with -o like every other command; the older form `transcribe export OUT`
    still works but is deprecated.
    """
    if folder is not None:
        if out is not None and Path(out) != Path(folder):
            raise click.UsageError(f"Two output folders given ({folder} and -o {out}): give only -o.")
        click.echo(f"Note: `transcribe export {folder}` is deprecated; use `transcribe export -o {folder}`.", err=True)
    _rerender(out or folder or Path("transcripts"), formats, width, timestamps, style, quiet, verbose, listing=True)


@cli.command()
@out_option()
@click.option("--csv", "as_csv", is_flag=True, help="Print a summary of review.csv instead of opening the studio.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port of the studio on 127.0.0.1 (default: any free one).")
@click.option("--no-browser", is_flag=True, help="Print the studio's address without opening a browser.")
def review(out, as_csv, port, no_browser):
    """Review, correct and approve the transcripts in the browser (local only); --csv: summarise review.csv."""
    from collections import Counter

    from .folders import Folders

    if not as_csv:
        from .studio import serve

        serve(out, port, open_browser=not no_browser, say=click.echo)
        return
    folders = Folders.of(out)
    path = folders.review
    if not path.exists():
        from .binding import nothing_here

        raise nothing_here(folders, "no review file")
    from .anonymise.review import read as read_review

    rows = read_review(path).rows  # whatever a spreadsheet saved, every row checked
    by_category = Counter(r["category"] for r in rows)
    check = sum(1 for r in rows if r["priority"])
    decided = sum(1 for r in rows if r["decision"].strip())
    click.echo(f"{path}: {len(rows)} detection(s); {check} to check first; {decided} with a decision.")
    for category, count in sorted(by_category.items()):
        click.echo(f"  {category:<14}{count}")
    click.echo("Edit the decision column (accept, reject, or your own replacement), then run: transcribe apply"
               + (f" -o {out}" if out != Path("transcripts") else ""))


# --- after transcription (issue 26): quotes with citations, member-check copies ------------------

def _last_study(folders):
    """The study file the last run into these folders used (as apply and export read it), or the defaults."""
    from .study import Study, load_study

    last = folders.read_last_run()
    if last is None:
        raise TranscribeError(f"There are no transcripts in {folders.out}: run `transcribe run` (or `transcribe "
                              "anonymise`) first.")
    return load_study(last.study) if last.study else Study()


@cli.command()
@click.argument("code", required=False)
@click.argument("lines", required=False)
@out_option()
@click.option("--words", default=None, metavar="TEXT",
              help="The words you quote, if not all of the lines: [...] for what you leave out, square brackets for "
                   "your own clarifications (they [mentors] are). Checked against the lines.")
@click.option("--no-fillers", is_flag=True, help="Leave out hesitations (um, er) from the quote; the citation stays.")
@click.option("--theme", default=None, help="Save the quote to the quote bank under this theme.")
@click.option("--save", is_flag=True, help="Save the quote to the quote bank (quotes.csv and quotes.docx).")
@click.option("--check", "check_bank", is_flag=True,
              help="Check every quote in the bank against the current transcripts and write quotes.docx again.")
def quote(code, lines, out, words, no_fillers, theme, save, check_bank):
    """Quote LINES of participant CODE's shareable transcript with its citation: transcribe quote p3 214-216.

    The citation takes the study file's form (citation = "({code}, {lines})" by default). The quote
    bank, quotes.csv and quotes.docx in the shareable folder, is checked against the current
    transcripts each time it is written: a quote whose words are no longer on its lines is flagged.
    """
    from dataclasses import replace

    from . import quotes
    from .folders import Folders
    from .owned import OwnedFiles
    from .storage import output_lock

    folders = Folders.of(out)
    study = _last_study(folders)
    if check_bank:
        with output_lock(folders.private):
            checks = quotes.render(OwnedFiles(folders), study)
        _say_quotes(checks)
        return
    if not code or not lines:
        raise click.UsageError("Give a participant code and lines (transcribe quote p3 214-216), or --check.")
    first, last = quotes.parse_lines(lines)
    text = quotes.shareable_lines(folders, code)
    if text is None:
        raise TranscribeError(f"There is no shareable transcript {code}.txt in {folders.out}.")
    printed, kept = quotes.quote(code, text, first, last, words, study.citation, fillers=not no_fillers)
    if save or theme:
        with output_lock(folders.private):
            checks = quotes.add_to_bank(OwnedFiles(folders), study, replace(kept, theme=theme or ""))
        click.echo(printed)
        _say_quotes(checks)
    else:
        click.echo(printed)


def _say_quotes(checks) -> None:
    flagged = [c for c in checks if not c.ok]
    click.echo(f"Quote bank: {len(checks)} quote(s), {len(flagged)} of {len(checks)} quote(s) to check"
               if flagged else f"Quote bank: {len(checks)} quote(s), all still match the transcripts.", err=True)
    for result in flagged:
        click.echo(f"  {result.quote.code}, lines {result.quote.first}-{result.quote.last}: {result.status}", err=True)


@cli.command("member-check")
@click.argument("code", required=False)
@out_option()
@click.option("--by", default=None, metavar="DATE", help="When the participant should send it back (\"Friday 14 March\").")
@click.option("--contact", default=None, help="Whom the participant sends it back to and asks (a name, an e-mail address).")
@click.option("--read", "returned", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE", help="Read a returned copy: its comments and tracked changes, line by line, into a CSV "
                                   "in the private folder. The file itself is never changed.")
def member_check(code, out, by, contact, returned):
    """Write participant CODE's copy of their transcript to check (a .docx in the private folder), or
    read one back with --read FILE.

    The copy has a cover page in plain language and the numbered transcript with a column for
    comments; other people's names are hidden as in the shareable text, the participant's own
    name is shown as they said it.
    """
    from . import membercheck
    from .folders import Folders
    from .storage import output_lock

    folders = Folders.of(out)
    study = _last_study(folders)
    if returned is not None:
        with output_lock(folders.private):
            code, found, csv_path = membercheck.read_returned(folders, study, returned)
        click.echo(f"{returned.name}: the copy of {code}; {len(found)} comment(s) and change(s), in {csv_path}")
        for item in found:
            where = "cover page" if item.line is None else (
                f"line {item.line}" if item.last_line in (None, item.line) else f"lines {item.line}-{item.last_line}")
            click.echo(f"  {where:<14}{item.kind}: {' '.join(item.text.split())}")
        return
    if not code:
        raise click.UsageError("Give a participant code (transcribe member-check p3), or --read FILE.")
    with output_lock(folders.private):
        path = membercheck.write_copy(folders, study, code, by, contact)
    click.echo(f"Wrote {path}: send it to the participant (it shows their name: keep it private).")


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cli()
