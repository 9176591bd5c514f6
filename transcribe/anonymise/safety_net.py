"""The safety net: nothing the study knows reaches a shareable file, whatever detection found.

It runs on the anonymised transcript, the text every shareable format is rendered from, after
detection and before any shareable byte is written, and it does not trust detection or the
cache: it looks for every roster name and alias, each word of a person's multi-word name, and
every original in the study key, folded (case, diacritics, apostrophes, possessives with or
without the apostrophe, hyphens, "St"/"Saint", "centre"/"center").

A hit is turned into a detection in the identifiable transcript's coordinates, so the key gives
it its placeholder (a participant's code, the number a person already has) and the review file
lists it. Where the form is also an ordinary English word, lower case, and nothing around it marks
a name ("I will go"), it is not replaced but listed first in the review with the reason, until the
researcher accepts it. :func:`verify` then checks the final text and refuses it if anything known
is still readable that nobody decided to keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TranscribeError
from ..study import Person
from ..text import fold, fold_for_matching
from ..transcript import Transcript
from .apply import word_offsets
from .detect import Detection
from .key import StudyKey
from .languages import TITLES, profile
from .lexicons import ordinary_words

SOURCE = "safety net"
# Categories whose originals are words that can be matched in running text.
TEXT_CATEGORIES = {"person", "place", "organisation", "address", "email", "url"}
REASON_ORDINARY = "check first: on the study's list but also an ordinary word; not replaced unless you accept it"


@dataclass(frozen=True)
class Term:
    """One form to look for, and what it stands for."""

    words: tuple[str, ...]  # folded words
    category: str
    entity: str  # roster person id, or the key's original
    roster: bool


@dataclass(frozen=True)
class Hit:
    turn: int
    detection: Detection  # in the identifiable turn's text
    ordinary: bool  # an ordinary word with no name context: listed, not replaced by default


def _word_pattern(word: str) -> str:
    if word in ("st", "saint"):
        return r"(?:saint|st\.?)"
    pieces = [re.escape(piece) for piece in re.split(r"[-']", word)]
    pattern = r"[-' ]?".join(pieces)
    if len(word) > 4 and word.endswith(("re", "er")):
        pattern = pattern[:-2] + "(?:re|er)"
    return pattern


def _term_regex(term: Term) -> re.Pattern[str]:
    """Whole words, any inner possessive optional ("St James's Park" / "St James Park"); a person's
    name also with a possessive written without the apostrophe ("Zoes mum")."""
    inner = r"(?:'s|')?"
    body = r"[\s\-]+".join(_word_pattern(w) + inner for w in term.words)
    last = r"(?:s)?" if term.category == "person" else ""
    return re.compile(rf"(?<![\w@\[]){body}{last}(?![\w@\]])")


def terms_for(people: list[Person], key: StudyKey) -> list[Term]:
    """Every form the study knows: roster names and aliases, each word of a person's multi-word
    name (not titles, not short words), and every original in the key."""
    terms: dict[tuple, Term] = {}

    def add(text: str, category: str, entity: str, roster: bool) -> None:
        words = tuple(re.sub(r"(?:'s|s')$|'$", "", w.strip(".")) for w in re.split(r"\s+", fold_for_matching(text).strip())
                      if w.strip("."))
        if words and any(len(w) > 1 for w in words):
            terms.setdefault((words, category), Term(words, category, entity, roster))

    for person in people:
        for name in person.names:
            add(name, "person", person.id, True)
            parts = fold_for_matching(name).split()
            if len(parts) > 1:
                for part in parts:
                    if part.strip(".") not in TITLES and len(part) > 2:
                        add(part, "person", person.id, True)
    for entry in key.entries:
        if entry.category not in TEXT_CATEGORIES or not entry.original.strip():
            continue
        add(entry.original, entry.category, entry.original, False)
        if entry.category == "person":
            for part in entry.original.split():
                if part not in TITLES and len(part) > 2:
                    add(part, "person", entry.original, False)
    return list(terms.values())


SURROGATE = ""  # the entity of a pseudonym's term: whoever has the name in the text, not the person it stands for
SURROGATE_SCORE = 0.5  # listed to check first: a real name that is also someone's pseudonym


def surrogate_terms(key: StudyKey) -> list[Term]:
    """The words of every pseudonym in the key (anonymise/pseudonyms.py).

    Where the anonymisation wrote a pseudonym, the net never looks (it reads only words the
    anonymisation left as they were), so a pseudonym is no leak. The same name left in the text
    as it was spoken is a real name that detection missed, and one a reader would take for
    that pseudonym's person: it is found, replaced and listed to check first.
    """
    words = {fold_for_matching(w) for value in key.pseudonyms().values() for w in value.split()}
    return [Term((w,), "person", SURROGATE, False) for w in sorted(words) if len(w) > 1]


class SafetyNet:
    """Finds what the study knows in anonymised text; build once per interview write."""

    def __init__(self, people: list[Person], key: StudyKey, allow: list[str] = (), language: str = "en"):
        self.people = {p.id: p for p in people}
        # Which words are ordinary, and the context that makes one a name, are the text's language's.
        self.language = language
        self.profile = profile(language)
        self.ordinary_words = ordinary_words(self.profile.code)
        known = terms_for(people, key)
        forms = {(t.words, t.category) for t in known}  # a roster name that is also a pseudonym stays the roster's
        known += [t for t in surrogate_terms(key) if (t.words, t.category) not in forms]
        self.terms = sorted(known, key=lambda t: -sum(len(w) for w in t.words))
        self.patterns = [(term, _term_regex(term)) for term in self.terms]
        self.allow = {fold_for_matching(a).strip() for a in allow if a.strip()}

    def find(self, identifiable: Transcript, anonymised: Transcript) -> list[Hit]:
        """Known forms still readable in `anonymised`, located in `identifiable`'s turns."""
        hits = []
        for index, (original, shown) in enumerate(zip(identifiable.turns, anonymised.turns)):
            hits.extend(self._find_in_turn(index, original, shown))
        return hits

    def _find_in_turn(self, index: int, original, shown) -> list[Hit]:
        text = shown.text
        folded, positions = _folded_with_positions(text)
        taken: list[tuple[int, int]] = []
        hits = []
        for term, pattern in self.patterns:
            for match in pattern.finditer(folded):
                a, b = positions[match.start()], positions[match.end() - 1] + 1
                if any(a < y and x < b for x, y in taken) or _inside_placeholder(text, a):
                    continue
                if fold_for_matching(text[a:b]).strip("'") in self.allow:
                    continue
                span = _to_identifiable(original, shown, a, b)
                if span is None:
                    continue
                taken.append((a, b))
                ambiguous = text[a:b].islower() or _sentence_start(text, a)  # "Will you…" starts a sentence
                ordinary = self._ordinary(term, text[a:b]) and ambiguous and \
                    not _name_context(folded, match, self.profile.cues_before, self.profile.verbs_after)
                start, end = span
                category = term.category
                score = SURROGATE_SCORE if ordinary or term.entity == SURROGATE else 1.0
                detection = Detection(start, end, original.text[start:end], category, SOURCE, score,
                                      term.entity or None)
                hits.append(Hit(index, detection, ordinary))
        return hits

    def _ordinary(self, term: Term, shown: str) -> bool:
        """Whether the form is one ordinary word, looked up as written (French lemmas keep their accents)."""
        return len(term.words) == 1 and fold(shown) in self.ordinary_words


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """`text` folded, with the index in `text` of every folded character."""
    chars, positions = [], []
    for i, ch in enumerate(text):
        for f in fold_for_matching(ch):
            chars.append(f)
            positions.append(i)
    return "".join(chars), positions


