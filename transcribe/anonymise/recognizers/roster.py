"""The study's people: every name and alias on the roster, and each word of a multi-word name."""

from __future__ import annotations

from collections.abc import Iterable

from ...text import fold
from ..languages import TITLES
from .base import ProjectRecognizer
from .phrases import Phrase, phrase_regex, single_common_word
from .words import Lexicon, used_as_name


class PhraseRecognizer(ProjectRecognizer):
    """Finds fixed phrases, any case; a phrase that is also a common word needs a name's context."""

    def __init__(self, phrases: list[Phrase]):
        self.phrases = phrases
        super().__init__()

    def find(self, doc):
        text = doc.text
        for phrase in self.phrases:
            for match in phrase.regex.finditer(text):
                start, end = match.span()
                if phrase.common_word and text[start:end].islower():
                    span = doc.char_span(start, end, alignment_mode="expand")
                    if span is None or not used_as_name(span, phrase.category):
                        continue
                yield self.make(phrase.category, start, end, phrase.score, phrase.entity)


class RosterRecognizer(PhraseRecognizer):
    """Every roster name and alias (score 1), then each word of a multi-word name on its own (0.9).

    Titles, short words and lower-case particles ("de", "van") are not taken on their own. A
    name shared by two people gets no entity (and score 0.5): the reviewer decides who is meant.
    """

    SOURCE = "roster"
    ENTITIES = ("person",)

    def __init__(self, roster: Iterable, lexicon: Lexicon):
        owners: dict[str, set[str]] = {}
        parts: dict[str, set[str]] = {}
        for person in roster:
            for name in person.names:
                owners.setdefault(fold(name), set()).add(person.id)
                words = name.split()
                if len(words) > 1:
                    for word in words:
                        if fold(word).strip(".") not in TITLES and len(word) > 2 and not word.islower():
                            parts.setdefault(fold(word), set()).add(person.id)
        phrases = [_phrase(name, ids, 1.0, lexicon) for name, ids in owners.items()]
        phrases += [_phrase(word, ids, 0.9, lexicon) for word, ids in parts.items() if word not in owners]
        super().__init__(phrases)


def _phrase(name: str, ids: set[str], score: float, lexicon: Lexicon) -> Phrase:
    entity = next(iter(ids)) if len(ids) == 1 else None
    return Phrase(phrase_regex(name), "person", entity, score if entity else 0.5, single_common_word(name, lexicon))
