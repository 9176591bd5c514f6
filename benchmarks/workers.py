"""The two sides of the benchmark, each run in a process of its own so that memory peaks do not mix.

* ``anchor``: what a user would otherwise do with the same libraries. ``whisper.load_model`` and
  ``whisper.transcribe`` with openai-whisper's default options, then pyannote's
  ``SpeakerDiarization`` on the same waveform, one after the other. The pipeline is configured as
  pyannote's published speaker-diarization-3.1 pipeline is (10 s windows at a 0.1 step, batches of
  32, overlapped speech left out of embeddings), with the weights transcribe ships, since those are
  the only ones available offline.
* ``project``: ``transcribe run`` as the library runs it (transcribe.batch.Batch: decode, diarise,
  recognise, align and roles, anonymise, write), with a stage meter switched at each boundary.

Usage (bench.py does this): python benchmarks/workers.py anchor|project SPEC.json RESULT.json
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stages import StageMeter, peak_rss  # noqa: E402

import transcribe  # noqa: E402,F401  (switches pyannote's telemetry off before anything imports it)

SAMPLE_RATE = 16_000
WARMUP_SECONDS = 30.0
# pyannote/speaker-diarization-3.1's config.yaml, minus the models and the clustering threshold and
# minimum cluster size, which were tuned for another embedding (transcribe's values are used instead).
PYANNOTE_PIPELINE_PARAMS = {
    "segmentation_step": 0.1,
    "embedding_batch_size": 32,
    "segmentation_batch_size": 32,
    "embedding_exclude_overlap": True,
}


# --- anchor -------------------------------------------------------------------------------------


def load_whisper(checkpoint: str, name: str, device: str):
    """whisper.load_model on the checkpoint file, with the alignment heads loading by name would set."""
    import whisper

    model = whisper.load_model(checkpoint, device=device)
    if name in whisper._ALIGNMENT_HEADS:
        model.set_alignment_heads(whisper._ALIGNMENT_HEADS[name])
    return model


def pyannote_pipeline(device: str):
    """pyannote's SpeakerDiarization with the packaged segmentation-3.0 and CAM++ weights."""
    from transcribe import _compat

    _compat.patch_torchaudio()
    import torch
    from pyannote.audio import Model
    from pyannote.audio.pipelines import SpeakerDiarization

    from transcribe.diarise import DiarisationSettings, campplus_model
    from transcribe.models import CAMPPLUS, SEGMENTATION, packaged_file

    _compat.allow_pipeline_without_plda()  # the packaged models have no PLDA; this clustering needs none
    defaults = DiarisationSettings()
    pipeline = SpeakerDiarization(
        segmentation=Model.from_pretrained(packaged_file(SEGMENTATION)),
        embedding=campplus_model(packaged_file(CAMPPLUS)),
        plda=None,
        clustering="AgglomerativeClustering",
        **PYANNOTE_PIPELINE_PARAMS,
    )
    pipeline.instantiate({
        "segmentation": {"min_duration_off": 0.0},
        "clustering": {"method": "centroid", "min_cluster_size": defaults.min_cluster_size,
                       "threshold": defaults.threshold},
    })
    return pipeline.to(torch.device(device))


def diarise_with_pyannote(pipeline, samples, num_speakers: int) -> list[tuple[float, float, str]]:
    import torch

    output = pipeline({"waveform": torch.from_numpy(samples)[None], "sample_rate": SAMPLE_RATE},
                      num_speakers=num_speakers)
    annotation = getattr(output, "speaker_diarization", output)
    return [(round(s.start, 3), round(s.end, 3), str(label)) for s, _, label in annotation.itertracks(yield_label=True)]


def run_anchor(spec: dict) -> dict:
    import whisper

    from transcribe.audio import decode

    meter = StageMeter(cuda=spec["device"] == "cuda")
    meter.switch("load")
    model = load_whisper(spec["checkpoint"], spec["model_name"], spec["device"])
    pipeline = pyannote_pipeline(spec["device"])
    options = {"language": spec["language"], "word_timestamps": spec["word_timestamps"]}
    if spec["warmup"]:
        meter.switch("warm-up")
        clip = decode(spec["audio"]).samples[: int(WARMUP_SECONDS * SAMPLE_RATE)]
        whisper.transcribe(model, clip, **options)
        diarise_with_pyannote(pipeline, clip, spec["num_speakers"])
    meter.switch("decode")
    samples = decode(spec["audio"]).samples
    meter.switch("recognise")
    result = whisper.transcribe(model, samples, **options)
    meter.switch("diarise")
    turns = diarise_with_pyannote(pipeline, samples, spec["num_speakers"])
    stages = meter.stop()
    return {"stages": stages, "peak_rss_mib": round(peak_rss() / 2**20, 1), "text": result["text"],
            "turns": turns}


# --- project ------------------------------------------------------------------------------------


