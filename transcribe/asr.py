"""Speech recognition with openai-whisper: device choice, safe decoding defaults, batched windows.

Two ways to decode a recording:

* ``windows`` (default): recognise only where diarisation found speech, in windows of at most 30 s
  cut at speaker changes and pauses. Windows are independent, so they are decoded in batches
  (the GPU's big win), silence is never decoded (where Whisper invents text), and no window is
  conditioned on the previous one's text (where Whisper's repetition loops come from).
* ``sequential``: openai-whisper's own long-form ``transcribe()`` over the whole recording, with
  the same loop-avoiding options. Kept for comparison and for recordings without diarisation.

Both return :class:`Segment` objects with word timings from cross-attention alignment.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from .audio import SAMPLE_RATE
from .errors import TranscribeError
from .models import WhisperCheckpoint

MAX_WINDOW = 30.0


def language_code(language: str | None) -> str:
    """A Whisper language code for a study's or the command line's `language` ("French" -> "fr");
    English when none is given. Not checked: see :func:`checked_language`."""
    if not language or not language.strip():
        return "en"
    from whisper.tokenizer import TO_LANGUAGE_CODE

    code = language.strip().lower()
    return TO_LANGUAGE_CODE.get(code, code)


def checked_language(language: str | None, model: str = "auto") -> str | None:
    """A language code Whisper knows (names such as 'french' are accepted), checked against the
    model's name, so that a wrong one stops before any model loads. None stays None."""
    if language is None:
        return None
    from pathlib import Path

    from whisper.tokenizer import LANGUAGES

    code = language_code(language)
    if code not in LANGUAGES:
        raise TranscribeError(f"'{language}' is not a language Whisper knows. Use a code such as en, fr, de or es "
                              f"(all: {', '.join(sorted(LANGUAGES))}).")
    if code != "en" and Path(str(model)).name.removesuffix(".pt").endswith(".en"):
        raise TranscribeError(f"{model} is an English-only model and cannot transcribe {LANGUAGES[code]}; use a "
                              "multilingual model (such as base) or --model auto.")
    return code


@dataclass(frozen=True)
class RecognitionSettings:
    """Decoding settings; all of them are part of the recognition stage's cache key."""

    language: str = "en"
    mode: str = "windows"  # or "sequential"
    beam_size: int | None = None  # None = greedy, like whisper.transcribe's default
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    logprob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    initial_prompt: str | None = None
    max_window: float = MAX_WINDOW
    # Windows are cut from the diarisation's overlapping turns, so a second voice in crosstalk gets
    # its own window; align.ordered_words keeps each word once. "exclusive" cuts them from the
    # one-speaker-at-a-time timeline instead: measured, it lost words in crosstalk (AMI trn08: 36
    # words against 54) and was no more accurate elsewhere (benchmarks/attribution.py).
    window_turns: str = "turns"
    # Seed of the sampling that failing windows fall back to (temperature > 0): each window is
    # re-decoded alone with a seed of its own, so results do not depend on the batch it fell in.
    seed: int = 0

    def key(self) -> dict:
        return asdict(self)


# Whisper leaves out fillers, repetitions and false starts, as its training transcripts mostly did; a
# prompt written with them makes it keep them (a text style it then follows). Measured in
# benchmarks/results/realistic-verbatim.md.
VERBATIM_PROMPT = "Um, so, uh, I- I went to the, the shop, and, er, hmm, mm-hm, you know, I was like, um, yeah."


def verbatim_prompt(prompt: str | None) -> str:
    """The prompt for --verbatim: the disfluent example first, then the study's own vocabulary."""
    return VERBATIM_PROMPT + (f" {prompt}" if prompt else "")


@dataclass
class RecognisedWord:
    text: str  # as Whisper wrote it, with its leading space
    start: float
    end: float
    probability: float


