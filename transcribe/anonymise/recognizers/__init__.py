"""One Presidio recogniser per source of detections, all registered in one analyser registry.

Laid out as Presidio's own ``predefined_recognizers``: a small module per recogniser. Each result
keeps its source (roster, list, pattern, ner, fuzzy, institution, address, misheard, gazetteer)
and the roster person or list entry it names in ``recognition_metadata``.

Presidio's allow list is used (the detector passes it to the analyser); its context enhancement is
not, beyond the phone recogniser: it looks for context words among the five lemmas before a
result with stop words removed, and the name cues here are stop words ("name is", "call me")
that must come right before the name.
"""

from __future__ import annotations

from .addresses import AddressRecognizer
from .base import (
    CATEGORY_OF_ENTITY,
    ENTITY_KEY,
    ENTITY_OF_CATEGORY,
    SOURCE_KEY,
    ProjectRecognizer,
)
from .fuzzy import FuzzyPlaceRecognizer, FuzzyRosterRecognizer, name_similarity
from .gazetteer import GazetteerRecognizer
from .institutions import InstitutionRecognizer
from .misheard import PROBABILITIES_KEY, MisheardNameRecognizer
from .ner import NerRecognizer
from .numbers import NumberRecognizer
from .patterns import pattern_recognizers
from .roster import RosterRecognizer
from .study_lists import StudyListRecognizer
from .words import Lexicon

__all__ = [
    "CATEGORY_OF_ENTITY", "ENTITY_KEY", "ENTITY_OF_CATEGORY", "PROBABILITIES_KEY", "SOURCE_KEY",
    "AddressRecognizer", "FuzzyPlaceRecognizer", "FuzzyRosterRecognizer", "GazetteerRecognizer", "InstitutionRecognizer", "Lexicon",
    "MisheardNameRecognizer", "NerRecognizer", "NumberRecognizer", "ProjectRecognizer", "RosterRecognizer",
    "StudyListRecognizer",
    "build_registry", "name_similarity",
]


def build_registry(config, lexicon: Lexicon, profile, ner=NerRecognizer):
    """The registry for a DetectorConfig in the language of `profile` (a languages.LanguageProfile):
    only the recognisers it asks for (no other countries'), and only those that serve the language;
    `ner` is the language's NerRecognizer.

    The roster, study lists, fuzzy roster matching, gazetteers (names and places of every
    country), NER (the language's spaCy model) and the pattern recognisers serve every language
    anonymisation supports; the speech heuristics (institutions, addresses, misheard names) know
    English only.
    """
    from presidio_analyzer import RecognizerRegistry

    fuzzy = FuzzyRosterRecognizer(config.roster, lexicon, config.fuzzy_threshold)
    gazetteer = GazetteerRecognizer(lexicon) if config.use_gazetteer else None
    recognizers = [
        RosterRecognizer(config.roster, lexicon),
        StudyListRecognizer(config.places, config.organisations, lexicon),
        *pattern_recognizers(config.dates),
        fuzzy,
        FuzzyPlaceRecognizer(config.places, lexicon, config.fuzzy_threshold),
    ]
    ner_entities = [*(("PERSON", "LOCATION", "ORGANIZATION") if config.use_ner else ()),
                    *(("DATE_TIME",) if config.dates else ())]
    if ner_entities:
        recognizers.append(ner(ner_entities, gazetteer, lexicon))
    if gazetteer is not None:
        recognizers.append(gazetteer)
    if config.use_speech and profile.speech_rules:
        recognizers += [InstitutionRecognizer(lexicon), AddressRecognizer(lexicon), NumberRecognizer(lexicon),
                        MisheardNameRecognizer(lexicon, fuzzy if config.roster else None)]
    for recognizer in recognizers:
        _serve(recognizer, profile)
    return RecognizerRegistry(recognizers=recognizers, supported_languages=[profile.code])


def _serve(recognizer, profile) -> None:
    """Register `recognizer` for the profile's language.

    Presidio gives a recogniser one language, fixed when it is made (English here); the ones above
    read the NLP engine's doc, whatever its language, so changing it is all they need. Telephone
    numbers also need the language's context words and its countries' numbering plans.
    """
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    recognizer.supported_language = profile.code
    if profile.phone_context and "PHONE_NUMBER" in recognizer.supported_entities:
        recognizer.context = [*(recognizer.context or ()), *profile.phone_context]
        if isinstance(recognizer, PhoneRecognizer):
            recognizer.supported_regions = (*profile.phone_regions, *recognizer.supported_regions)
