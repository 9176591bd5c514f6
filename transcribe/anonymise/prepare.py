"""From an identifiable transcript to its anonymised version, ready to lay out: the one path that
`run`, `apply`, `export`, `anonymise`, the cluster's driver and the review studio share.

Detection (cached under the transcript's text, the study's lists and the detector's version), the
researcher's decisions from review.csv, the study key, replacement, the safety net, and the layout
shape that keeps line numbers whatever is decided. Nothing is written here but the detection cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..cache import StageCache
from ..edits import Fitted, corrected
from ..folders import COUNTS, Folders
from ..layout import Page
from ..study import Study
from ..transcript import Transcript
from . import review
from .apply import Found, anonymise, layout_shape
from .finding import Finder
from .guesses import one_off
from .key import StudyKey, study_key
from .languages import transcript_language
from .safety_net import SafetyNet, second_pass
from ..styles import PSEUDONYM, Styles

log = logging.getLogger("transcribe")


@dataclass
class Prepared:
    """One interview ready to render: the transcript with the researcher's corrections and, when
    anonymised, its detections (the safety net's included), decisions, the anonymised version,
    proposals, the key as it now stands, the layout shape, and a refusal."""

    corrections: Fitted  # the corrections applied, and those that no longer fit
    anonymised: Transcript | None = None  # None: not anonymised (not asked for, or refused)
    found: list[Found] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)
    proposals: dict[str, str] = field(default_factory=dict)
    key: StudyKey | None = None
    shape: Transcript | None = None
    refusal: str | None = None  # why the anonymised text must not be shared; None if it may
    net: SafetyNet | None = None  # the study's known forms, for every other text the files will hold

    @property
    def transcript(self) -> Transcript:
        """The identifiable transcript with the researcher's corrections."""
        return self.corrections.transcript

    def without_shareable(self) -> "Prepared":
        return Prepared(self.corrections)


class Anonymiser:
    """Anonymises the interviews of one study; loads each language's detector once."""

    def __init__(self, study: Study, cache: StageCache, folders: Folders | None = None, styles: dict | None = None):
        """`folders`: where the key and review file are (None: detection only, as at a cluster worker);
        `styles`: a command's --style, over the study file's."""
        self.study = study
        self.folders = folders
        self.styles = Styles.of(study.styles, styles, study.speaker_labels)
        self.finder = Finder(study, cache)

    def language_of(self, transcript: Transcript) -> str:
        """The language detection reads `transcript` in."""
        return transcript_language(transcript.spoken_language, self.study.language)

    def load_key(self) -> StudyKey:
        return study_key(self.study, self.folders.key, self.styles("person") == PSEUDONYM)

    def record(self, p: Prepared, page: Page) -> list[str]:
        """Keep what a written interview's anonymisation decided: the key (with its history), the
        review rows (line numbers from the identifiable `page`) and the counts for the methods
        record. Returns the placeholders the key now holds."""
        p.key.save(self.folders.key)
        review.record(self.folders.review, p.transcript, page, p.found, p.proposals, p.decisions)
        counts = self.folders.read_record(COUNTS)
        counts[p.transcript.code] = p.anonymised.anonymisation
        self.folders.write_record(COUNTS, counts)
        return sorted(p.key.replacements())

    def prepare(self, transcript: Transcript, shareable: bool = True) -> Prepared:
        """Everything the files of one interview are rendered from, written nowhere: its corrections
        (the edit layer, applied after recognition and before detection) and, if `shareable`, the
        anonymised version: detection, the researcher's decisions, the key, replacement, the safety
        net's second pass, and the layout shape."""
        fitted = corrected(transcript, self.folders.private)
        if not shareable:
            return Prepared(fitted)
        transcript = fitted.transcript
        language = transcript_language(transcript.spoken_language, self.study.language)
        found = self.finder.detections(transcript, language)
        recorded = review.load_decisions(self.folders.review)
        decisions = review.decisions_for(recorded, transcript.code, found)
        key = study_key(self.study, self.folders.key, self.styles("person") == PSEUDONYM)
        local = frozenset(f.id for f in found if one_off(f.detection, language))
        anonymised, proposals = anonymise(transcript, found, decisions, key, self.styles, local)
        net = SafetyNet(self.study.people, key, self.study.never_replaced, language)
        found, decisions, anonymised, proposals, refusal = second_pass(
            net, transcript, (found, decisions, anonymised, proposals), recorded, key, self.styles, local)
        if self.styles.pseudonym_labels:
            key.label_participants(anonymised, self.study.people)
        clashes = key.clashes() if self.styles("person") == PSEUDONYM else []
        if clashes:  # counted, no names: the log is not private enough for them
            log.warning("%s: %d pseudonym(s) in key.csv are also the name of someone the study knows; give those "
                        "people another pseudonym in the study file or the studio if a reader could be misled",
                        transcript.code, len(clashes))
        if language != "en":  # the methods record names the model; English records stay as they were
            anonymised.anonymisation["language"] = language
        # Every detection a slot of one width: laid out beside the real versions (never
        # written), it keeps line numbers the same whatever the decisions and the hidden text.
        return Prepared(fitted, anonymised, found, decisions, proposals, key, layout_shape(transcript, found), refusal,
                        SafetyNet(self.study.people, key, self.study.allow, language))