@dataclass
class Segment:
    """One decoded stretch of audio (a window, or a segment of sequential decoding)."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float
    words: list[RecognisedWord] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Segment":
        data = dict(data)  # the caller's dict stays whole: the stage cache checks entries with this too
        words = [RecognisedWord(**w) for w in data.pop("words")]
        return cls(**data, words=words)


def choose_device(requested: str = "auto") -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise TranscribeError("--device cuda was requested but no CUDA GPU is available. Use --device cpu or auto.")
    if requested not in ("cpu", "cuda"):
        raise TranscribeError(f"Unknown device '{requested}'. Use auto, cpu or cuda.")
    return requested


def plan_windows(turns: list[tuple[float, float, str]], duration: float, max_window: float = MAX_WINDOW,
                 pad: float = 0.2) -> list[tuple[float, float]]:
    """Group speaker turns into decoding windows of at most `max_window` seconds.

    Consecutive turns of one speaker are joined while they fit; a speaker change starts a new
    window, so a window usually holds one voice. A turn longer than the limit is split evenly.
    Each window is padded a little on both sides so that word edges are not clipped.
    """
    windows: list[list[float]] = []
    speaker_of: list[str] = []
    for start, end, speaker in sorted(turns):
        start, end = max(0.0, start - pad), min(duration, end + pad)
        if end - start <= 0.05:
            continue
        if windows and start <= windows[-1][1] and speaker_of[-1] == speaker and end - windows[-1][0] <= max_window:
            windows[-1][1] = max(windows[-1][1], end)
            continue
        if windows and speaker_of[-1] == speaker and end - windows[-1][0] <= max_window and start - windows[-1][1] < 2.0:
            windows[-1][1] = end  # same speaker after a short pause: keep the context together
            continue
        pieces = max(1, math.ceil((end - start) / max_window))
        step = (end - start) / pieces
        for i in range(pieces):
            windows.append([start + i * step, start + (i + 1) * step])
            speaker_of.append(speaker)
    return [(round(a, 3), round(b, 3)) for a, b in windows]


class SpeechRecogniser:
    """A Whisper model loaded once per batch, with the device and precision chosen for it."""

    def __init__(self, checkpoint: WhisperCheckpoint, device: str = "cpu", batch_size: int | None = None,
                 quantise: str = "none"):
        import torch
        import whisper

        self.checkpoint = checkpoint
        self.device = device
        self.fp16 = device == "cuda"
        try:
            self.model = whisper.load_model(str(checkpoint.path), device=device)
        except (RuntimeError, KeyError, EOFError, ValueError) as error:
            raise TranscribeError(f"The Whisper checkpoint {checkpoint.path.name} could not be loaded ({error}).") from None
        if checkpoint.name in whisper._ALIGNMENT_HEADS:
            # Checkpoints loaded from a path get default heads; the converted weights are OpenAI's.
            self.model.set_alignment_heads(whisper._ALIGNMENT_HEADS[checkpoint.name])
        if self.fp16:
            half_precision(self.model)
        # int8 weights serve the CPU only (PyTorch's dynamic quantisation has no CUDA kernels).
        self.quantised = quantise == "int8" and device == "cpu"
        if self.quantised:
            self.model = quantise_int8(self.model)
        self.dtype = torch.float16 if self.fp16 else torch.float32
        self.batch_size = batch_size or _default_batch_size(self.model, device)

    @property
    def name(self) -> str:
        return self.checkpoint.name

    def check_language(self, language: str) -> None:
        if not self.model.is_multilingual and language != "en":
            raise TranscribeError(
                f"The model '{self.name}' understands English only; choose a multilingual model "
                f"(such as base) for --language {language}."
            )

    def __call__(self, samples: np.ndarray, windows: list[tuple[float, float]], settings: RecognitionSettings,
                 progress=None) -> list[Segment]:
        self.check_language(settings.language)
        if settings.mode == "sequential":
            return self._sequential(samples, settings)
        return self._windows(samples, windows, settings, progress)

    # --- sequential long-form decoding (openai-whisper's transcribe) --------------------------

    def _sequential(self, samples: np.ndarray, settings: RecognitionSettings) -> list[Segment]:
        import whisper

        result = whisper.transcribe(
            self.model,
            samples,
            language=settings.language,
            temperature=settings.temperatures,
            compression_ratio_threshold=settings.compression_ratio_threshold,
            logprob_threshold=settings.logprob_threshold,
            no_speech_threshold=settings.no_speech_threshold,
            condition_on_previous_text=False,
            initial_prompt=settings.initial_prompt,
            carry_initial_prompt=settings.initial_prompt is not None,
            word_timestamps=True,
            hallucination_silence_threshold=2.0,
            beam_size=settings.beam_size,
            fp16=self.fp16,
            verbose=None,
        )
        return [
            Segment(
                start=float(s["start"]), end=float(s["end"]), text=s["text"], avg_logprob=s["avg_logprob"],
                no_speech_prob=s["no_speech_prob"], compression_ratio=s["compression_ratio"],
                temperature=s["temperature"],
                words=[RecognisedWord(w["word"], float(w["start"]), float(w["end"]), round(float(w["probability"]), 4))
                       for w in s.get("words", [])],
            )
            for s in result["segments"]
            if s.get("words")
        ]

    # --- windowed, batched decoding -----------------------------------------------------------

    def _windows(self, samples: np.ndarray, windows: list[tuple[float, float]], settings: RecognitionSettings,
                 progress=None) -> list[Segment]:
        segments: list[Segment] = []
        for first in range(0, len(windows), self.batch_size):
            batch = windows[first : first + self.batch_size]
            segments.extend(self._decode_batch(samples, batch, settings))
            if progress:
                progress(sum(b - a for a, b in batch))
        return segments

    def _mel(self, samples: np.ndarray, windows: list[tuple[float, float]]):
        import torch
        import whisper

        mels = []
        for start, end in windows:
            clip = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            clip = whisper.pad_or_trim(torch.from_numpy(np.ascontiguousarray(clip)))
            mels.append(whisper.log_mel_spectrogram(clip, self.model.dims.n_mels))
        return torch.stack(mels).to(self.device, self.dtype)

    def _decode_batch(self, samples, windows, settings: RecognitionSettings) -> list[Segment]:
        import torch
        import whisper

        with torch.inference_mode():
            features = self.model.embed_audio(self._mel(samples, windows))
            seeds = [settings.seed + round(start * 1000) for start, _ in windows]
            results = self._decode_with_fallback(features, settings, seeds)
        tokenizer = whisper.tokenizer.get_tokenizer(
            self.model.is_multilingual, num_languages=self.model.num_languages, language=settings.language, task="transcribe"
        )
        keep = [
            i for i, r in enumerate(results)
            if r.text.strip() and not (r.no_speech_prob > settings.no_speech_threshold and r.avg_logprob < settings.logprob_threshold)
        ]
        if not keep:
            return []
        text_tokens = [[t for t in results[i].tokens if t < tokenizer.eot] for i in keep]
        frames = [int((windows[i][1] - windows[i][0]) * SAMPLE_RATE) // whisper.audio.HOP_LENGTH for i in keep]
        alignments = align_words(self.model, tokenizer, features[keep], text_tokens, frames)
        segments = []
        for i, words in zip(keep, alignments):
            start, end = windows[i]
            r = results[i]
            segments.append(Segment(
                start=start, end=end, text=r.text, avg_logprob=round(r.avg_logprob, 4),
                no_speech_prob=round(r.no_speech_prob, 4), compression_ratio=round(r.compression_ratio, 4),
                temperature=r.temperature,
                words=[RecognisedWord(w.word, round(start + min(w.start, end - start), 3), round(start + min(w.end, end - start), 3),
                                      round(float(w.probability), 4)) for w in words if w.word],
            ))
        return segments

    def _decode_with_fallback(self, features, settings: RecognitionSettings, seeds: list[int]):
        """Decode every window at temperature 0; re-decode only the failing ones hotter, as Whisper does.

        Sampling draws from torch's global generator; each sampled window is decoded on its own,
        right after seeding with its own seed, so the same audio and settings give the same text
        on every run, whatever the batch size (inside a forked generator: others are not disturbed).
        """
        import torch
        import whisper

        results = [None] * features.shape[0]
        pending = list(range(features.shape[0]))
        for temperature in settings.temperatures:
            options = whisper.DecodingOptions(
                language=settings.language,
                task="transcribe",
                temperature=temperature,
                beam_size=settings.beam_size if temperature == 0 else None,
                best_of=None if temperature == 0 or settings.beam_size is None else settings.beam_size,
                without_timestamps=True,
                prompt=settings.initial_prompt,
                fp16=self.fp16,
            )
            if temperature == 0:
                decoded = self.model.decode(features[pending], options)
            else:
                decoded = []
                devices = [self.model.device] if self.model.device.type == "cuda" else []
                for index in pending:
                    with torch.random.fork_rng(devices=devices):
                        torch.manual_seed(seeds[index])
                        decoded.append(self.model.decode(features[index : index + 1], options)[0])
            still_failing = []
            for index, result in zip(pending, decoded):
                results[index] = result
                too_repetitive = result.compression_ratio > settings.compression_ratio_threshold
                improbable = result.avg_logprob < settings.logprob_threshold
                silent = result.no_speech_prob > settings.no_speech_threshold and improbable
                if (too_repetitive or improbable) and not silent:
                    still_failing.append(index)
            pending = still_failing
            if not pending:
                break
        return results


def align_words(model, tokenizer, features, text_tokens: list[list[int]], num_frames: list[int],
                medfilt_width: int = 7) -> list[list]:
    """Word timings for several windows at once from cross-attention and DTW.

    This is openai-whisper's ``find_alignment`` with the decoder run over the whole batch in one
    pass (sequences padded at the end; causal attention keeps padding out of real positions) and on
    the encoder output already computed for decoding, instead of re-encoding each window.
    """
    import torch
    from whisper.model import disable_sdpa
    from whisper.timing import WordTiming, dtw, median_filter, merge_punctuations

    prefix = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    sequences = [prefix + tokens + [tokenizer.eot] for tokens in text_tokens]
    width = max(len(s) for s in sequences)
    batch = torch.tensor([s + [tokenizer.eot] * (width - len(s)) for s in sequences], device=features.device)

    qks = [None] * model.dims.n_text_layer
    hooks = [
        block.cross_attn.register_forward_hook(lambda _, ins, outs, index=i: qks.__setitem__(index, outs[-1]))
        for i, block in enumerate(model.decoder.blocks)
    ]
    try:
        with torch.inference_mode(), disable_sdpa():
            logits = model.decoder(batch, features)
    finally:
        for hook in hooks:
            hook.remove()
    heads = model.alignment_heads.indices().T
    results = []
    for b, tokens in enumerate(text_tokens):
        if not tokens:
            results.append([])
            continue
        n = len(tokens)
        start = len(tokenizer.sot_sequence)
        probs = logits[b, start : start + n, : tokenizer.eot].float().softmax(dim=-1)
        token_probs = probs[np.arange(n), tokens].tolist()
        weights = torch.stack([qks[layer][b, head, : len(prefix) + n + 1] for layer, head in heads])
        weights = weights[:, :, : num_frames[b] // 2].float().softmax(dim=-1)
        std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
        weights = median_filter((weights - mean) / std, medfilt_width)
        matrix = weights.mean(axis=0)[len(tokenizer.sot_sequence) : -1]
        text_indices, time_indices = dtw(-matrix)
        words, word_tokens = tokenizer.split_to_word_tokens(tokens + [tokenizer.eot])
        if len(word_tokens) <= 1:
            results.append([])
            continue
        boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
        jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
        jump_times = time_indices[jumps] / 50  # whisper.audio.TOKENS_PER_SECOND
        alignment = [
            WordTiming(word, word_tok, float(jump_times[a]), float(jump_times[z]), float(np.mean(token_probs[a:z])))
            for word, word_tok, a, z in zip(words, word_tokens, boundaries[:-1], boundaries[1:])
        ]
        _limit_long_words(alignment)
        merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
        results.append(alignment)
    return results


def _limit_long_words(alignment: list) -> None:
    """openai-whisper's guard: a word at a sentence boundary may not last over twice the median."""
    durations = np.array([w.end - w.start for w in alignment])
    durations = durations[durations.nonzero()]
    if len(durations) == 0:
        return
    max_duration = min(0.7, float(np.median(durations))) * 2
    marks = ".。!！?？"
    for i in range(1, len(alignment)):
        if alignment[i].end - alignment[i].start > max_duration:
            if alignment[i].word in marks:
                alignment[i].end = alignment[i].start + max_duration
            elif alignment[i - 1].word in marks:
                alignment[i].start = alignment[i].end - max_duration


