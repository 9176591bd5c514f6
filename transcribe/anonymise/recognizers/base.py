"""What every recogniser here shares: Presidio entity names, and results that keep their source."""

from __future__ import annotations

from abc import abstractmethod

from presidio_analyzer import LocalRecognizer, RecognizerResult

# Presidio's entity names and the project's categories.
ENTITY_OF_CATEGORY = {
    "person": "PERSON",
    "place": "LOCATION",
    "organisation": "ORGANIZATION",
    "address": "STREET_ADDRESS",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "url": "URL",
    "postcode": "UK_POSTCODE",
    "nhs_number": "UK_NHS",
    "date": "DATE_TIME",
    "number": "ID_NUMBER",  # card, account and reference numbers
}
CATEGORY_OF_ENTITY = {entity: category for category, entity in ENTITY_OF_CATEGORY.items()}

# Keys of RecognizerResult.recognition_metadata that carry the project's provenance.
SOURCE_KEY = "transcribe_source"
ENTITY_KEY = "transcribe_entity"


def result(recognizer: LocalRecognizer, category: str, start: int, end: int, score: float,
           source: str, entity: str | None = None) -> RecognizerResult:
    """A Presidio result whose metadata says which source found it and whom it names."""
    return RecognizerResult(
        ENTITY_OF_CATEGORY[category], start, end, round(float(score), 3),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
            SOURCE_KEY: source,
            ENTITY_KEY: entity,
        },
    )


class ProjectRecognizer(LocalRecognizer):
    """A recogniser that works on the spaCy doc Presidio's NLP engine has already made."""

    SOURCE = ""
    ENTITIES: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(supported_entities=[ENTITY_OF_CATEGORY[c] for c in self.ENTITIES],
                         supported_language="en", name=type(self).__name__, **kwargs)

    def load(self) -> None:
        """Nothing to load: lists and models come in through the constructor and the NLP engine."""

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        return [r for r in self.find(nlp_artifacts.tokens) if r.entity_type in entities]

    @abstractmethod
    def find(self, doc):
        """The results in a spaCy doc."""

    def make(self, category: str, start: int, end: int, score: float, entity: str | None = None) -> RecognizerResult:
        return result(self, category, start, end, score, self.SOURCE, entity)
