"""Every way a time is written or read: one home for them all.

Transcripts and QDA programs write ``hh:mm:ss``; NVivo keeps tenths (``00:01:02.5``); subtitles
milliseconds (SRT ``00:01:02,500``, WebVTT ``00:01:02.500``); a header says a duration in words,
never as ``hh:mm:ss`` (MAXQDA takes that for a time mark); the progress bar counts ``m:ss``.
Transcripts made elsewhere are read back with :func:`parse`.
"""

from __future__ import annotations


def clock(seconds: float) -> str:
    """hh:mm:ss, the form QDA programs and transcription conventions use (whole seconds, cut)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def tenths(seconds: float) -> int:
    """A time in whole tenths of a second, the precision QDA programs keep."""
    return max(0, round(seconds * 10))


def clock_tenths(tenth: int, separator: str = ".") -> str:
    """hh:mm:ss, `separator`, then the tenths digit: '00:01:02.5'."""
    return f"{tenth // 36000:02d}:{tenth // 600 % 60:02d}:{tenth // 10 % 60:02d}{separator}{tenth % 10}"


def clock_ms(ms: int, separator: str) -> str:
    """hh:mm:ss, `separator`, milliseconds: SubRip uses ',' and WebVTT '.'."""
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


def duration_in_words(seconds: float) -> str:
    """'1 h 02 min 05 s', '1 min 19 s': never hh:mm:ss, which MAXQDA takes for a time mark."""
    seconds = max(0, int(seconds))
    hours, minutes, rest = seconds // 3600, seconds % 3600 // 60, seconds % 60
    return f"{hours} h {minutes:02d} min {rest:02d} s" if hours else f"{minutes} min {rest:02d} s"


def elapsed(seconds: float | None) -> str:
    """'4:05' or '1:02:03': a stretch of time on a terminal (rounded to the second)."""
    seconds = max(0, int(round(seconds or 0)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def parse(text: str) -> float:
    """'01:02:03.5', '02:03,5' or '1:02' as seconds."""
    value = 0.0
    for part in text.replace(",", ".").split(":"):
        value = value * 60 + float(part)
    return value
