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
researcher accepts it. :func:`second_pass` anonymises again with the hits, then checks the final
text and refuses it if anything known is still readable that nobody decided to keep.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ..errors import TranscribeError
from ..study import Person
from ..text import fold, fold_for_matching, folded_as_read, folded_with_positions
from ..transcript import Transcript, Turn
from .spans import word_offsets
from .detect import Detection
from . import review
from .apply import Found, anonymise
from .key import StudyKey
from .languages import TITLES, profile
from .lexicons import ordinary_words
from .recognizers.phrases import compact, compound_regex

log = logging.getLogger("transcribe")

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
    # Bounded by anything but a letter: a space, a handle's "@", a digit, "_", a typist's "[".
    return re.compile(rf"(?<![^\W\d_]){body}{last}(?![^\W\d_])")


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
        self.allow_list = tuple(allow)
        self.allow = {compact(fold_for_matching(a)) for a in allow if a.strip()}
        self.allowed = [compound_regex(a) for a in allow if a.strip()]

    def find(self, identifiable: Transcript, anonymised: Transcript) -> list[Hit]:
        """Known forms still readable in `anonymised`, located in `identifiable`'s turns."""
        hits = []
        for index, (original, shown) in enumerate(zip(identifiable.turns, anonymised.turns)):
            hits.extend(self._find_in_turn(index, original, shown))
        return hits

    def _find_in_turn(self, index: int, original: Turn, shown: Turn) -> list[Hit]:
        text = shown.text
        pair = _TurnPair.of(original, shown)
        taken: list[tuple[int, int]] = []  # in the shown text
        mapped: list[tuple[int, int]] = []  # the same, in the identifiable text
        hits = []
        for term, match, folded, a, b in self._matches(text):
            if any(a < y and x < b for x, y in taken) or pair.inside_placeholder(a):
                continue
            if term.entity == SURROGATE and pair.in_replaced_word(a, b):
                continue  # the pseudonym the anonymisation wrote there
            span = pair.to_identifiable(a, b)
            if span is None or any(span[0] < y and x < span[1] for x, y in mapped):
                continue  # a word taken whole already holds this one
            taken.append((a, b))
            mapped.append(span)
            ambiguous = text[a:b].islower() or _sentence_start(text, a)  # "Will you…" starts a sentence
            ordinary = (self._ordinary(term, text[a:b]) and ambiguous
                        and not _name_context(folded, match, self.profile.cues_before, self.profile.verbs_after))
            start, end = span
            score = SURROGATE_SCORE if ordinary or term.entity == SURROGATE else 1.0
            detection = Detection(start, end, original.text[start:end], term.category, SOURCE, score,
                                  term.entity or None)
            hits.append(Hit(index, detection, ordinary))
        return hits

    def find_in_text(self, text: str) -> list[str]:
        """The study's known forms readable in a text that is not a turn (a quote's clarification, a
        case variable, a note, a replacement the researcher typed, a header, a label), brackets and
        all: the forms found, for a refusal to say where.
        There is no review behind such a text, so an ordinary word that is also a name counts."""
        plain = text.replace("[", " ").replace("]", " ")  # a typist's brackets, not a placeholder's
        taken: list[tuple[int, int]] = []
        for term, *_, a, b in self._matches(plain):
            if term.entity == SURROGATE:
                continue  # a pseudonym the study gave is no leak in a text the tool or the researcher wrote
            if not any(a < y and x < b for x, y in taken):  # "Helen" inside "Helen Carter" is the same name
                taken.append((a, b))
        return list(dict.fromkeys(text[a:b] for a, b in sorted(taken)))

    def _matches(self, text: str):
        """Every known form in `text` that the allow list does not keep, longest forms first: its
        term, the match in the folded text, that text, and the form's span in `text`. Read as
        written ("McDonald" stays one word), then as a reader splits it (handles, camel case)."""
        allowed = [m.span() for pattern in self.allowed for m in pattern.finditer(text)]  # never replaced
        for folded, positions in (folded_with_positions(text), folded_as_read(text)):
            for term, pattern in self.patterns:
                for match in pattern.finditer(folded):
                    a, b = positions[match.start()], positions[match.end() - 1] + 1
                    if any(x <= a and b <= y for x, y in allowed):
                        continue
                    if compact(fold_for_matching(text[a:b]).strip("'")) not in self.allow:
                        yield term, match, folded, a, b

    def _ordinary(self, term: Term, shown: str) -> bool:
        """Whether the form is one ordinary word: the study's form of it ("rose" of "Rose", shown as
        "roses"), or the text as written (French lemmas keep their accents: "pierre", "hélène")."""
        return len(term.words) == 1 and (term.words[0] in self.ordinary_words or fold(shown) in self.ordinary_words)


def _name_context(folded: str, match: re.Match, cues_before: frozenset[str], verbs_after: frozenset[str]) -> bool:
    """A cue before the form ("my friend will") or a verb after it that makes it the subject ("will said")."""
    before = re.findall(r"[\w']+", folded[: match.start()])[-1:]
    after = re.findall(r"[\w']+", folded[match.end():])[:1]
    return bool(before and before[0] in cues_before or after and after[0] in verbs_after)


def _sentence_start(text: str, position: int) -> bool:
    return not text[:position].strip() or text[:position].rstrip()[-1] in ".?!"


