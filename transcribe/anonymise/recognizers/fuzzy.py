"""Speech-recognition spellings of roster names ("Sara", "Okafir"), by how they look and sound.

Jaro-Winkler similarity, raised halfway to 1 when the words sound alike (Metaphone). Measured
with the demo roster: at 0.9 every ASR misspelling tried matches ("Marg" is the lowest, at 0.9),
and 0.7 words in 10,000 of the fortune-mod corpus do, nearly all of them other people's names
("Davis"). Lower-case words must be nearer still (halfway to 1).
"""

from __future__ import annotations

from collections.abc import Iterable

import jellyfish

from ...text import fold
from ..languages import TITLES
from .base import ProjectRecognizer
from .words import Lexicon, is_capitalised

MIN_LENGTH = 4


def name_similarity(a: str, b: str, sound_a: str | None = None, sound_b: str | None = None) -> float:
    """Jaro-Winkler similarity of two lower-case words, halfway to 1 when they sound alike."""
    score = jellyfish.jaro_winkler_similarity(a, b)
    if (sound_a or jellyfish.metaphone(a)) == (sound_b or jellyfish.metaphone(b)):
        score = (score + 1) / 2
    return score


class FuzzyRosterRecognizer(ProjectRecognizer):
    """Tokens close to a roster name but not equal to one, and not ordinary words."""

    SOURCE = "fuzzy"
    ENTITIES = ("person",)

    def __init__(self, roster: Iterable, lexicon: Lexicon, threshold: float):
        self.lexicon = lexicon
        self.threshold = threshold
        self.lower_threshold = 1 - (1 - threshold) / 2
        targets: dict[str, set[str]] = {}
        for person in roster:
            for name in person.names:
                for word in name.split():
                    folded = fold(word).strip(".")
                    if len(folded) >= MIN_LENGTH and folded not in TITLES and folded.isalpha():
                        targets.setdefault(folded, set()).add(person.id)
        self.targets = [(word, jellyfish.metaphone(word), ids) for word, ids in targets.items()]
        super().__init__()

    def find(self, doc):
        for token in doc:
            match = self.match(token.text, token.lemma_)
            if match is not None:
                score, entity = match
                yield self.make("person", token.idx, token.idx + len(token), score, entity)

    def match(self, word: str, lemma: str | None = None, threshold: float | None = None) -> tuple[float, str | None] | None:
        """(score, person id) of the nearest roster name if `word` is near enough, else None."""
        folded = fold(word)
        if not self.targets or len(folded) < MIN_LENGTH or not folded.isalpha():
            return None
        if self.lexicon.is_common(folded, lemma):
            return None
        capitalised = is_capitalised(word)
        if not capitalised and self.lexicon.is_english(folded, lemma):
            return None  # a word of the language in lower case ("carer") is that word, not "Carter" misheard
        if threshold is None:
            threshold = self.threshold if capitalised else self.lower_threshold
        sound = jellyfish.metaphone(folded)
        best, owners = 0.0, set()
        for target, target_sound, ids in self.targets:
            if folded == target:
                return None  # an exact name belongs to the roster matcher
            score = name_similarity(folded, target, sound, target_sound)
            if score > best:
                best, owners = score, set(ids)
            elif score == best:
                owners |= ids
        if best < threshold:
            return None
        return round(best, 3), (next(iter(owners)) if len(owners) == 1 else None)


# Words after which a common word may be a misheard place ("in late": Leyton).
PLACE_PREPOSITIONS = frozenset({"in", "from", "near", "around", "outside", "towards", "via"})
# Below this word probability the recogniser was unsure (as for misheard names).
UNSURE = 0.5


class FuzzyPlaceRecognizer(ProjectRecognizer):
    """The study's places in the spellings speech recognition gives them, as roster names are matched.

    A word that is not an ordinary one and is as near to a study place as a misspelt roster name must
    be ("Harhills", "Lewishum") names that place. An ordinary word right after "in", "from", "near"
    and the like, whose sound begins as a study place's does ("in late": Leyton), names it too when
    the recogniser was unsure of the word (typed text, without word probabilities, never), scored low so that the
    review lists it first. Each detection names its study place, so it gets that place's placeholder.
    """

    SOURCE = "fuzzy"
    ENTITIES = ("place",)

    def __init__(self, places: Iterable[str], lexicon: Lexicon, threshold: float):
        self.lexicon = lexicon
        self.threshold = threshold
        self.lower_threshold = 1 - (1 - threshold) / 2
        self.targets = [(fold(place).lower(), jellyfish.metaphone(fold(place).lower()), place)
                        for place in places if len(place) >= MIN_LENGTH and " " not in place.strip()]
        super().__init__()

    def find(self, doc):
        from .misheard import word_probability

        for token in doc:
            folded = fold(token.text).lower()
            if not self.targets or len(folded) < 3 or not folded.isalpha():
                continue
            if any(folded == target for target, _, _ in self.targets):
                continue  # the study list's own match
            sound = jellyfish.metaphone(folded)
            if not self.lexicon.is_common(folded, token.lemma_):
                threshold = self.threshold if is_capitalised(token.text) else self.lower_threshold
                score, place = max((name_similarity(folded, t, sound, s), p) for t, s, p in self.targets)
                if score >= threshold:
                    yield self.make("place", token.idx, token.idx + len(token), round(score, 3), place)
                continue
            probability = word_probability(doc, token)
            if (token.i == 0 or doc[token.i - 1].lower_ not in PLACE_PREPOSITIONS or probability is None
                    or probability >= UNSURE or token.pos_ in ("VERB", "AUX")):
                continue
            sounding = [(jellyfish.jaro_winkler_similarity(folded, t), p) for t, s, p in self.targets
                        if len(sound) >= 2 and s.startswith(sound)]
            if sounding and max(sounding)[0] >= 0.6:
                yield self.make("place", token.idx, token.idx + len(token), 0.5, max(sounding)[1])
