"""The safety net for free text (quotes' clarifications, case variables, notes): issue 26."""

from __future__ import annotations

import pytest

from transcribe.anonymise.key import KeyEntry, StudyKey
from transcribe.anonymise.text_check import readable_names
from transcribe.folders import Folders
from transcribe.study import Person, Study

PEOPLE = [Person("p1", ("Zoë Hart", "Zoe"), "participant"), Person("will", ("Will",), "other"),
          Person("I", ("Helen Carter",), "interviewer")]


@pytest.fixture
def study(tmp_path):
    """A study whose key holds two places on no list of the study file, one of them allowed."""
    folders = Folders.of(tmp_path / "transcripts")
    folders.private.mkdir()
    StudyKey(PEOPLE, "I", [KeyEntry("[Place 1]", "place", "harehills", "p1"),
                           KeyEntry("[Place 2]", "place", "leeds", "p1")]).save(folders.key)
    return Study(people=PEOPLE, allow=["Leeds"]), folders


@pytest.mark.parametrize("text, leaks", [
    ("they [Zoe's mentors] are the best", True),  # a roster alias, possessive, in the researcher's brackets
    ("[zoe hart] said so", True),  # folded: case
    ("we moved to [Harehills]", True),  # an original in the key
    ("my friend will came", True),
    ("I will come back", True),  # also an ordinary word: free text has no review to keep it
    ("they [the mentors] are the best", False),
    ("[p1] told [Name 1] about [Place 1]", False),  # placeholders are not names
    ("a clinic in Leeds", False),  # the study's allow list keeps it
])
def test_known_names_in_free_text_are_found_and_placeholders_left_alone(study, text, leaks):
    assert readable_names([("quote 1", text)], *study) == (["quote 1"] if leaks else [])


def test_only_the_labels_of_texts_with_a_name_are_returned(study):
    texts = [("variable role of p1", "staff"), ("note", "methods as run"), ("quote 2", "ask Helen")]
    assert readable_names(texts, *study) == ["quote 2"]


def test_the_net_names_the_forms_it_finds_in_a_text(study):
    from transcribe.anonymise.safety_net import SafetyNet

    study_, folders = study
    net = SafetyNet(PEOPLE, StudyKey.load(folders.key, PEOPLE), study_.allow)
    assert net.find_in_text("[Zoë's] mentor met Helen Carter in Harehills") == ["Zoë's", "Helen Carter", "Harehills"]
