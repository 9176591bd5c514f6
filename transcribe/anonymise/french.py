"""What French detection and the French safety net need beyond the English ones: a French lexicon
and the corrections of the French named-entity recogniser (its words are in languages.py).

The lexicon is the French spaCy model's own lemmatiser tables (Lefff-derived, as shipped in
fr_core_news_sm) and spaCy's French stop words, so nothing else is installed. Lefff lists some
first names and surnames as nouns ("julie", "dupont"); a lemma counts as an ordinary word only
when the tables also know inflected forms of it ("pierres", "roses") or list it as invariable
("temps", "mars"), which drops most of them. Those left are real words too ("olivier", "aurore"):
like "will" or "grace" in English, they need a name's context in lower case.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..errors import TranscribeError
from .languages import FRENCH
from .recognizers.ner import NerRecognizer
from .recognizers.words import Lexicon

# Months and days: ordinary words the lemma tables do not list as lemmas ("en mai").
CALENDAR = frozenset({"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                      "novembre", "décembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"})
class FrenchWords:
    """Membership in a set of French lemmas, for a word or any form the lemmatiser's tables map to
    one of them ("marie" -> "marier", "suis" -> "être")."""

    def __init__(self, lemmas: Iterable[str]):
        self.lemmas = frozenset(lemmas)
        self.forms = _tables()[1]
        self.irregular = _irregular_forms()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if word in self.lemmas:
            return True
        lemmas = self.irregular.get(word) or self.forms.get(word)
        if isinstance(lemmas, str):
            lemmas = [lemmas]
        return any(lemma in self.lemmas for lemma in lemmas or ())


@functools.cache
def _tables():
    """The French model's lemma index (lemmas by part of speech), lookup table (form -> lemmas) and
    exceptions (irregular form -> lemmas, per part of speech)."""
    import importlib.util
    from pathlib import Path

    from spacy.lookups import Lookups

    spec = importlib.util.find_spec(FRENCH.spacy_model)
    if spec is None or spec.origin is None:
        raise TranscribeError(f"The spaCy model {FRENCH.spacy_model} is not installed; French anonymisation needs it. "
                              f"Install it with: pip install {FRENCH.spacy_package}")
    folders = sorted(Path(spec.origin).parent.glob("*/lemmatizer/lookups"))
    if not folders:
        raise TranscribeError(f"The spaCy model {FRENCH.spacy_model} has no lemmatiser tables; reinstall it: "
                              f"pip install {FRENCH.spacy_package}")
    lookups = Lookups().from_disk(folders[0])
    return lookups.get_table("lemma_index"), lookups.get_table("lemma_lookup"), lookups.get_table("lemma_exc")


@functools.cache
def _irregular_forms() -> dict[str, list[str]]:
    forms: dict[str, list[str]] = {}
    for table in lookups_exceptions().values():
        for form, lemmas in table.items():
            forms.setdefault(form, []).extend(lemmas)
    return forms


def lookups_exceptions() -> dict[str, dict[str, list[str]]]:
    """The lemmatiser's exceptions per part of speech: irregular form -> lemmas."""
    exceptions = _tables()[2]
    parts = ("noun", "verb", "adj", "adv", "adp", "det", "pron", "aux", "cconj", "sconj")
    return {pos: exceptions[pos] for pos in parts if pos in exceptions}


@functools.cache
def _lemmas() -> tuple[frozenset[str], frozenset[str]]:
    """(every French word the tables know, the ordinary ones): ordinary are the lemmas with
    inflected forms in the lookup table, invariable words, months and days."""
    index, forms, _ = _tables()
    lemmas = frozenset(w for pos in ("noun", "verb", "adj", "adv") for w in index[pos] if w.islower())
    inflected = set()
    for value in forms.values():
        inflected.update([value] if isinstance(value, str) else value)
    # Irregular and invariable words ("temps", "mars") are exceptions that map to themselves.
    exceptions = lookups_exceptions()
    invariable = {form for pos in ("noun", "adj") for form, lemmas_of in exceptions.get(pos, {}).items()
                  if form.islower() and form in lemmas_of}
    words = {form for table in exceptions.values() for form in table if form.islower()}
    words.update(lemma for table in exceptions.values() for lemmas_of in table.values() for lemma in lemmas_of)
    return lemmas | frozenset(words), (lemmas & frozenset(inflected)) | frozenset(invariable) | CALENDAR


def stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(w.lower() for w in STOP_WORDS)


@functools.cache
def ordinary_words() -> FrenchWords:
    """Ordinary French words (and their forms): lemmas with inflected forms, and stop words."""
    _, common = _lemmas()
    return FrenchWords(common | stop_words())


class FrenchLexicon(Lexicon):
    """Lexicon's questions answered for French: ``is_common`` from ordinary_words(), and
    ``is_english`` (any dictionary knows the word) from every lemma of the index, its forms, the
    stop words and the fillers of speech."""

    def __init__(self, nlp=None):  # noqa: ARG002 - the tables are read from the model's folder
        lemmas, _ = _lemmas()
        self._common = ordinary_words()
        self._english = FrenchWords(lemmas | stop_words() | FRENCH.fillers)


# An NER place that starts with one of these is an organisation ("l'hôpital Édouard-Herriot").
INSTITUTION_WORDS = frozenset({
    "hôpital", "clinique", "université", "école", "collège", "lycée", "faculté", "fac", "institut", "mairie",
    "association", "centre", "maison", "pharmacie", "banque", "société", "entreprise", "cabinet", "fondation",
    "groupe", "crèche", "agence", "restaurant", "hôtel", "café", "boulangerie", "supermarché", "magasin", "usine",
    "église", "mosquée", "synagogue", "temple", "paroisse", "club", "théâtre", "musée", "bibliothèque",
    "médiathèque", "chu", "ehpad", "résidence", "foyer", "mission", "caisse", "office", "direction", "service",
})


class FrenchNerRecognizer(NerRecognizer):
    """spaCy's French entities, as NerRecognizer gives the English ones, corrected for the small
    French model's confusions: institutions and employers read as places ("chez Carrefour"), and a
    kinship phrase read as a person ("Ma mère")."""

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        found = super().analyze(text, entities, nlp_artifacts)
        doc = nlp_artifacts.tokens if nlp_artifacts is not None else None
        if doc is None:
            return found
        kept = []
        for r in found:
            article = re.match(r"(?i)(?:les?|la|l['’])\s*", text[r.start:r.end])
            if article and r.end - r.start > article.end():
                r.start += article.end()  # "la Croix" -> "Croix", as NerRecognizer drops "the"
            if not self._ordinary_phrase(doc, r.start, r.end):
                kept.append(r)
        return kept

    def _ordinary_phrase(self, doc, start: int, end: int) -> bool:
        """A determiner or pronoun then only lower-case ordinary words: no name in it."""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) < 2 or span[0].pos_ not in ("DET", "PRON"):
            return False
        return all(t.is_lower and self.lexicon.is_common(t.text, t.lemma_) for t in span[1:] if not t.is_punct)

    def _recategorise(self, doc, start: int, end: int, category: str) -> str:
        category = super()._recategorise(doc, start, end, category)
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or category != "place":
            return category
        before = doc[span.start - 1].lower_ if span.start > 0 else ""
        if span[0].lower_ in INSTITUTION_WORDS or before == "chez":
            return "organisation"
        return category
