"""First names (Faker's per-locale lists) and places (GeoNames towns of 15,000+ people, ISO 3166-2
UK subdivisions such as London boroughs, countries), which catch lower-case speech NER misses.

Words that are also ordinary English ("will", "grace", "reading") are held back unless their
context marks them as names: capitalised mid-sentence, after a cue ("my friend", "moved to"), or
before a capitalised surname; never where the tagger reads them as a verb, adjective and so on.
"""

from __future__ import annotations

from ...text import fold
from ..languages import profile
from .base import ProjectRecognizer
from .words import (
    NUMERIC_ENTS,
    Lexicon,
    after_place_word,
    first_names,
    is_filler,
    named_by_context,
    place_names,
)


class GazetteerRecognizer(ProjectRecognizer):
    SOURCE = "gazetteer"
    ENTITIES = ("person", "place")
    MAX_PLACE_WORDS = 4

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.first_names = first_names()
        self.places = place_names()
        super().__init__()

    def is_place(self, text: str) -> bool:
        """Whether `text` is a known place name."""
        return fold(text) in self.places

    def is_first_name_only(self, word: str) -> bool:
        """Whether `word` is a known first name and not also a place or an ordinary word."""
        folded = fold(word)
        return folded in self.first_names and folded not in self.places and not self.lexicon.is_common(folded)

    def find(self, doc):
        """Name and place candidates among the doc's tokens, longest place phrase first."""
        i = 0
        while i < len(doc):
            candidate = self._candidate_at(doc, i)
            found = self._judge(*candidate) if candidate else None
            if found is not None:
                yield found
                i = candidate[0].end
            else:
                i += 1

    def _candidate_at(self, doc, i: int):
        """(span, category) for the longest place name or a first name at i.

        A word that is both a name and a place ("Florence", "Logan") is a place only after a
        place word.
        """
        for n in range(min(self.MAX_PLACE_WORDS, len(doc) - i), 0, -1):
            span = doc[i:i + n]
            if self.is_place(span.text):
                if n == 1 and doc[i].lower_ in self.first_names and not after_place_word(span):
                    return span, "person"
                return span, "place"
        if doc[i].lower_ in self.first_names:
            return doc[i:i + 1], "person"
        return None

    def _judge(self, span, category: str):
        """A result if the span reads as a name here, scored by how much evidence there is."""
        if any(t.ent_type_ in NUMERIC_ENTS or (not t.is_alpha and not t.is_punct and not _hyphenated_word(t))
               for t in span):
            return None
        if is_filler(span.text):
            return None
        common = self.lexicon.is_common(span.text, span.lemma_ if len(span) == 1 else None)
        if common and not named_by_context(span, category):
            if category == "person" and _lower_case_subject(span):
                return self.make(category, span.start_char, span.end_char, 0.35)
            return None
        return self.make(category, span.start_char, span.end_char, 0.4 if common else 0.5)


def _hyphenated_word(token) -> bool:
    """A hyphenated word a tokeniser keeps whole ("saint-étienne" in French; English splits them)."""
    return profile(token.lang_).hyphenated_words and token.text.replace("-", "").isalpha()


def _lower_case_subject(span) -> bool:
    """A lower-case first name that is also a word, as the subject of a verb ("grace says", "tom
    drives me"): in speech without capitals, the only sign left. Listed to check first."""
    token = span[0]
    if len(span) != 1 or not token.is_lower or token.dep_ not in ("nsubj", "nsubjpass", "conj"):
        return False
    if token.pos_ not in ("NOUN", "PROPN"):
        return False
    before = token.doc[token.i - 1] if token.i > 0 else None
    if before is not None and (before.pos_ in ("DET", "ADJ", "NUM") or before.tag_ == "PRP$"):
        return False
    head = token.head if token.dep_ != "conj" else token.head.head
    # A verb of its own ("grace says"), not a copula ("hope is the right word").
    return head.pos_ == "VERB" and head.lemma_ != "be" and head.i > token.i