def metered_batch(out: Path, settings, output, study, meter: StageMeter):
    """transcribe's Batch with the meter switched where each stage begins (from its progress events)."""
    from transcribe.batch import Batch, Reporter

    stage_of_progress = {"diarising": "diarise", "recognising": "recognise", "recognised": "align+roles",
                         "anonymising": "anonymise", "writing": "write"}

    class StageReporter(Reporter):
        def stage(self, code: str, name: str, seconds: float) -> None:
            if name in stage_of_progress:
                meter.switch(stage_of_progress[name])

    class MeteredBatch(Batch):
        def _decode(self, *args, **kwargs):
            meter.switch("decode")
            return super()._decode(*args, **kwargs)

    return MeteredBatch(out, settings, output, study, StageReporter())


def load_models(batch, anonymise: bool) -> list:
    """Load every model now, so that loading is measured apart from the stages (Engines loads lazily)."""
    models = [batch.engines.recogniser, batch.engines.diariser]
    if anonymise:
        from transcribe.anonymise.languages import detection_language

        models.append(batch.anonymiser.finder.detector(detection_language(batch.study.language)))
    return models


def warm_up_project(batch, audio: str) -> None:
    """Run both models once on the first seconds, outside the measured run."""
    from transcribe.asr import RecognitionSettings
    from transcribe.audio import decode

    clip = decode(audio).samples[: int(WARMUP_SECONDS * SAMPLE_RATE)]
    batch.engines.diariser(clip)
    settings = RecognitionSettings(language=batch.settings.language)
    batch.engines.recogniser(clip, [(0.0, len(clip) / SAMPLE_RATE)], settings)


def project_outputs(private: Path) -> tuple[str, str, list]:
    """Recognised text (all words, and the words shown), and the diarisation stage's speaker turns."""
    from transcribe.reliability import INAUDIBLE
    from transcribe.transcript import Transcript

    (path,) = private.glob("*.identifiable.json")
    transcript = Transcript.from_json(path.read_text())
    words = [w for t in transcript.turns for w in t.words]
    text = "".join(w.text for w in words)
    shown = "".join(w.text for w in words if w.flag != INAUDIBLE)
    (cached,) = private.glob("cache/*/diarise-*.json")
    record = json.loads(cached.read_text())
    turns = [(t["start"], t["end"], t["speaker"]) for t in record.get("data", record)["turns"]]  # checksummed
    return text, shown, turns


def record_block_edges() -> list[float]:
    """Where the diariser's blocks start (seconds, the first left out), noted as transcribe plans them."""
    import transcribe.diarise as diarise

    edges: list[float] = []
    plan = diarise.plan_blocks

    def planned(samples, block_seconds):
        blocks = plan(samples, block_seconds)
        edges.extend(start / SAMPLE_RATE for start, _ in blocks[1:])
        return blocks

    diarise.plan_blocks = planned
    return edges


def run_project(spec: dict) -> dict:
    from transcribe.diarise import DiarisationSettings
    from transcribe.folders import Folders, OutputSettings
    from transcribe.pipeline import RunSettings
    from transcribe.study import Study, load_study

    meter = StageMeter(cuda=spec["device"] == "cuda")
    meter.switch("load")
    step = {"segmentation_step": spec["segmentation_step"]} if spec["segmentation_step"] else {}
    if "block_seconds" in spec:  # bench.py --project-only: blocks of this length, or None for whole recordings
        step["block_seconds"] = spec["block_seconds"]
    diarisation = DiarisationSettings(num_speakers=spec["num_speakers"], **step)
    settings = RunSettings(model=spec["checkpoint"], device=spec["device"], language=spec["language"],
                           diarisation=diarisation, batch_size=spec["batch_size"])
    study = load_study(Path(spec["study"])) if spec["study"] else Study()
    out = Path(spec["out"])
    batch = metered_batch(out, settings, OutputSettings(anonymise=spec["anonymise"]), study, meter)
    load_models(batch, spec["anonymise"])
    if spec["warmup"]:
        meter.switch("warm-up")
        warm_up_project(batch, spec["audio"])
    meter.switch("setup")
    edges = record_block_edges()  # after the warm-up, whose 30 s are one block
    (result,) = batch.run([Path(spec["audio"])])
    stages = meter.stop()
    if result.status == "failed":
        raise RuntimeError(f"transcribe failed: {result.message}")
    text, shown, turns = project_outputs(Folders.of(out).private)
    return {"stages": stages, "peak_rss_mib": round(peak_rss() / 2**20, 1), "text": text, "text_shown": shown,
            "turns": turns, "batch_size": batch.engines.recogniser.batch_size, "block_edges": edges}


RUNNERS = {"anchor": run_anchor, "project": run_project}


def main() -> None:
    side, spec_path, result_path = sys.argv[1:]
    warnings.filterwarnings("ignore")  # libraries warn about what is handled (fp16 on CPU, torchcodec)
    logging.basicConfig(level=logging.WARNING, format=f"[{side}] %(message)s")
    result = RUNNERS[side](json.loads(Path(spec_path).read_text()))
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
