"""How texts are put in one form before they are stored or compared: one home for it.

Every text that enters the tool (recognised words, imported transcripts, the study file, the key,
review decisions, the studio's requests) passes :func:`normalise` first: compatibility forms made
plain (NFKC: fullwidth and mathematical letters, ligatures), format characters that a reader does
not see (zero-width spaces and joiners, direction marks, soft hyphens, byte order marks) taken out,
so that "Sa\u200brah" is "Sarah" everywhere after the door. :func:`invisible` says whether a text
holds any of them (the study file and the key refuse such names rather than guess).

Then two folded forms, for two jobs. :func:`fold` is for looking a word up in a word list: case, spacing and
the apostrophe made uniform, accents kept (French lemmas differ by them: "été", "ete"). :func:`
fold_for_matching` is for finding a name in recognised text however it was written: accents,
apostrophes and dashes made uniform too ("Zoë" is "zoe"), one character for each character of
the text, so that a match can be located in the original.
"""

from __future__ import annotations

import functools
import unicodedata

# Characters a reader does not see: Unicode's format characters (category Cf: zero-width space
# and joiners, direction marks, the byte order mark, soft hyphen, tag characters), variation
# selectors, the combining grapheme joiner and the Hangul fillers.
_EXTRA_INVISIBLE = (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0x180B, 0x1810),
                    *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0))


@functools.cache
def _invisible_table() -> dict[int, None]:
    cf = (c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf")
    return dict.fromkeys((*cf, *_EXTRA_INVISIBLE))


def normalise(text: str) -> str:
    """The one form every text entering the tool is stored and compared in (NFKC, nothing invisible)."""
    return unicodedata.normalize("NFKC", text).translate(_invisible_table())


def invisible(text: str) -> bool:
    """Whether `text` holds characters a reader does not see (or forms NFKC would change)."""
    table = _invisible_table()
    return any(ord(ch) in table for ch in text)


def fold(text: str) -> str:
    """Case-folded, single-spaced, with one kind of apostrophe."""
    return " ".join(text.replace("’", "'").casefold().split())


def without_accents(text: str) -> str:
    """The text without diacritics: speech recognition writes "Zoe" for the roster's "Zoë"."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# Cyrillic and Greek letters drawn like Latin ones ("Sаrah" with a Cyrillic а reads as Sarah).
LOOK_ALIKES = str.maketrans(
    "АаВЕеЅѕІіЈјКкМНОоРрСсТХхУуҮүԁԛԜԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριτυνκϲ",
    "AaBEeSsIiJjKkMHOoPpCcTXxYyYydqWwABEZHIKMNOPTYXaopitvvkc")


def fold_for_matching(text: str) -> str:
    """Lower case, no diacritics, look-alike letters as the Latin ones they look like, one kind of
    apostrophe and dash (one character for each character of the text, spaces kept)."""
    text = without_accents(text).translate(LOOK_ALIKES)
    return text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-").casefold()
