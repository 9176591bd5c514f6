"""Identifiers as speech recognition writes them in hard audio (issue 24): numbers grouped with
hyphens, dots or spaces, after an inline marker; a house number, any words and a street-type word;
study places in misheard forms. Each case is one a recording of the held-out evaluation published."""

from __future__ import annotations

from dataclasses import replace

import pytest

from test_detect import STUDY
from transcribe.anonymise.detect import Detector

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(replace(STUDY, places=STUDY.places + ("Leyton",)))


def found(detector, text: str, unsure: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    """(text, category) of every detection; the words in `unsure` get a word probability of 0.2, the others 0.9."""
    spans, position = [], 0
    for word in text.split():
        start = text.index(word, position)
        position = start + len(word)
        spans.append((start, position, 0.2 if word.strip(".,") in unsure else 0.9))
    return {(d.text, d.category) for d in detector.detect(text, spans)}


@pytest.mark.parametrize("text, number", [
    ("She said [crosstalk] 7700-900-0123 was her number.", "7700-900-0123"),
    ("[crosstalk 00:01:02] 7700-900-0123 is mine.", "7700-900-0123"),
    ("It's 07700-900-0123.", "07700-900-0123"),
    ("Call me on 7700.900.0123 any time.", "7700.900.0123"),
    ("Call me on 7700 900 0123 any time.", "7700 900 0123"),
    ("[inaudible 00:00:04] 020-7946-0958 is the office.", "020-7946-0958"),
])
def test_grouped_phone_numbers_are_found(detector, text, number):
    assert (number, "phone") in found(detector, text)


@pytest.mark.parametrize("text", ["It was 2015-12-22 when we met.", "From 1996-2002 I worked there.",
                                  "Ages 5-11 go to the primary."])
def test_dates_and_ranges_are_no_phone_numbers(detector, text):
    assert not {c for _, c in found(detector, text)} & {"phone", "number"}


@pytest.mark.parametrize("text, address", [
    ("I lived at 14 chats were thrown road for years.", "14 chats were thrown road"),
    ("We moved to 14 chats were thrown road.", "14 chats were thrown road"),
    ("Her flat was at 22 bell sized avenue.", "22 bell sized avenue"),
])
def test_a_house_number_and_a_street_word_make_an_address_whatever_the_words(detector, text, address):
    assert (address, "address") in found(detector, text)


@pytest.mark.parametrize("text", ["He is 14 and goes to school on the road.", "I was 14 on that road.",
                                  "There were 14 of us on the road."])
def test_a_number_in_ordinary_speech_before_road_is_no_address(detector, text):
    assert "address" not in {c for _, c in found(detector, text)}


def test_a_study_place_misheard_as_an_ordinary_word_is_found_when_the_recogniser_was_unsure(detector):
    assert ("late", "place") in found(detector, "I grew up in late and then moved.", unsure=("late",))
    assert ("late", "place") not in found(detector, "I grew up in late and then moved.")  # sure of it: a word
    assert "place" not in {c for _, c in found(detector, "We came in late again.")}


@pytest.mark.parametrize("text, misheard", [("We lived in Harhills for years.", "Harhills"),
                                            ("my mum came from lewishum", "lewishum")])
def test_a_study_place_misspelt_is_found(detector, text, misheard):
    assert (misheard, "place") in found(detector, text)
