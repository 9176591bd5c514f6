"""The studio in the researcher's words: why something was found, and how sure, without the
internal names of the detection sources or their scores ("roster 1", "ner 0.85")."""

from __future__ import annotations

from ..anonymise.detect import Detection

CATEGORIES = {
    "person": "person", "place": "place", "organisation": "organisation", "address": "address",
    "email": "e-mail address", "phone": "phone number", "url": "web address", "postcode": "postcode",
    "nhs_number": "NHS number", "date": "date", "number": "number",
}
LISTS = {"place": "your list of places", "organisation": "your list of organisations"}
FOUND_BY = {
    "roster": "on your list of people",
    "pattern": "recognised by its form",
    "number": "a number that could identify someone",
    "address": "looks like an address",
    "institution": "looks like the name of a school, employer or other institution",
    "ner": "found by the language model",
    "fuzzy": "close to a name on your list of people",
    "misheard": "a word in no dictionary, perhaps a misheard name",
    "gazetteer": "a common first name or place name",
    "safety net": "a name the study knows, found by the final check",
    "researcher": "marked by you",
}
KNOWN = ("roster", "list", "pattern", "safety net", "researcher")  # certain by what they are


def category(name: str) -> str:
    return CATEGORIES.get(name, name.replace("_", " "))


def certainty(score: float) -> str:
    return "sure" if score >= 0.95 else "fairly sure" if score >= 0.6 else "unsure"


def why(detection: Detection, check_first: bool = False, local: bool = False) -> str:
    """One line for the side panel: what it is, why it was found, how sure, what to do."""
    source = detection.source
    found = (f"on {LISTS.get(detection.category, 'your study lists')}" if source == "list"
             else FOUND_BY.get(source, "found by the detector"))
    parts = [category(detection.category), found if source in KNOWN else f"{found}, {certainty(detection.score)}"]
    if local:
        parts.append("replaced in this line only until you accept it")
    if check_first:
        parts.append("check first")
    return " · ".join(parts)
