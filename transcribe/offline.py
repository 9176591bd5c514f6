"""Offline means offline: nothing a run loads may come from a model hub, whatever the environment says."""

from __future__ import annotations

from pathlib import Path

from .errors import TranscribeError

MODEL_KEYS = {"segmentation", "embedding", "plda", "checkpoint", "model"}


def check_pipeline_folder(folder: Path) -> Path:
    """The config.yaml of a local pyannote pipeline, after checking that every model it names is a
    local file or folder. A name such as ``pyannote/segmentation-3.0`` would be fetched from the
    hub, so the folder is refused with a message instead."""
    import yaml

    config = Path(folder).expanduser() / "config.yaml"
    if not config.is_file():
        raise TranscribeError(f"{folder} is not a pyannote pipeline folder (no config.yaml). "
                              "Point --diarisation-pipeline at a downloaded pipeline folder.")
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TranscribeError(f"config.yaml in {folder} cannot be read ({type(error).__name__}).") from None
    for key, value in _model_references(data):
        local = Path(value.replace("$model", str(config.parent))).expanduser()
        if not local.is_absolute():
            local = config.parent / local
        if not local.exists():
            raise TranscribeError(
                f"config.yaml in {folder} names the {key} model '{value}', which is not a local file: it would be "
                "downloaded from the model hub, and transcribe never goes online. Download the pipeline together "
                "with its models and make config.yaml point at their local paths."
            )
    return config


def _model_references(data, key: str | None = None):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _model_references(v, str(k))
    elif isinstance(data, list):
        for v in data:
            yield from _model_references(v, key)
    elif isinstance(data, str) and key in MODEL_KEYS:
        yield key, data
