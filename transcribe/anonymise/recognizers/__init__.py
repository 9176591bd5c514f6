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
from .base import CATEGORY_OF_ENTITY, ENTITY_KEY, ENTITY_OF_CATEGORY, SOURCE_KEY, ProjectRecognizer
from .fuzzy import FuzzyRosterRecognizer, name_similarity
from .gazetteer import GazetteerRecognizer
from .institutions import InstitutionRecognizer
from .misheard import PROBABILITIES_KEY, MisheardNameRecognizer
from .ner import NerRecognizer
from .patterns import pattern_recognizers
from .roster import RosterRecognizer
from .study_lists import StudyListRecognizer
from .words import Lexicon

__all__ = [
    "CATEGORY_OF_ENTITY", "ENTITY_KEY", "ENTITY_OF_CATEGORY", "PROBABILITIES_KEY", "SOURCE_KEY",
    "AddressRecognizer", "FuzzyRosterRecognizer", "GazetteerRecognizer", "InstitutionRecognizer", "Lexicon",
    "MisheardNameRecognizer", "NerRecognizer", "ProjectRecognizer", "RosterRecognizer", "StudyListRecognizer",
    "build_registry", "name_similarity",
]


def build_registry(config, lexicon: Lexicon):
    """The registry for a DetectorConfig: only the recognisers it asks for (no other countries')."""
    from presidio_analyzer import RecognizerRegistry

    fuzzy = FuzzyRosterRecognizer(config.roster, lexicon, config.fuzzy_threshold)
    gazetteer = GazetteerRecognizer(lexicon) if config.use_gazetteer else None
    recognizers = [
        RosterRecognizer(config.roster, lexicon),
        StudyListRecognizer(config.places, config.organisations, lexicon),
        *pattern_recognizers(config.dates),
        fuzzy,
    ]
    ner_entities = [*(("PERSON", "LOCATION", "ORGANIZATION") if config.use_ner else ()),
                    *(("DATE_TIME",) if config.dates else ())]
    if ner_entities:
        recognizers.append(NerRecognizer(ner_entities, gazetteer))
    if gazetteer is not None:
        recognizers.append(gazetteer)
    if config.use_speech:
        recognizers += [InstitutionRecognizer(lexicon), AddressRecognizer(lexicon),
                        MisheardNameRecognizer(lexicon, fuzzy if config.roster else None)]
    return RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
