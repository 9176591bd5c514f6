"""Schools, hospitals, churches and employers as speech writes them: "oakwood primary", "st
mary's high", "the riverside centre", "i work at tesco".

An institution word ("high", "primary", "hospital", "centre") after one to three name words, at
least one of which is a name (not ordinary English, a known name or place, capitalised, or after
"st"); or after "the" and nouns that are not generic ("the riverside centre", not "the community
centre"), low scored. After an employer cue ("work at", "volunteer with"), the words that follow.
"""

from __future__ import annotations

from ..languages import ENGLISH
from .base import ProjectRecognizer
from .words import Lexicon, first_names, is_capitalised, last_names, place_names

HEADS = frozenset({
    "school", "high", "elementary", "primary", "secondary", "academy", "college", "university", "uni",
    "hospital", "infirmary", "hospice", "surgery", "clinic", "practice", "centre", "center", "church",
    "chapel", "cathedral", "mosque", "temple", "synagogue", "gurdwara", "library", "nursery", "grammar",
    "comprehensive", "trust", "foundation", "charity", "council", "club", "institute", "museum", "prison",
    "infants", "juniors", "middle",
})
# Institution words that mean nothing alone, and generic words before them ("the local hospital",
# "junior high", "the community centre").
GENERIC = frozenset({
    "local", "community", "health", "medical", "day", "job", "town", "city", "village", "shopping",
    "leisure", "sports", "sport", "youth", "family", "children", "kids", "resource", "advice", "main",
    "new", "old", "big", "little", "small", "nearest", "same", "other", "whole", "general", "district",
    "private", "public", "dental", "eye", "cancer", "maternity", "mental", "psychiatric", "junior",
    "senior", "catholic", "methodist", "baptist", "anglican", "parish", "state", "boarding", "night",
    "evening", "sunday", "summer", "drop", "walk", "care", "nursing", "home", "sixth", "form", "art",
    "music", "dance", "football", "cricket", "rugby", "tennis", "golf", "book", "youth", "social",
    "working", "men", "women", "mens", "womens", "village", "county", "national", "royal", "teaching",
    "university", "school", "hospital", "centre", "center", "college", "church", "club", "trust",
    "shop", "shops", "factory", "office", "warehouse", "supermarket", "pub", "restaurant", "bank",
    "station", "market", "garage", "farm", "site", "council", "charity", "gym", "pool", "hall", "very",
    "too", "so", "really", "quite", "pretty", "high", "primary", "secondary", "elementary", "nursery",
    "grammar", "comprehensive", "infant", "infants", "juniors", "middle", "call", "test", "data",
    "research", "bit", "lot", "top", "first", "second", "last", "next", "one", "two", "three", "blood",
    "pressure", "sugar", "level", "levels", "mood", "rate", "risk", "standard", "standards", "price",
})
SCHOOL_LEVELS = frozenset({"high", "elementary", "primary", "secondary", "middle", "grammar", "comprehensive",
                           "infants", "juniors"})
ORG_CUES = (
    ("work", "at"), ("works", "at"), ("worked", "at"), ("working", "at"), ("work", "for"), ("works", "for"),
    ("worked", "for"), ("working", "for"), ("job", "at"), ("job", "with"), ("employed", "by"),
    ("volunteer", "at"), ("volunteer", "with"), ("volunteer", "for"), ("volunteered", "at"),
    ("volunteered", "with"), ("volunteering", "at"), ("volunteering", "with"), ("shifts", "at"),
    ("shift", "at"), ("worked", "in"), ("work", "in"), ("works", "in"), ("working", "in"), ("grant", "from"),
    ("funded", "by"), ("run", "by"), ("shopping", "at"), ("shop", "at"),
)
_STOP_POS = {"VERB", "AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "ADV", "INTJ", "PUNCT", "NUM", "SYM"}


def after_org_cue(span) -> bool:
    """Whether an employer cue ("work at", "volunteer with") comes just before the span (or "the")."""
    doc = span.doc
    start = span.start - 1 if span.start > 0 and doc[span.start - 1].lower_ in ("the", "a") else span.start
    before = tuple(t.lower_ for t in doc[max(0, start - 2):start])
    return any(before[-len(cue):] == cue for cue in ORG_CUES)


class InstitutionRecognizer(ProjectRecognizer):
    SOURCE = "institution"
    ENTITIES = ("organisation",)

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.names = first_names() | last_names() | place_names()
        super().__init__()

    def is_name(self, token) -> bool:
        """Whether a token names something: not ordinary English, a known name, or capitalised."""
        if token.lower_ in GENERIC or token.lower_ in ENGLISH.fillers:
            return False
        if not self.lexicon.is_common(token.text, token.lemma_):
            return True
        if token.lower_ in self.names and token.pos_ in ("PROPN", "NOUN"):
            return True
        return is_capitalised(token.text) and not token.is_sent_start and token.pos_ == "PROPN"

    def name_word(self, token) -> bool:
        if token.text in ("'s", "’s"):
            return True
        if token.is_alpha and not self.lexicon.is_english(token.text, token.lemma_):
            return True  # the tagger's guess at a word it does not know means nothing
        return (token.is_alpha and token.lower_ not in ENGLISH.fillers and not token.is_stop and token.pos_ not in _STOP_POS)

    def find(self, doc):
        i, taken = 0, -1
        for i, token in enumerate(doc):
            if i <= taken or token.lower_ not in HEADS:
                continue
            found = self._at_head(doc, i) or None
            if found is not None:
                result, taken = found
                yield result
        yield from self._after_cues(doc)

    def _at_head(self, doc, i: int):
        j = i
        while j > 0 and i - j < 4 and self.name_word(doc[j - 1]):
            j -= 1
        words = [t for t in doc[j:i] if t.is_alpha]
        if not words:
            return None
        saint = j > 0 and doc[j - 1].lower_.rstrip(".") in ("st", "saint")
        start = j - 1 if saint else j
        end = i + 1
        while end < len(doc) and doc[end].lower_ in HEADS:  # "primary school", "community centre"
            end += 1
        if saint or any(self.is_name(t) for t in words):
            score = 0.85
        elif (j > 0 and doc[j - 1].lower_ == "the" and doc[i].lower_ not in SCHOOL_LEVELS
              and all(t.pos_ in ("NOUN", "PROPN") and t.lower_ not in GENERIC for t in words)):
            score = 0.5
        else:
            return None
        span = doc[start:end]
        return self.make("organisation", span.start_char, span.end_char, score), end - 1

    def _after_cues(self, doc):
        for i in range(len(doc)):
            span = doc[i:i + 1]
            if not after_org_cue(span) or doc[i].lower_ in ("the", "a"):
                continue
            j = i
            while j < len(doc) and doc[j].pos_ == "ADJ" and doc[j].lower_ in GENERIC:
                j += 1  # "the big asda"
            end = j
            while end < len(doc) and end - j < 3 and self.name_word(doc[end]) and doc[end].lower_ not in HEADS:
                end += 1
            words = list(doc[j:end])
            if not words:
                continue
            the = i > 0 and doc[i - 1].lower_ == "the"
            if any(self.is_name(t) for t in words):
                score = 0.7
            elif the and len(words) >= 2 and not any(t.lower_ in GENERIC for t in words):
                score = 0.5  # "the salvation army"
            else:
                continue
            piece = doc[j:end]
            yield self.make("organisation", piece.start_char, piece.end_char, score)
