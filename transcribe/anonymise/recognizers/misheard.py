"""Names the speech recogniser did not know, and so wrote as a non-word ("jimmel", "luition").

A word in none of the dictionaries (Lexicon.is_english) is taken as a name: scored higher after a
name or place cue, when the recogniser was unsure of it (word probabilities, when given), and
linked to a roster person when it sounds like one. An ordinary word the recogniser was unsure of
right after a strong name cue ("my friend bricks") is listed too, low scored. Scores below 0.6
are "check first" in the review.
"""

from __future__ import annotations

from .base import ProjectRecognizer
from .institutions import after_org_cue
from .words import (
    Lexicon,
    first_names,
    has_cue,
    is_capitalised,
    place_names,
    plain_word,
)

# Below this, a word probability means the recogniser was unsure of the word.
LOW_PROBABILITY = 0.5
# Near enough to a roster name, for a word that is not English anyway, to name that person.
ROSTER_SIMILARITY = 0.82
PROBABILITIES_KEY = "word_probabilities"
# An unknown word after these is more often a place than a person ("in", not "to": "talked to").
PLACE_WORDS = frozenset({"in", "from", "near", "around", "outside", "towards", "via", "at"})


def word_probability(doc, token) -> float | None:
    """The lowest probability of the recognised words under `token`, if the caller gave them."""
    spans = doc.user_data.get(PROBABILITIES_KEY)
    if not spans:
        return None
    start, end = token.idx, token.idx + len(token)
    inside = [p for a, b, p in spans if a < end and start < b]
    return min(inside) if inside else None


class MisheardNameRecognizer(ProjectRecognizer):
    SOURCE = "misheard"
    ENTITIES = ("person", "place", "organisation")

    def __init__(self, lexicon: Lexicon, fuzzy=None):
        self.lexicon = lexicon
        self.fuzzy = fuzzy
        self.known = first_names() | place_names()
        super().__init__()

    def find(self, doc):
        for token in doc:
            found = self._judge(doc, token)
            if found is not None:
                yield found

    def _judge(self, doc, token):
        if not plain_word(token) or len(token) < 3 or token.lower_ in self.known:
            return None
        if token.is_upper and len(token) <= 5:
            return None  # an acronym
        span = doc[token.i:token.i + 1]
        probability = word_probability(doc, token)
        unsure = probability is not None and probability < LOW_PROBABILITY
        start, end = token.idx, token.idx + len(token)
        if self.lexicon.is_english(token.text, token.lemma_):
            if unsure and has_cue(span, "person") and token.pos_ in ("NOUN", "PROPN", "X"):
                return self.make("person", start, end, 0.5)
            return None
        if after_org_cue(span):
            return self.make("organisation", start, end, 0.7)
        if has_cue(span, "place"):
            return self.make("place", start, end, 0.7)
        if token.i > 0 and doc[token.i - 1].lower_ in PLACE_WORDS and not has_cue(span, "person"):
            return self.make("place", start, end, 0.6)
        match = self.fuzzy.match(token.text, token.lemma_, ROSTER_SIMILARITY) if self.fuzzy else None
        if match is not None:
            return self.make("person", start, end, 0.75, match[1])
        if has_cue(span, "person"):
            score = 0.8
        elif has_cue(span, "person", strong_only=False) or unsure:
            score = 0.65
        elif is_capitalised(token.text) and not token.is_sent_start:
            score = 0.6
        else:
            score = 0.45
        return self.make("person", start, end, score)
