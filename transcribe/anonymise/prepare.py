"""From an identifiable transcript to its anonymised version, ready to lay out: the one path that
`run`, `apply`, `export`, `anonymise`, the cluster's driver and the review studio share.

Detection (cached under the transcript's text, the study's lists and the detector's version), the
researcher's decisions from review.csv, the study key, replacement, the safety net, and the layout
shape that keeps line numbers whatever is decided. Nothing is written here but the detection cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .. import __version__
from ..cache import StageCache
from ..edits import Fitted, corrected
from ..errors import TranscribeError
from ..folders import COUNTS, Folders
from ..layout import Page
from ..study import Study
from ..transcript import Transcript
from ..versions import package_version
from . import review
from .apply import (
    Found,
    anonymise,
    find_identifiers,
    layout_shape,
    read_detections,
    write_detections,
)
from .guesses import one_off
from .key import StudyKey
from .languages import PROFILES, detection_language
from .safety_net import SafetyNet, protect
from ..styles import LABEL_PSEUDONYM, PSEUDONYM, Styles

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
        self.cache = cache
        self.folders = folders
        self.styles = Styles.of(study.styles, styles, study.speaker_labels)
        self._detectors = {}  # one per language: spaCy model, Presidio and word lists load once

    # --- detection ---------------------------------------------------------------------------

    def detector_for(self, language: str):
        if language not in self._detectors:
            from .detect import Detector

            self._detectors[language] = Detector(self.detector_config(language))
        return self._detectors[language]

    def detector_config(self, language: str = "en"):
        from .detect import DetectorConfig

        s = self.study
        return DetectorConfig(roster=tuple(s.people), places=tuple(s.places), organisations=tuple(s.organisations),
                              allow=self.never_replaced, language=language)

    @property
    def never_replaced(self) -> tuple[str, ...]:
        """The study's allow list and its vocabulary (project names, jargon), except a vocabulary
        entry that names someone on the roster or is on the study's lists of places and organisations."""
        s = self.study
        known = {n.casefold() for p in s.people for n in p.names} | {x.casefold() for x in [*s.places, *s.organisations]}
        return tuple(dict.fromkeys([*s.allow, *(v for v in s.vocabulary if v.casefold() not in known)]))

    def language_of(self, transcript: Transcript) -> str:
        """The language detection reads `transcript` in: the one it was recognised in (the run's
        --language), else the study's; English where anonymisation has no model for it."""
        spoken = transcript.spoken_language or self.study.language
        return detection_language(spoken)

    def detection_key(self, transcript: Transcript, language: str) -> dict:
        """What the cached detections of `transcript` depend on."""
        # Versions too: a newer detector or spaCy model may find what an older one missed.
        from .detect import DETECTOR_VERSION

        # Word probabilities too: the misheard-name recogniser weighs them.
        return {"text": [t.text for t in transcript.turns], "config": repr(self.detector_config(language)),
                "probabilities": [[round(w.probability, 3) for w in t.words] for t in transcript.turns],
                "versions": [__version__, DETECTOR_VERSION,
                             *(package_version(p) for p in ("presidio-analyzer", "spacy", PROFILES[language].spacy_package))]}

    def detections(self, transcript: Transcript, language: str | None = None) -> list[Found]:
        """The identifiers in `transcript`, from the cache unless its text, the study's names or the
        detector changed since (then spaCy and Presidio run again; never a speech model)."""
        language = language or self.language_of(transcript)
        return self.cache.fetch(transcript.sha256 or transcript.code, "detect",
                                self.detection_key(transcript, language),
                                lambda: find_identifiers(self.detector_for(language), transcript),
                                read=read_detections, write=write_detections)

    # --- the key and the decisions -------------------------------------------------------------

    def load_key(self) -> StudyKey:
        s = self.study
        key = StudyKey.load(self.folders.key, s.people, s.interviewer_label, language=detection_language(s.language),
                            known=[*s.places, *s.organisations], wording=s.generalised)
        fixed = key.fixed_clashes() if self.styles("person") == PSEUDONYM else []
        if fixed:
            raise TranscribeError(f"the pseudonym the study file gives {fixed[0].names[0]} is also a name found in the "
                                  "interviews (key.csv); choose another pseudonym for them and run again")
        return key

    def decisions(self, code: str, found: list[Found]) -> dict[str, str]:
        return review.decisions_for(review.load_decisions(self.folders.review), code, found)

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

    # --- the whole step ------------------------------------------------------------------------

    def prepare(self, transcript: Transcript, shareable: bool = True) -> Prepared:
        """Everything the files of one interview are rendered from, written nowhere: its corrections
        (the edit layer, applied after recognition and before detection) and, if `shareable`, the
        anonymised version."""
        fitted = corrected(transcript, self.folders.private)
        if not shareable:
            return Prepared(fitted)
        transcript = fitted.transcript
        language = self.language_of(transcript)
        found = self.detections(transcript, language)
        decisions = self.decisions(transcript.code, found)
        key = self.load_key()
        local = frozenset(f.id for f in found if one_off(f.detection, language))
        anonymised, proposals = anonymise(transcript, found, decisions, key, self.styles, local)
        net = SafetyNet(self.study.people, key, self.never_replaced, language)
        found, decisions, anonymised, proposals, refusal = self._safety_net(
            net, transcript, found, decisions, anonymised, proposals, key, local)
        if self.styles.pseudonym_labels:
            self._label_with_pseudonyms(anonymised, key)
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

    def _safety_net(self, net: SafetyNet, transcript: Transcript, found: list[Found], decisions: dict[str, str],
                    anonymised: Transcript, proposals: dict[str, str], key: StudyKey, local: frozenset[str] = frozenset()):
        """Run the study-wide safety net over the anonymised text (whatever detection and the cache
        said) and anonymise again with its hits; then check that nothing known is left.

        Returns the detections with the net's hits, the researcher's decisions, the anonymised
        transcript (ordinary words the researcher has not accepted are kept as they are, and listed
        first in the review), the proposals, and why the text must not be shared (None if it may).
        """
        # Left alone here: what the researcher kept (reject), and the replacements they typed, whose
        # words the renderer checks itself, to name the line (render.Renderer._unsafe).
        kept = [(f.turn, f.detection.start, f.detection.end) for f in found
                if decisions.get(f.id, "").strip().lower() not in ("", "accept")]
        hits = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
        if hits:
            extra = [Found(h.turn, h.detection) for h in hits]
            # A hit that takes a whole word replaces the detections inside it ("notes.do" as a web address).
            found = [f for f in found if not any(_overlaps(h, [(f.turn, f.detection.start, f.detection.end)])
                                                 for h in hits)]
            found = sorted(found + extra, key=lambda f: (f.turn, f.detection.start))
            decisions = self.decisions(transcript.code, found)
            effective = dict(decisions)
            for hit, item in zip(hits, extra):
                if hit.ordinary and not decisions.get(item.id):
                    effective[item.id] = "reject"
            kept = [(f.turn, f.detection.start, f.detection.end) for f in found
                    if effective.get(f.id, "").strip().lower() not in ("", "accept")]
            anonymised, proposals = anonymise(transcript, found, effective, key, self.styles, local)
            anonymised.anonymisation["safety_net"] = sum(1 for f in extra if effective.get(f.id) != "reject")
            log.info("%s: the safety net found %d known name(s) that detection missed", transcript.code, len(extra))
            net = SafetyNet(self.study.people, key, self.never_replaced, net.language)  # the key may have grown
        left = [h for h in protect(net, transcript, anonymised) if not _overlaps(h, kept)]
        refusal = f"{len(left)} name(s) the study knows would still be readable in the shareable text" if left else None
        return found, decisions, anonymised, proposals, refusal

    def _label_with_pseudonyms(self, anonymised: Transcript, key: StudyKey) -> None:
        """Participants' turns labelled with the first name of their pseudonym instead of their code."""
        labels = {p.id: key.pseudonym_label(p, anonymised.code) for p in self.study.people
                  if p.role == "participant" and any(t.speaker == p.id for t in anonymised.turns)}
        for turn in anonymised.turns:
            turn.speaker = labels.get(turn.speaker, turn.speaker)
        for speaker in anonymised.speakers:
            if speaker.get("label") in labels:
                speaker["label"] = labels[speaker["label"]]
        for span in anonymised.timeline:
            if span.get("speaker") in labels:
                span["speaker"] = labels[span["speaker"]]
        anonymised.anonymisation["speaker_labels"] = LABEL_PSEUDONYM


def _overlaps(hit, spans: list[tuple[int, int, int]]) -> bool:
    d = hit.detection
    return any(turn == hit.turn and start < d.end and d.start < end for turn, start, end in spans)
