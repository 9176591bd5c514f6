"""Map diarised speakers to roles: the interviewer's label and the participants' codes.

Three ways to decide, strongest first:

* ``override``: the study file lists the labels in order of first speech (``speakers = ["p3", "I"]``);
* ``enrolment``: a clip of the interviewer's voice, compared with each speaker's embedding
  (the same CAM++ model as diarisation) by cosine similarity;
* ``heuristic``: who asks the questions, who speaks first, and who talks less.

The result records which method decided and how confident it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .transcript import Turn

LOW_CONFIDENCE = 0.25


@dataclass
class RoleAssignment:
    labels: dict[str, str]  # raw speaker id -> label
    method: str  # "override", "enrolment", "heuristic" or "single speaker"
    confidence: float  # 0..1: margin between the chosen interviewer and the runner-up
    interviewer: str | None  # raw id
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def low_confidence(self) -> bool:
        return self.method not in ("override", "single speaker") and self.confidence < LOW_CONFIDENCE


def speakers_in_order(turns: list[Turn]) -> list[str]:
    order: list[str] = []
    for turn in turns:
        if turn.raw_speaker not in order:
            order.append(turn.raw_speaker)
    return order


def talk_time(turns: list[Turn]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for turn in turns:
        spoken = sum(w.end - w.start for w in turn.words)
        totals[turn.raw_speaker] = totals.get(turn.raw_speaker, 0.0) + spoken
    return totals


def heuristic_scores(turns: list[Turn]) -> dict[str, float]:
    """How much each speaker looks like the interviewer (0..1).

    Half the weight is the speaker's share of all questions asked, a quarter is speaking first,
    a quarter is talking less than the others.
    """
    order = speakers_in_order(turns)
    questions = {s: 0 for s in order}
    for turn in turns:
        questions[turn.raw_speaker] += turn.text.count("?")
    total_questions = sum(questions.values())
    times = talk_time(turns)
    total_time = sum(times.values()) or 1.0
    scores = {}
    for s in order:
        question_share = questions[s] / total_questions if total_questions else 1.0 / len(order)
        first = 1.0 if s == order[0] else 0.0
        quiet = 1.0 - times.get(s, 0.0) / total_time
        scores[s] = round(0.5 * question_share + 0.25 * first + 0.25 * quiet, 4)
    return scores


def enrolment_scores(embeddings: dict[str, list[float]], voice: np.ndarray) -> dict[str, float]:
    """Cosine similarity of each speaker's centroid to the interviewer's enrolled voice."""
    voice = voice / (np.linalg.norm(voice) + 1e-9)
    return {
        speaker: round(float(np.dot(np.asarray(vector) / (np.linalg.norm(vector) + 1e-9), voice)), 4)
        for speaker, vector in embeddings.items()
    }


def assign_roles(
    turns: list[Turn],
    participant_codes: list[str],
    interviewer_label: str = "I",
    *,
    override: list[str] | None = None,
    embeddings: dict[str, list[float]] | None = None,
    interviewer_voice: np.ndarray | None = None,
) -> RoleAssignment:
    """Decide each speaker's label; see the module docstring for the order of methods."""
    order = speakers_in_order(turns)
    if override:
        labels = {s: override[i] if i < len(override) else f"S{i + 1}" for i, s in enumerate(order)}
        interviewer = next((s for s, label in labels.items() if label == interviewer_label), None)
        return RoleAssignment(labels, "override", 1.0, interviewer)
    if len(order) <= 1:
        labels = {s: participant_codes[0] if participant_codes else "S1" for s in order}
        return RoleAssignment(labels, "single speaker", 1.0, None)

    method, scores = "heuristic", heuristic_scores(turns)
    if interviewer_voice is not None and embeddings and all(s in embeddings for s in order):
        method, scores = "enrolment", enrolment_scores({s: embeddings[s] for s in order}, interviewer_voice)
    ranked = sorted(order, key=lambda s: scores[s], reverse=True)
    interviewer = ranked[0]
    confidence = scores[ranked[0]] - scores[ranked[1]]
    if method == "enrolment":
        confidence = min(1.0, confidence * 2)  # cosine margins are smaller than heuristic ones

    labels = {interviewer: interviewer_label}
    others = [s for s in order if s != interviewer]  # participants in order of first speech
    # With more voices than codes, the ones who talk most get the codes; the rest stay unnamed.
    times = talk_time(turns)
    coded = set(sorted(others, key=lambda s: times.get(s, 0.0), reverse=True)[: len(participant_codes)])
    codes = iter(participant_codes)
    extra = 1
    for s in others:
        if s in coded:
            labels[s] = next(codes)
        else:
            labels[s] = f"S{len(participant_codes) + extra}"
            extra += 1
    return RoleAssignment(labels, method, round(max(0.0, confidence), 4), interviewer, scores)


def apply_labels(turns: list[Turn], assignment: RoleAssignment) -> None:
    for turn in turns:
        turn.speaker = assignment.labels.get(turn.raw_speaker, turn.raw_speaker)
