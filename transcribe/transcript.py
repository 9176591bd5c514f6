"""The transcript data model and its canonical JSON form.

A :class:`Transcript` is a list of speaker turns made of timed words. The identifiable transcript
(as recognised) and the anonymised one have the same turns and the same number of words per turn:
anonymisation only changes word texts (a multi-word name becomes one placeholder followed by empty
words). That one-to-one shape is what lets both versions be laid out on identical numbered lines.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

SCHEMA_VERSION = 1


@dataclass
class Word:
    text: str  # as displayed, with Whisper's leading space; "" for a word merged into a placeholder
    start: float
    end: float
    probability: float
    speaker: str | None = None  # raw diarisation id
    overlap: bool = False  # spoken while another speaker was talking
    flag: str | None = None  # "inaudible": likely invented by recognition, hidden in shared text
    aside: bool = False  # another speaker's back-channel inside this turn ("mm-hm"), shown inline with their label


@dataclass
class Turn:
    speaker: str  # label shown in transcripts: interviewer label, participant code or S1, S2…
    raw_speaker: str  # diarisation id
    start: float
    end: float
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass
class Transcript:
    code: str  # participant code naming the outputs, e.g. "p1"
    duration: float
    turns: list[Turn] = field(default_factory=list)
    audio: dict = field(default_factory=dict)  # sha256, format, sample rate, channels
    models: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    speakers: list[dict] = field(default_factory=list)  # raw id, label, role, talk time
    roles: dict = field(default_factory=dict)  # method that decided, confidence
    segments: list[dict] = field(default_factory=list)  # recognition statistics per window (no text)
    # The diarisation's speaker timeline: {start, end, speaker (label), raw_speaker}, overlaps kept.
    # Turns run from their first word to their last; these are the true speaker boundaries.
    timeline: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    processed: str = ""  # date of recognition, ISO
    anonymisation: dict = field(default_factory=dict)  # empty for the identifiable transcript
    schema_version: int = SCHEMA_VERSION

    @property
    def anonymised(self) -> bool:
        return bool(self.anonymisation)

    # Typed reading of the provenance dicts, which stay plain in the JSON for its readers.

    @property
    def sha256(self) -> str | None:
        """The content hash of the recording (or typed file) the transcript was made from."""
        return self.audio.get("sha256")

    @property
    def recognition(self) -> dict:
        """The speech model: name, source ("imported" for a typed transcript), description, library."""
        return self.models.get("recognition", {})

    @property
    def imported(self) -> bool:
        """Made from a transcript typed elsewhere, not from a recording."""
        return self.recognition.get("source") == "imported"

    @property
    def timed(self) -> bool:
        """Whether its words have times: a recording's always, a typed transcript's if its file had them."""
        return not self.imported or bool(self.settings.get("import", {}).get("timed", True))

    @property
    def spoken_language(self) -> str | None:
        """The language recognition was asked for (the run's --language), if it was recorded."""
        return self.settings.get("recognition", {}).get("language")

    @property
    def low_confidence_roles(self) -> bool:
        return bool(self.roles.get("low_confidence"))

    def to_dict(self, *, drop_empty_words: bool = False) -> dict:
        data = asdict(self)
        if drop_empty_words:
            for turn in data["turns"]:
                turn["words"] = [w for w in turn["words"] if w["text"]]
        for turn in data["turns"]:
            turn["text"] = "".join(w["text"] for w in turn["words"]).strip()
            for word in turn["words"]:
                if not word["aside"]:  # written only where true: transcripts without asides read as before
                    del word["aside"]
        return data

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(**kwargs), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "Transcript":
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"transcript schema version {version} is not supported (expected {SCHEMA_VERSION})")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and k != "turns"}
        word_fields = {f.name for f in fields(Word)}
        turns = [
            Turn(
                speaker=t["speaker"], raw_speaker=t["raw_speaker"], start=t["start"], end=t["end"],
                words=[Word(**{k: v for k, v in w.items() if k in word_fields}) for w in t["words"]],
            )
            for t in data["turns"]
        ]
        return cls(turns=turns, **values)

    @classmethod
    def from_json(cls, text: str) -> "Transcript":
        return cls.from_dict(json.loads(text))

