"""Numbers that identify someone, as speech recognition writes them.

- Long digit runs, written as one token or in groups with spaces, hyphens or dots ("085 175 7641",
  "0494 92 82 32", "7700-900-0123", "+1-903-140-4508x769"), wherever they stand (after a
  "[crosstalk]" marker too): seven to thirteen digits are a phone number, more (a card, an account)
  or letters mixed with eight or more digits (an IBAN, a reference) an identifying number.
- Flat, apartment, suite and post-box numbers ("apt 595", "flat 3b", "po box 186").
- The numbers around a street address that the street-word rules cannot see because the street
  name is foreign or unknown: a house number before a word outside the English lexicon
  ("28245 puruntie 82"), and a postcode-length number right after a place name ("finland 11507").

Years and dates ("1996 2002", "2015 12 22"), ages, counts and prices stay: a run needs seven digits, and a number next to
a word needs that word to be unknown or a place.
"""

from __future__ import annotations

import re

from .addresses import STREETS, STREETS_IF_NAMED
from .base import ProjectRecognizer
from .words import Lexicon, place_names

# A token of digits with the separators phone numbers are written with: "0494", "903-140-4508x769".
_DIGITS = re.compile(r"^\+?\(?\d[\d().\-]*(?:x\d+)?$")
# Letters and digits together, as in an IBAN or a reference number ("gb49aher72277635787006").
_CODE = re.compile(r"^(?=(?:[a-z]*\d){8})[a-z0-9]{10,34}$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_UNIT_WORDS = frozenset({"apt", "apartment", "suite", "flat"})
_BOX = re.compile(r"^p\.?o\.?$", re.IGNORECASE)
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 13
_SEPARATORS = frozenset({"-", ".", "/", "–"})


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _joins(doc, k: int, first: int) -> bool:
    """Whether token `k` is a separator inside a digit run that started at `first`."""
    return k > first and doc[k].text in _SEPARATORS


def _is_digits(token) -> bool:
    return bool(_DIGITS.match(token.text))


def _unit_number(token) -> bool:
    """'595', '3b', '#12': what follows "apt" or "flat"."""
    return bool(re.fullmatch(r"#?\d{1,5}[a-z]?", token.text, re.IGNORECASE))


class NumberRecognizer(ProjectRecognizer):
    SOURCE = "number"
    ENTITIES = ("phone", "number", "address")

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.places = place_names()
        super().__init__()

    def find(self, doc):
        yield from self._runs(doc)
        yield from self._units(doc)
        yield from self._around_streets(doc)

    def _runs(self, doc):
        i = 0
        while i < len(doc):
            if _CODE.match(doc[i].text) and not doc[i].text.isdigit():
                yield self.make("number", doc[i].idx, doc[i].idx + len(doc[i]), 0.6)
                i += 1
                continue
            j = i
            while j < len(doc) and _is_digits(doc[j]) and (j == i or doc[j - 1].whitespace_ or _joins(doc, j - 1, i)):
                j += 1
                # "7700-900-0123", "7700.900.0123": spaCy splits digits at a hyphen or dot between them.
                if (j + 1 < len(doc) and doc[j].text in _SEPARATORS and not doc[j - 1].whitespace_
                        and not doc[j].whitespace_ and _is_digits(doc[j + 1])):
                    j += 1
            if j == i:
                i += 1
                continue
            tokens = doc[i:j]
            # Year-shaped groups do not count: "1996 2002" and "2015 12 22" are no phone numbers.
            digits = sum(_digit_count(t.text) for t in tokens if not _YEAR.match(t.text))
            if digits >= MIN_PHONE_DIGITS:
                yield self.make(self._run_category(doc, i, j, digits), tokens.start_char, tokens.end_char, 0.5)
            i = j

    def _run_category(self, doc, i: int, j: int, digits: int) -> str:
        """Digits after "apt" or before a street ("66029 138 consul place") are an address."""
        before = doc[i - 1].lower_.rstrip(".") if i > 0 else ""
        after = doc[j] if j < len(doc) else None
        if before in _UNIT_WORDS or before == "box":
            return "address"
        if after is not None and (after.lower_ in STREETS or self._unknown(after)
                                  or (j + 1 < len(doc) and doc[j + 1].lower_ in STREETS | STREETS_IF_NAMED)):
            return "address"
        return "phone" if digits <= MAX_PHONE_DIGITS else "number"

    def _units(self, doc):
        for i, token in enumerate(doc[:-1]):
            lower = token.lower_.rstrip(".")
            start = i
            if lower == "box" and i > 0 and _BOX.match(doc[i - 1].text):
                start = i - 1
            elif lower not in _UNIT_WORDS:
                continue
            if _unit_number(doc[i + 1]):
                span = doc[start:i + 2]
                yield self.make("address", span.start_char, span.end_char, 0.6)

    def _around_streets(self, doc):
        for i, token in enumerate(doc):
            if not re.fullmatch(r"\d{1,6}[a-z]?", token.text, re.IGNORECASE):
                continue
            after = doc[i + 1] if i + 1 < len(doc) else None
            if after is not None and self._unknown(after) and not _YEAR.match(token.text):
                end = i + 2
                while end < len(doc) and end - i <= 3 and self._unknown(doc[end]):
                    end += 1
                if end < len(doc) and re.fullmatch(r"\d{1,5}[a-z]?", doc[end].text):
                    end += 1  # "puruntie 82": the number after a foreign street name
                span = doc[i:end]
                yield self.make("address", span.start_char, span.end_char, 0.55)
            elif (self._after_place(doc, i) and 4 <= len(token.text) <= 6 and token.text.isdigit()
                  and not _YEAR.match(token.text)):
                yield self.make("address", token.idx, token.idx + len(token), 0.5)

    def _after_place(self, doc, i: int) -> bool:
        """Whether the one or two words before token `i` name a place ("finland", "new zealand")."""
        return any(i >= n and doc[i - n:i].text.lower() in self.places for n in (1, 2))

    def _unknown(self, token) -> bool:
        """A word that is no English word: a street or place name the lexicon does not know."""
        return token.is_alpha and len(token.text) > 2 and not self.lexicon.is_english(token.text, token.lemma_)
