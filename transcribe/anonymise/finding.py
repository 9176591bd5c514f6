"""Finding the identifiers of a study's interviews: one detector per language, loaded once, and
the detections cached under the transcript's words, the study's lists and the detector's version,
so that a re-render runs spaCy and Presidio again only when one of those changed."""

from __future__ import annotations

from .. import __version__
from ..cache import StageCache
from ..study import Study
from ..transcript import Transcript
from ..versions import package_version
from .apply import Found, find_identifiers, read_detections, write_detections
from .languages import PROFILES


class Finder:
    """Detection for one study."""

    def __init__(self, study: Study, cache: StageCache):
        self.study = study
        self.cache = cache
        self._detectors = {}  # one per language: spaCy model, Presidio and word lists load once

    def detector(self, language: str):
        if language not in self._detectors:
            from .detect import Detector

            self._detectors[language] = Detector(self.config(language))
        return self._detectors[language]

    def config(self, language: str = "en"):
        from .detect import DetectorConfig

        s = self.study
        return DetectorConfig(roster=tuple(s.people), places=tuple(s.places), organisations=tuple(s.organisations),
                              allow=s.never_replaced, language=language)

    def key(self, transcript: Transcript, language: str) -> dict:
        """What the cached detections of `transcript` depend on."""
        # Versions too: a newer detector or spaCy model may find what an older one missed.
        from .detect import DETECTOR_VERSION

        # Word probabilities too: the misheard-name recogniser weighs them.
        return {"text": [t.text for t in transcript.turns], "config": repr(self.config(language)),
                "probabilities": [[round(w.probability, 3) for w in t.words] for t in transcript.turns],
                "versions": [__version__, DETECTOR_VERSION,
                             *(package_version(p) for p in ("presidio-analyzer", "spacy", PROFILES[language].spacy_package))]}

    def detections(self, transcript: Transcript, language: str) -> list[Found]:
        """The identifiers in `transcript`, read in `language`: from the cache unless its text, the
        study's names or the detector changed since (then spaCy and Presidio run again; never a
        speech model)."""
        key = self.key(transcript, language)
        return self.cache.fetch(transcript.sha256 or transcript.code, "detect", key,
                                lambda: find_identifiers(self.detector(language), transcript),  # loaded if needed
                                read=read_detections, write=write_detections)
