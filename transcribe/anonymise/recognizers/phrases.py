"""Whole-word, any-case matching of known phrases (roster names, study list entries)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...text import fold
from ..languages import TITLES
from .words import Lexicon


@dataclass(frozen=True)
class Phrase:
    """A phrase to find (any case), what it stands for, and whether it is also an ordinary word."""

    regex: re.Pattern[str]
    category: str
    entity: str | None
    score: float
    common_word: bool


def single_common_word(phrase: str, lexicon: Lexicon) -> bool:
    return len(phrase.split()) == 1 and lexicon.is_common(phrase)


def phrase_regex(phrase: str) -> re.Pattern[str]:
    """Whole-word, any-case regex for a phrase, tolerant of how transcripts write it.

    Spacing is flexible, a title or "St" may take a full stop, either apostrophe matches, a
    possessive "'s" inside the phrase may be dropped ("St James Hospital"), and a hyphen may be a
    space.
    """
    words = []
    for word in phrase.split():
        bare = word.rstrip(".")
        stem, possessive = re.subn(r"['’]s$", "", bare)
        pattern = "['’]".join(re.escape(piece).replace(r"\-", r"[\s-]?") for piece in re.split(r"['’]", stem))
        if possessive:
            pattern += r"(?:['’]s?)?"
        if fold(bare) in TITLES or word.endswith("."):
            pattern += r"\.?"
        words.append(pattern)
    # Not inside an e-mail address or a web address: "sarah.jones@example.com" is one identifier.
    return re.compile(r"(?<![\w@./])" + r"\s+".join(words) + r"(?![\w@]|\.\w)", re.IGNORECASE)


def compound_regex(phrase: str) -> re.Pattern[str]:
    """Whole-word, any-case regex for a name that may be written as one word or several: its
    parts (split at spaces, hyphens and inner capitals) with or without spaces or hyphens between
    them. "WellTogether" matches "Well Together", "well-together" and "welltogether"."""
    parts = [p for p in re.split(r"[\s\-]+|(?<=[a-z])(?=[A-Z])", phrase.strip()) if p]
    body = r"[\s\-]*".join(re.escape(part) for part in parts)
    return re.compile(r"(?<![\w@./])" + body + r"(?![\w@]|\.\w)", re.IGNORECASE)


def compact(text: str) -> str:
    """The form in which compound names compare: folded, without spaces or hyphens."""
    return re.sub(r"[\s\-]+", "", fold(text))