def _inside_placeholder(text: str, position: int) -> bool:
    opening, closing = text.rfind("[", 0, position), text.rfind("]", 0, position)
    return opening > closing


def _name_context(folded: str, match: re.Match, cues_before: frozenset[str], verbs_after: frozenset[str]) -> bool:
    """A cue before the form ("my friend will") or a verb after it that makes it the subject ("will said")."""
    before = re.findall(r"[\w']+", folded[: match.start()])[-1:]
    after = re.findall(r"[\w']+", folded[match.end():])[:1]
    return bool(before and before[0] in cues_before or after and after[0] in verbs_after)


def _sentence_start(text: str, position: int) -> bool:
    return not text[:position].strip() or text[:position].rstrip()[-1] in ".?!"


def _to_identifiable(original, shown, a: int, b: int) -> tuple[int, int] | None:
    """The span of the identifiable turn's text that shows the same words as [a, b) of the
    anonymised one (anonymisation changes only the text of detected words, never their number)."""
    shown_spans, original_spans = word_offsets(shown), word_offsets(original)
    touched = [i for i, (x, y) in enumerate(shown_spans) if x < b and y > a]
    if not touched:
        return None
    first, last = touched[0], touched[-1]
    if shown.words[first].text.strip() != original.words[first].text.strip() or \
            shown.words[last].text.strip() != original.words[last].text.strip():
        return None  # part of a placeholder already: nothing readable to map
    start = original_spans[first][0] + (a - shown_spans[first][0])
    end = original_spans[last][0] + (b - shown_spans[last][0])
    return start, end


def protect(net: SafetyNet, identifiable: Transcript, anonymised: Transcript) -> list[Hit]:
    """Hits for the study's known forms left in `anonymised`; raise if the scan cannot run."""
    try:
        return net.find(identifiable, anonymised)
    except Exception as error:  # fail closed: a net that cannot run must stop the shareable write
        raise TranscribeError(f"the final check for known names could not run ({type(error).__name__})") from error
