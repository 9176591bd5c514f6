"""Find identifiers in a transcript and replace them, keeping one text per word.

Detection runs per turn on the identifiable text. Replacing goes through presidio-anonymizer's
engine, one operator per style (anonymise/operators.py), and keeps the transcript's shape: the
first word of a detected span takes the replacement, with any text before and after the span in
the words it touches (``Sarah Jones's`` becomes ``[p1]'s``), and the other words become empty.
The replacement is one word with nothing of the hidden words but its start time: no duration, no
confidence, no flag. The same shape is what lets the shareable and private texts share line
numbers; `layout_shape` gives the layout a slot of one fixed width for every detection, whatever
the style.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

from ..layout import SLOT_WIDTH
from ..transcript import Transcript
from .detect import Detection, Detector
from .key import LABELS, StudyKey
from .spans import replace_span, word_offsets
from ..styles import PLACEHOLDER, REDACT, Styles

ACCEPT, REJECT = "accept", "reject"
# Keys of `Transcript.audio` that identify the recording itself: never in a shareable file.
RECORDING_HASHES = ("sha256", "md5", "sha1", "hash", "fingerprint")


@dataclass(frozen=True)
class Found:
    """A detection located in a transcript: turn index plus the detection within the turn's text."""

    turn: int
    detection: Detection

    @property
    def id(self) -> str:
        # Letters keep spreadsheets from reading "3:14" as a time and rewriting it.
        return f"t{self.turn}c{self.detection.start}"

    def to_dict(self) -> dict:
        return {"turn": self.turn, **asdict(self.detection)}

    @classmethod
    def from_dict(cls, data: dict) -> "Found":
        data = dict(data)
        return cls(data.pop("turn"), Detection(**data))


def read_detections(data: dict) -> list[Found]:
    """Detections from the stage cache, checked for their shape (a wrong one raises)."""
    found = [Found.from_dict(item) for item in data["found"]]
    for item in found:
        d = item.detection
        assert isinstance(item.turn, int) and item.turn >= 0
        assert isinstance(d.start, int) and isinstance(d.end, int) and 0 <= d.start < d.end
        assert isinstance(d.text, str) and isinstance(d.category, str) and isinstance(d.source, str)
    return found


def write_detections(found: list[Found]) -> dict:
    return {"found": [f.to_dict() for f in found]}


def find_identifiers(detector: Detector, transcript: Transcript) -> list[Found]:
    """Detections in every turn, given the recogniser's word probabilities (a word it was unsure
    of is more likely a name it misheard)."""
    found = []
    for index, turn in enumerate(transcript.turns):
        probabilities = [(a, b, w.probability) for (a, b), w in zip(word_offsets(turn), turn.words) if b > a]
        found.extend(Found(index, d) for d in detector.detect(turn.text, probabilities=probabilities))
    return found


def layout_shape(transcript: Transcript, found: list[Found]) -> Transcript:
    """The transcript with every detected span, whatever its decision, a slot of `SLOT_WIDTH`.

    Laid out beside the real versions (never written), it fixes the line breaks: they depend on
    what was detected, never on the hidden text, its placeholder or the researcher's decision.
    """
    shape = copy.deepcopy(transcript)
    for item in sorted(found, key=lambda f: (f.turn, f.detection.start), reverse=True):
        replace_span(shape.turns[item.turn], item.detection.start, item.detection.end, "#" * SLOT_WIDTH)
    return shape


def anonymise(transcript: Transcript, found: list[Found], decisions: dict[str, str],
              key: StudyKey, styles: Styles = Styles(),
              local: frozenset[str] = frozenset()) -> tuple[Transcript, dict[str, str]]:
    """The anonymised copy of `transcript`, and the replacement proposed for each detection id.

    `decisions` maps a detection id to "accept" (or empty: the proposed replacement), "reject"
    (keep the text) or a replacement of the researcher's own. `styles` says how each category is
    replaced. The key's values are looked up in the order the detections appear, so new entities
    are numbered (and given pseudonyms) in order of first appearance; rejected detections and
    those given the researcher's own wording never take a number, and neither do the one-off
    guesses in `local` (ids, see guesses.py) until they are accepted: they get their category's
    unnumbered placeholder (or the redaction mark), unless the key already knows them.
    """
    from .operators import OWN_WORDING, Operation, replace_in_turn

    result = copy.deepcopy(transcript)
    ordered = sorted(found, key=lambda f: (f.turn, f.detection.start))
    proposals: dict[str, str] = {}
    operations: dict[int, list[Operation]] = {}
    rejected = custom = kept_local = 0
    for item in ordered:
        decision = decisions.get(item.id, "").strip()
        d = item.detection
        style = styles(d.category)
        if decision.lower() == REJECT:
            rejected += 1
            continue
        if decision and decision.lower() != ACCEPT:
            custom += 1
            proposals[item.id] = key.existing_value(d, style) or ""
            operator, params = OWN_WORDING, {"new_value": decision}
        elif item.id in local and not decision and key.existing(d) is None:
            kept_local += 1
            operator = REDACT if style == REDACT else PLACEHOLDER
            params = {"value": f"[{LABELS.get(d.category, d.category.title())}]"}
        else:
            _, params = key.value(d, transcript.code, style)
            operator = style
        operations.setdefault(item.turn, []).append(Operation(item.id, d.start, d.end, operator, params))
    counts: dict[str, int] = {}
    by_id = {item.id: item for item in ordered}
    for turn, ops in operations.items():
        for replaced in replace_in_turn(result.turns[turn], ops):
            if replaced.operator != OWN_WORDING:
                proposals[replaced.id] = replaced.text
            category = by_id[replaced.id].detection.category
            counts[category] = counts.get(category, 0) + 1
    result.audio = {k: v for k, v in result.audio.items() if k not in RECORDING_HASHES}
    result.anonymisation = {"replacements": dict(sorted(counts.items())), "rejected": rejected, "custom": custom}
    if kept_local:
        result.anonymisation["local"] = kept_local
    if not styles.default:
        result.anonymisation["styles"] = styles.as_dict()
    return result, proposals
