"""Make test recordings in any format from real speech with PyAV (no ffmpeg binary needed)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

FORMATS = {  # extension: (container format, codec, sample rate, bit rate)
    "wav": ("wav", "pcm_s16le", 16000, None),
    "mp3": ("mp3", "libmp3lame", 16000, 64000),
    "m4a": ("mp4", "aac", 16000, 64000),
    "wma": ("asf", "wmav2", 16000, 32000),
    "flac": ("flac", "flac", 16000, None),
    "ogg": ("ogg", "libopus", 48000, 32000),
    "opus": ("ogg", "libopus", 48000, 32000),
    "mp4": ("mp4", "aac", 16000, 64000),
}


def encode(samples: np.ndarray, path: Path, *, rate: int = 16000, channels: int = 1) -> Path:
    """Write float32 mono `samples` (at `rate`) to `path`, in the format its extension names.

    With `channels` 2 the same signal goes to both channels, at full scale in the left one and
    half in the right, so a downmix can be checked.
    """
    container_format, codec, codec_rate, bit_rate = FORMATS[path.suffix.lstrip(".").lower()]
    layout = "stereo" if channels == 2 else "mono"
    data = samples.astype(np.float32)[None]
    if channels == 2:
        data = np.concatenate([data, data * 0.5])
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=codec_rate if codec_rate != 16000 else rate, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp", layout=layout)
        frame.sample_rate = rate
        formats = stream.codec_context.codec.audio_formats
        resampler = av.AudioResampler(format=formats[0].name if formats else "s16", layout=layout,
                                      rate=stream.codec_context.sample_rate, frame_size=stream.codec_context.frame_size or None)
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
