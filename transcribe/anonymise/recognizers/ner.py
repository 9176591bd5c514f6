"""spaCy's named entities through Presidio's SpacyRecognizer, trimmed and recategorised.

The small English model's commonest confusion is names and towns read as organisations: a place
or organisation after a name cue or starting with a known first name is a person ("My name is
Siiri", "Sophie Lang"); an organisation that is a known place is a place.
"""

from __future__ import annotations

import re

from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from .base import CATEGORY_OF_ENTITY, result
from .words import has_cue, is_filler


class NerRecognizer(SpacyRecognizer):
    SOURCE = "ner"

    def __init__(self, entities: list[str], gazetteer=None, lexicon=None):
        self.gazetteer = gazetteer
        self.lexicon = lexicon
        super().__init__(supported_entities=entities, name="SpacyRecognizer")

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        out = []
        doc = nlp_artifacts.tokens if nlp_artifacts is not None else None
        for found in super().analyze(text, entities, nlp_artifacts) or ():
            category = CATEGORY_OF_ENTITY.get(found.entity_type)
            if category is None:
                continue
            start, end = trim_entity(text, found.start, found.end)
            if start >= end or is_filler(text[start:end]):
                continue
            if doc is not None:
                category = self._recategorise(doc, start, end, category)
            made = result(self, category, start, end, found.score, self.SOURCE)
            made.analysis_explanation = found.analysis_explanation
            out.append(made)
        return out

    def _recategorise(self, doc, start: int, end: int, category: str) -> str:
        span = doc.char_span(start, end, alignment_mode="expand")
        if category in ("person", "date") or span is None:
            return category
        gazetteer = self.gazetteer
        if has_cue(span, "person") or (gazetteer is not None and gazetteer.is_first_name_only(span[0].text)):
            return "person"
        if category == "organisation" and gazetteer is not None and gazetteer.is_place(span.text):
            return "place"
        return category


def trim_entity(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop spaces, fillers, a leading "the" and a trailing possessive that spaCy may include."""
    piece = text[start:end]
    start, end = start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))
    while True:
        lead = re.match(r"(?i)(?:the|mm|hm|uh|huh|um|erm|er|yeah|okay|ok|oh|so|well)\s+", text[start:end])
        if not lead:
            break
        start += lead.end()
    tail = re.search(r"['’]s?$", text[start:end])
    if tail and end - start > 2:
        end = start + tail.start()
    return start, end
