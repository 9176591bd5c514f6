"""Compatibility patches for pyannote.audio on a CPU-only torch, kept in one place.

pyannote.audio 4 requires torchaudio, and the torchaudio wheels on PyPI are CUDA builds whose
native extension fails to load beside the CPU build of torch. pyannote only needs torchaudio's
pure-PyTorch parts (kaldi fbank, resampling), so when the extension cannot load we register a stub
for ``torchaudio._extension`` before torchaudio is imported. Where torchaudio loads (a matching
CUDA install) nothing is patched.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import types


def _torchaudio_extension_loads() -> bool:
    spec = importlib.util.find_spec("torchaudio")
    if spec is None or not spec.submodule_search_locations:
        return False
    import ctypes
    from pathlib import Path

    import torch  # noqa: F401  (its libraries must be loaded first)

    libraries = sorted(Path(list(spec.submodule_search_locations)[0], "lib").glob("_torchaudio*.so"))
    try:
        for library in libraries:
            ctypes.CDLL(str(library))
    except OSError:
        return False
    return True


def _stub_extension() -> types.ModuleType:
    stub = types.ModuleType("torchaudio._extension")
    stub._IS_TORCHAUDIO_EXT_AVAILABLE = False
    stub._IS_ALIGN_AVAILABLE = False
    stub._check_cuda_version = lambda: None

    def fail_if_no_align(func):
        @functools.wraps(func)
        def unavailable(*args, **kwargs):
            raise RuntimeError("torchaudio's forced-alignment extension is not available on this install.")

        return unavailable

    stub.fail_if_no_align = fail_if_no_align
    return stub


@functools.cache
def patch_torchaudio() -> bool:
    """Make `import torchaudio` work without its native extension. Returns True if it patched."""
    if "torchaudio" in sys.modules or _torchaudio_extension_loads():
        return False
    sys.modules["torchaudio._extension"] = _stub_extension()
    return True


def allow_pipeline_without_plda() -> None:
    """pyannote 4's SpeakerDiarization insists on loading a PLDA even for clustering that ignores it.

    The offline models have no PLDA; agglomerative clustering does not use one.
    """
    from pyannote.audio.pipelines import speaker_diarization

    def get_plda(plda, *args, **kwargs):
        return None if plda is None else _original_get_plda(plda, *args, **kwargs)

    global _original_get_plda
    if speaker_diarization.get_plda.__name__ != "get_plda_or_none":
        _original_get_plda = speaker_diarization.get_plda
        get_plda.__name__ = "get_plda_or_none"
        speaker_diarization.get_plda = get_plda


_original_get_plda = None
