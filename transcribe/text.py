"""How texts are put in one form before they are compared: one home for folding.

Two forms, for two jobs. :func:`fold` is for looking a word up in a word list: case, spacing and
the apostrophe made uniform, accents kept (French lemmas differ by them: "été", "ete"). :func:`
fold_for_matching` is for finding a name in recognised text however it was written: accents,
apostrophes and dashes made uniform too ("Zoë" is "zoe"), one character for each character of
the text, so that a match can be located in the original.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-folded, single-spaced, with one kind of apostrophe."""
    return " ".join(text.replace("’", "'").casefold().split())


def without_accents(text: str) -> str:
    """The text without diacritics: speech recognition writes "Zoe" for the roster's "Zoë"."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold_for_matching(text: str) -> str:
    """Lower case, no diacritics, one kind of apostrophe and dash (spaces kept as they are)."""
    text = without_accents(text)
    return text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-").casefold()
