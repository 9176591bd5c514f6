"""Street addresses as speech writes them: "forty two elm road", "mill lane", "fifth and main".

A street word after one to three name words. After "road", "street", "avenue" and the like, any
nouns do ("church road"), unless a determiner or an adjective shows an ordinary road ("down the
road", "the ring road", "the high street"); after words that are also ordinary ("way", "close",
"drive", "court", "place"), a name is needed ("bramble close") or a house number. A house number
before the street joins the span, and makes the words between an address whatever they are
("14 chats were thrown road", a misheard street name), unless they read as ordinary speech. Crossings: "on fifth and main", "the corner of elm and seventh".
"""

from __future__ import annotations

from ..languages import ENGLISH
from .base import ProjectRecognizer
from .institutions import GENERIC
from .words import Lexicon, first_names, is_capitalised, last_names, place_names

STREETS = frozenset({"road", "rd", "street", "avenue", "ave", "lane", "crescent", "terrace", "grove", "gardens",
                     "mews", "boulevard", "blvd", "parkway", "highway", "estate"})
STREETS_IF_NAMED = frozenset({"way", "close", "drive", "court", "place", "walk", "row", "square", "hill", "park",
                              "green", "rise", "vale", "view", "circle", "parade", "wharf", "yard", "st"})
ORDINALS = frozenset({"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                      "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                      "seventeenth", "eighteenth", "nineteenth", "twentieth"})
NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                          "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                          "ninety", "hundred"})
_ORDINARY_ROAD = frozenset({"main", "high", "ring", "back", "side", "busy", "same", "wrong", "next", "long",
                            "other", "old", "new", "big", "little", "dirt", "country", "private", "toll", "slip",
                            "access", "bypass", "service", "dual", "carriageway", "one", "two", "end", "open",
                            "whole", "top", "bottom", "far", "near", "quiet", "narrow", "steep", "winding",
                            "cross", "half", "all", "every", "each", "any", "some", "this", "that"})
_STOP_POS = {"VERB", "AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "ADV", "INTJ", "PUNCT", "SYM"}
# Words that show ordinary speech between a number and "road", not a misheard street name.
_BREAKS = {"DET", "ADP", "PRON", "CCONJ", "SCONJ", "PUNCT", "SYM", "NUM", "INTJ"}
_CROSSING_CUES = frozenset({"on", "at", "of", "off", "near", "by"})


class AddressRecognizer(ProjectRecognizer):
    SOURCE = "address"
    ENTITIES = ("address",)

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.names = first_names() | last_names() | place_names()
        super().__init__()

    def is_name(self, token) -> bool:
        if token.lower_ in ENGLISH.fillers or token.lower_ in _ORDINARY_ROAD:
            return False
        if not self.lexicon.is_common(token.text, token.lemma_) or token.lower_ in ORDINALS:
            return True
        if token.lower_ in self.names and token.pos_ in ("PROPN", "NOUN", "ADJ"):
            return True
        return is_capitalised(token.text) and not token.is_sent_start

    def find(self, doc):
        taken = -1
        for i, token in enumerate(doc):
            if i <= taken:
                continue
            lower = token.lower_
            found = None
            compound = i + 1 < len(doc) and doc[i + 1].text in ("-", "–") and doc[i + 1].idx == token.idx + len(token)
            if (lower in STREETS or lower in STREETS_IF_NAMED) and not compound:
                found = self._street(doc, i)
            elif lower == "and":
                found = self._crossing(doc, i)
            if found is not None:
                result, taken = found
                yield result

    def _street(self, doc, i: int):
        j = i
        while j > 0 and i - j < 3 and self._street_word(doc[j - 1]):
            j -= 1
        words = list(doc[j:i])
        if doc[i].lower_ in STREETS and (misheard := self._numbered(doc, i)) is not None:
            if not words or misheard < j:
                span = doc[misheard:i + 1]
                return self.make("address", span.start_char, span.end_char, 0.7), i
        if not words:
            return None
        number = j > 0 and _house_number(doc[j - 1])
        start = j
        while start > 0 and _house_number(doc[start - 1]):
            start -= 1
        before = doc[j - 1] if j > 0 else None
        determined = before is not None and (before.pos_ == "DET" or before.tag_ == "PRP$")
        # "the first road on the left" is no address; "fifth avenue" is.
        named = any(self.is_name(t) and not (determined and t.lower_ in ORDINALS) for t in words)
        ordinary = (words[0].lower_ in _ORDINARY_ROAD or words[0].lower_ in GENERIC
                    or determined
                    or any(t.pos_ == "ADJ" and not self.is_name(t) for t in words))
        if number and (named or words[0].lower_ not in _ORDINARY_ROAD | GENERIC):
            score = 0.85
        elif named:
            score = 0.8
        elif doc[i].lower_ in STREETS and not ordinary and all(t.pos_ in ("NOUN", "PROPN") for t in words):
            score = 0.6
        else:
            return None
        span = doc[start:i + 1]
        return self.make("address", span.start_char, span.end_char, score), i

    def _numbered(self, doc, i: int) -> int | None:
        """Where a house number stands one to four words before the street word at `i`, whatever those
        words are ("14 chats were thrown road": Chatsworth Road misheard), unless one of them shows
        ordinary speech instead (a determiner, a preposition, a pronoun, a conjunction, punctuation)."""
        for k in range(i - 1, max(i - 6, -1), -1):
            token = doc[k]
            if _house_number(token) and k < i - 1:
                return k if not (token.text.isdigit() and _year_shaped(token.text)) else None
            if (token.pos_ in _BREAKS or not token.is_alpha or token.lower_ in ENGLISH.fillers
                    or token.lower_ in NUMBER_WORDS):
                return None
        return None

    def _street_word(self, token) -> bool:
        if token.is_alpha and not self.lexicon.is_english(token.text, token.lemma_):
            return True
        return (token.is_alpha and token.lower_ not in ENGLISH.fillers and token.pos_ not in _STOP_POS
                and (not token.is_stop or token.lower_ in ORDINALS) and token.lower_ not in NUMBER_WORDS)

    def _crossing(self, doc, i: int):
        """"fifth and main", "elm and seventh": one of the two an ordinal, after "on", "at", "of"."""
        if i < 2 or i + 1 >= len(doc):
            return None
        left, right = doc[i - 1], doc[i + 1]
        if doc[i - 2].lower_ not in _CROSSING_CUES and doc[i - 2].lower_ != "corner":
            return None
        if not (left.is_alpha and right.is_alpha) or not ({left.lower_, right.lower_} & ORDINALS):
            return None
        if any(t.lower_ in ENGLISH.fillers or (t.is_stop and t.lower_ not in ORDINALS) for t in (left, right)):
            return None
        end = i + 2
        if end < len(doc) and (doc[end].lower_ in STREETS or doc[end].lower_ in STREETS_IF_NAMED):
            end += 1
        elif end < len(doc) and doc[end].pos_ == "NOUN":
            return None  # "on first and second floors"
        span = doc[i - 1:end]
        return self.make("address", span.start_char, span.end_char, 0.7), end - 1


def _year_shaped(text: str) -> bool:
    return len(text) == 4 and text[:2] in ("19", "20")


def _house_number(token) -> bool:
    return token.text.isdigit() or token.lower_ in NUMBER_WORDS or (token.text[:-1].isdigit() and token.text[-1:].isalpha())
