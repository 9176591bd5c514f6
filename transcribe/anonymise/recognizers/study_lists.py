"""The study's known places and organisations, each detection naming its list entry."""

from __future__ import annotations

from collections.abc import Iterable

from .phrases import Phrase, phrase_regex, single_common_word
from .roster import PhraseRecognizer
from .words import Lexicon


class StudyListRecognizer(PhraseRecognizer):
    SOURCE = "list"
    ENTITIES = ("place", "organisation")

    def __init__(self, places: Iterable[str], organisations: Iterable[str], lexicon: Lexicon):
        super().__init__([
            Phrase(phrase_regex(entry), category, entry, 1.0, single_common_word(entry, lexicon))
            for category, entries in (("place", places), ("organisation", organisations))
            for entry in entries
            if entry.strip()
        ])