def half_precision(model) -> None:
    """Store linear, convolution and embedding weights in fp16 on the GPU.

    openai-whisper keeps fp32 weights and casts them to fp16 in every forward call; converting once
    saves that work and half the memory. Layer norms stay fp32 (Whisper computes them in fp32).
    """
    import torch

    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Embedding)):
            module.half()
    model.encoder.positional_embedding.data = model.encoder.positional_embedding.data.half()


def quantise_int8(model):
    """Whisper with every linear layer's weights in int8 (PyTorch's dynamic quantisation), for the CPU.

    Activations are quantised on the fly per call; convolutions, layer norms and the output
    projection (the token embedding) stay in fp32. openai-whisper's own Linear only casts its weights
    to the input's type, a no-op in fp32, so its layers are taken as plain linear layers first.
    """
    import torch
    import whisper.model

    for module in model.modules():
        if type(module) is whisper.model.Linear:
            module.__class__ = torch.nn.Linear
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the quantised tensor API's deprecation notice
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def _default_batch_size(model, device: str) -> int:
    """Windows per batch: on a GPU as many as free memory allows (capped), on a CPU eight."""
    if device != "cuda":
        return 8  # measured on 2 cores: 8 windows at once beat 1, 2 and 4
    import torch

    free, _ = torch.cuda.mem_get_info()
    # Rough per-window cost: encoder activations plus the decoder's key/value cache, in fp16.
    per_window = model.dims.n_audio_ctx * model.dims.n_audio_state * 2 * (model.dims.n_text_layer * 4 + 16)
    return int(max(1, min(64, free * 0.5 // per_window)))
