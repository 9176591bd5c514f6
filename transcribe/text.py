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
the text, so that a match can be located in the original; :func:`folded_with_positions` and
:func:`folded_as_read` (as a reader splits handles and spaced-out letters into words) keep, for
each folded character, where it came from.
"""

from __future__ import annotations

import functools
import re
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


def folded_with_positions(text: str) -> tuple[str, list[int]]:
    """`text` folded, with the index in `text` of every folded character."""
    chars, positions = [], []
    for i, ch in enumerate(text):
        for f in fold_for_matching(ch):
            chars.append(f)
            positions.append(i)
    return "".join(chars), positions


# Runs of three or more single letters spaced out ("S A R A H", "S.A.R.A.H", "S-A-R-A-H").
_SPACED_LETTERS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .-]){2,}[^\W\d_](?![^\W\d_])")


def folded_as_read(text: str) -> tuple[str, list[int]]:
    """`text` folded as a reader splits it into words: "_" is a space, a capital after a small
    letter ("SarahJones") and a change between letters and digits ("Sarah2024") start a new word,
    a symbol between two letters ("Dav😀id") and invisible characters are skipped, and letters
    spaced out one by one are read as a word. With the index in `text` of every character."""
    chars: list[str] = []
    positions: list[int] = []
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cf" or ch == "\u00ad":
            continue
        before, after = (text[i - 1] if i else ""), (text[i + 1] if i + 1 < len(text) else "")
        if category in ("So", "Sk") and before.isalpha() and after.isalpha():
            continue
        if (ch.isalpha() and before and (before.islower() and ch.isupper() or before.isdigit())
                or ch.isdigit() and before.isalpha()):
            chars.append(" ")
            positions.append(i)
        for folded in fold_for_matching("_" if ch == "_" else ch).replace("_", " "):
            chars.append(folded)
            positions.append(i)
    view = "".join(chars)
    for run in reversed(list(_SPACED_LETTERS.finditer(view))):
        keep = [k for k in range(run.start(), run.end()) if view[k] not in " .-"]
        chars[run.start():run.end()] = [chars[k] for k in keep]
        positions[run.start():run.end()] = [positions[k] for k in keep]
        view = "".join(chars)
    return view, positions
