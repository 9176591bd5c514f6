"""Which detections are one-off guesses: replaced where they stand, kept out of the study key.

The study-wide key holds what the study knows (its roster and lists, the patterns of e-mail
addresses and numbers), what the researcher confirmed, and what detection is sure of on its own.
Everything in the key is searched for again by the safety net in every interview, so one wrong
guess in it spreads: "Together" taken for a person would make the ordinary word "together" a
name everywhere. A guess that is unsure (a score under STRONG_SCORE) or made only of ordinary or
very short words ("together", "ty", "pre") is therefore replaced in its own line by an unnumbered
placeholder (``[Name]``, ``[Organisation]``) and enters the key only when the researcher accepts it.
"""

from __future__ import annotations

import re

from ..text import fold
from .detect import Detection
from .languages import profile
from .lexicons import ordinary_words

# Sources that name what the study knows, or that the researcher chose: never a guess.
KNOWN_SOURCES = frozenset({"roster", "list", "pattern", "number", "researcher", "safety net"})
STRONG_SCORE = 0.85  # spaCy's named entities through Presidio; institutions, gazetteers and misheard names score lower
SHORT = 3  # letters: "ty", "pre"


def one_off(detection: Detection, language: str = "en") -> bool:
    """Whether `detection` is a guess that stays local to its line until the researcher accepts it."""
    if detection.entity or detection.source in KNOWN_SOURCES:
        return False
    if detection.score < STRONG_SCORE:
        return True
    ordinary = ordinary_words(profile(language).code)
    words = re.findall(r"\w+", fold(detection.text))
    return all(len(word) <= SHORT or word in ordinary for word in words)
