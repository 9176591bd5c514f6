"""Offline interview transcription with speaker diarisation and study-wide anonymisation.

Importing the package switches off pyannote's telemetry and puts the Hugging Face libraries in
offline mode before any of them is imported: recordings are confidential and nothing may leave the
machine.
"""

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from .errors import TranscribeError  # noqa: E402

__version__ = "0.1.0"
__all__ = ["TranscribeError", "__version__"]