@dataclass
class _TurnPair:
    """One turn as the identifiable and the anonymised transcript have it, word by word
    (anonymisation changes only the text of detected words, never their number)."""

    original: Turn
    shown: Turn
    original_spans: list[tuple[int, int]]
    shown_spans: list[tuple[int, int]]
    replaced: list[bool]  # the word's text was replaced

    @classmethod
    def of(cls, original: Turn, shown: Turn) -> "_TurnPair":
        replaced = [s.text.strip() != o.text.strip() for o, s in zip(original.words, shown.words)]
        return cls(original, shown, word_offsets(original), word_offsets(shown), replaced)

    def inside_placeholder(self, position: int) -> bool:
        """Whether `position` of the shown turn is inside the brackets of a placeholder the
        anonymiser wrote: brackets in a word whose text it replaced ("[Name 1]"), not a typist's
        note ("[Sarah laughs]")."""
        text = self.shown.text
        opening, closing = text.rfind("[", 0, position), text.rfind("]", 0, position)
        if opening <= closing:
            return False
        index = next((i for i, (x, y) in enumerate(self.shown_spans) if x <= opening < y), None)
        return index is not None and self.replaced[index]

    def in_replaced_word(self, a: int, b: int) -> bool:
        """Whether [a, b) of the shown turn touches a word whose text the anonymisation replaced."""
        return any(x < b and y > a and self.replaced[i] for i, (x, y) in enumerate(self.shown_spans))

    def to_identifiable(self, a: int, b: int) -> tuple[int, int] | None:
        """The span of the identifiable turn's text that shows the same words as [a, b) of the
        anonymised one. Given only spans outside placeholders' brackets."""
        touched = [i for i, (x, y) in enumerate(self.shown_spans) if x < b and y > a]
        if not touched:
            return None
        first, last = touched[0], touched[-1]
        # A word that already holds a placeholder but still shows the name ("sarah_jones_[URL 1]") is
        # taken whole: its own offsets no longer match the identifiable word's.
        start = self.original_spans[first][0] + (0 if self.replaced[first] else a - self.shown_spans[first][0])
        end = (self.original_spans[last][1] if self.replaced[last]
               else self.original_spans[last][0] + (b - self.shown_spans[last][0]))
        return start, end


def names_among(texts: list[str], people: list[Person], key: StudyKey | None = None) -> list[str]:
    """The texts (an allow list, a "never replace" choice) that are a name or alias of someone on the
    roster, an original in the key, or a word of one: keeping them readable would publish a name."""
    forms = set()
    for person in people:
        for name in person.names:
            folded = fold_for_matching(name).strip()
            forms.add(folded)
            forms.update(w.strip(".") for w in folded.split() if w.strip(".") not in TITLES and len(w.strip(".")) > 2)
    for entry in key.entries if key else ():
        if entry.category in TEXT_CATEGORIES and entry.original.strip():
            forms.add(entry.original)
            if entry.category == "person":
                forms.update(w for w in entry.original.split() if w not in TITLES and len(w) > 2)
    return [text for text in texts if fold_for_matching(text).strip().strip("'") in forms]


def protect(net: SafetyNet, identifiable: Transcript, anonymised: Transcript) -> list[Hit]:
    """Hits for the study's known forms left in `anonymised`; raise if the scan cannot run."""
    try:
        return net.find(identifiable, anonymised)
    except Exception as error:  # fail closed: a net that cannot run must stop the shareable write
        raise TranscribeError(f"the final check for known names could not run ({type(error).__name__})") from error


def second_pass(net: SafetyNet, transcript: Transcript, first, recorded: dict, key: StudyKey, styles,
                local: frozenset[str] = frozenset()):
    """Run the net over the anonymised text (whatever detection and the cache said) and anonymise
    again with its hits; then check that nothing known is left.

    `first` is the first anonymisation: (detections, decisions, anonymised transcript, proposals);
    `recorded`, the researcher's decisions from review.csv. Returns the same four with the net's
    hits (ordinary words the researcher has not accepted are kept as they are, and listed first in
    the review), and why the text must not be shared (None if it may).
    """
    found, decisions, anonymised, proposals = first
    # Left alone here: what the researcher kept (reject), and the replacements they typed, whose
    # words the renderer checks itself, to name the line (render.Renderer._unsafe).
    kept = [(f.turn, f.detection.start, f.detection.end) for f in found
            if decisions.get(f.id, "").strip().lower() not in ("", "accept")]
    hits = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
    if hits:
        extra = [Found(h.turn, h.detection) for h in hits]
        # A hit that takes a whole word replaces the detections inside it ("notes.do" as a web address).
        found = [f for f in found if not any(_overlaps(h, [(f.turn, f.detection.start, f.detection.end)])
                                             for h in hits)]
        found = sorted(found + extra, key=lambda f: (f.turn, f.detection.start))
        decisions = review.decisions_for(recorded, transcript.code, found)
        effective = dict(decisions)
        for hit, item in zip(hits, extra):
            if hit.ordinary and not decisions.get(item.id):
                effective[item.id] = "reject"
        kept = [(f.turn, f.detection.start, f.detection.end) for f in found
                if effective.get(f.id, "").strip().lower() not in ("", "accept")]
        anonymised, proposals = anonymise(transcript, found, effective, key, styles, local)
        anonymised.anonymisation["safety_net"] = sum(1 for f in extra if effective.get(f.id) != "reject")
        log.info("%s: the safety net found %d known name(s) that detection missed", transcript.code, len(extra))
        net = SafetyNet(list(net.people.values()), key, net.allow_list, net.language)  # the key may have grown
    left = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
    refusal = f"{len(left)} name(s) the study knows would still be readable in the shareable text" if left else None
    return found, decisions, anonymised, proposals, refusal


def _overlaps(hit: Hit, spans: list[tuple[int, int, int]]) -> bool:
    d = hit.detection
    return any(turn == hit.turn and start < d.end and d.start < end for turn, start, end in spans)
