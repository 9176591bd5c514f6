"""What differs by language in how words are judged: the lexicon detection asks (is this a word,
an ordinary one?), the named-entity recogniser with its corrections, and the ordinary words the
safety net leaves to the researcher. English is recognizers/words.py and recognizers/ner.py,
French is french.py; this is the one place that chooses between them.
"""

from __future__ import annotations

from . import french
from .recognizers.ner import NerRecognizer
from .recognizers.words import Lexicon, common_words

LEXICONS = {"en": Lexicon, "fr": french.FrenchLexicon}
NER_RECOGNIZERS = {"en": NerRecognizer, "fr": french.FrenchNerRecognizer}
ORDINARY_WORDS = {"en": common_words, "fr": french.ordinary_words}


def lexicon(language: str) -> Lexicon:
    return LEXICONS[language]()


def ordinary_words(language: str):
    """The words of `language` that need a name's context to be one (a set, or set-like for French
    forms): in lower case on their own, the safety net lists them instead of replacing them."""
    return ORDINARY_WORDS[language]()
