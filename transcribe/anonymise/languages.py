"""The languages anonymisation has models for: English and French.

Every other language Whisper knows is transcribed, but its names, places and organisations are
looked for with the English models and the study's own lists, and the run's summary says so.
"""

from __future__ import annotations

from ..asr import language_code

# Code -> English name, in the order the help text lists them.
ANONYMISATION_LANGUAGES = {"en": "English", "fr": "French"}
SUPPORTED_WORDING = "Anonymisation supports English and French"


def has_model(language: str | None) -> bool:
    """Whether anonymisation has models of its own for `language`."""
    return language_code(language) in ANONYMISATION_LANGUAGES


def detection_language(language: str | None) -> str:
    """The language detection reads a transcript in: its own if supported, else English."""
    code = language_code(language)
    return code if code in ANONYMISATION_LANGUAGES else "en"


def language_name(language: str | None) -> str:
    """The English name of a language code ("de" -> "German"); the code itself if Whisper does not know it."""
    from whisper.tokenizer import LANGUAGES

    code = language_code(language)
    return LANGUAGES.get(code, code).title()


def no_model_warning(language: str | None) -> str | None:
    """What a run's summary says about anonymisation in `language`: None where it has a model."""
    if has_model(language):
        return None
    return (f"Anonymisation has no {language_name(language)} model: names, places and organisations were looked "
            "for with English models and the study's own lists, so more will be missed than in English or French. "
            "Check every shareable transcript against review.csv before sharing it.")
