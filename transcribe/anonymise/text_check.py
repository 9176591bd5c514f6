"""The safety net for a study's free texts that are not transcripts: a quote's clarifications, case
variables, the names and the note written into a QDA project.

The net (:meth:`.safety_net.SafetyNet.find_in_text`) looks for every form the study knows. There is
no transcript behind such a text to take a replacement from, so a hit is not replaced: the caller
refuses to write the text and says where it is, never what it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..folders import Folders
from ..study import Study
from .key import StudyKey
from .languages import detection_language
from .safety_net import SafetyNet


def readable_names(texts: Iterable[tuple[str, str]], study: Study, folders: Folders) -> list[str]:
    """The labels of the texts, given as (label, text), in which a name the study knows (its roster,
    or an original in the study key) is readable."""
    key = StudyKey.load(folders.key, study.people, study.interviewer_label)
    net = SafetyNet(study.people, key, study.allow, detection_language(study.language))
    return [label for label, text in texts if text and net.find_in_text(text)]
