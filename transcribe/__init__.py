"""Offline interview transcription with speaker diarisation and study-wide anonymisation.

Importing the package switches off pyannote's telemetry and puts the Hugging Face libraries in
offline mode before any of them is imported: recordings are confidential and nothing may leave the
machine.
"""

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
# Forced, not defaulted: a user's HF_HUB_OFFLINE=0 must not let a run reach the model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from .errors import TranscribeError  # noqa: E402

__version__ = "0.1.0"

# The library without the command line, imported on first use (torch and friends are slow to load):
#   from transcribe import Batch, RunSettings, OutputSettings, load_study
#   Batch(Path("transcripts"), RunSettings(), OutputSettings(), load_study("study.toml")).run([Path("recordings")])
_LAZY = {
    "Batch": "batch", "OutputSettings": "folders", "RunSettings": "pipeline", "Engines": "pipeline",
    "transcribe_interview": "pipeline", "load_study": "study", "Study": "study", "Transcript": "transcript",
    "decode": "audio", "SpeechRecogniser": "asr", "Diariser": "diarise", "Detector": "anonymise.detect",
}
__all__ = ["TranscribeError", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'transcribe' has no attribute {name!r}")
