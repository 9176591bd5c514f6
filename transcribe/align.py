"""Attribute recognised words to diarised speakers and group them into turns."""

from __future__ import annotations

from collections import defaultdict

from .asr import RecognisedWord, Segment
from .diarise import Diarisation, SpeakerTurn
from .transcript import Turn, Word

# A word outside every speaker turn goes to the nearest turn if it is this close (seconds);
# further away it stays with the speaker of the word before it.
NEAREST_TURN_LIMIT = 1.0
# A word counts as crosstalk when a second speaker covers this share of it.
CROSSTALK_SHARE = 0.5
# A listener's back-channel: one of these words, said over the speaker (a diarisation turn of at
# most BACKCHANNEL_SECONDS inside the other's speech), at most BACKCHANNEL_WORDS of them in a row.
# It goes to the listener and stays inside the speaker's turn, which it does not split.
BACKCHANNELS = frozenset({"mm", "mmm", "mhm", "mm-hm", "mm-hmm", "mmhmm", "uh-huh", "hm", "hmm", "yeah", "yes", "yep",
                          "right", "okay", "ok", "sure", "oh", "ah", "wow", "really", "exactly", "ouais", "oui",
                          "d'accord", "voilà"})
BACKCHANNEL_SECONDS = 1.5
BACKCHANNEL_WORDS = 2


def _overlaps(start: float, end: float, turns: list[SpeakerTurn]) -> dict[str, float]:
    covered: dict[str, float] = defaultdict(float)
    for turn in turns:
        if turn.end > start and turn.start < end:
            covered[turn.speaker] += min(end, turn.end) - max(start, turn.start)
    return covered


def _nearest(start: float, end: float, turns: list[SpeakerTurn]) -> tuple[str | None, float]:
    best, distance = None, float("inf")
    for turn in turns:
        gap = max(turn.start - end, start - turn.end, 0.0)
        if gap < distance:
            best, distance = turn.speaker, gap
    return best, distance


def ordered_words(segments: list[Segment]) -> list[RecognisedWord]:
    """Every recognised word once, in time order, whatever order the windows were decoded in.

    Decoding windows overlap where they are padded at a speaker change, and a speaker's crosstalk
    window can lie inside another speaker's: the same stretch of audio is then recognised twice.
    Where two windows overlap, the earlier one owns the audio up to the middle of the overlap and
    the later one from there, so a word heard by both is kept once. A window lying wholly inside
    another keeps its words (crosstalk: a second voice, not a repeat) unless the outer window has
    a word of the same text at the same time.
    """
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    owned: list[RecognisedWord] = []
    for i, segment in enumerate(ordered):
        low, high = segment.start, segment.end
        for other in ordered[:i]:
            if other.start <= segment.start < other.end < segment.end:
                low = max(low, (segment.start + other.end) / 2)
        for other in ordered[i + 1:]:
            if segment.start <= other.start < segment.end < other.end:
                high = min(high, (other.start + segment.end) / 2)
        owned.extend(w for w in segment.words if low <= (w.start + w.end) / 2 <= high)
    owned.sort(key=lambda w: (w.start, w.end))
    unique: list[RecognisedWord] = []
    for word in owned:
        if any(_same_word(word, kept) for kept in unique[-4:]):
            continue
        unique.append(word)
    return unique


def _same_word(a: RecognisedWord, b: RecognisedWord) -> bool:
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return a.text.strip().lower() == b.text.strip().lower() and overlap > 0.5 * max(min(a.end - a.start, b.end - b.start), 0.01)


def attribute_words(segments: list[Segment], diarisation: Diarisation) -> list[Word]:
    """Give every word the speaker whose (non-overlapping) turn covers most of it.

    Words in a gap between turns go to the nearest turn when it is close, else they stay with the
    previous word's speaker (a pause inside one person's speech). Words spoken while a second
    speaker's turn covers at least half of them are marked as overlapping speech.
    """
    words: list[Word] = []
    previous: str | None = None
    exclusive = diarisation.exclusive or diarisation.turns
    for w in ordered_words(segments):
        start, end = w.start, max(w.end, w.start + 0.01)
        covered = _overlaps(start, end, exclusive)
        if covered:
            speaker = max(covered, key=covered.get)
        else:
            speaker, distance = _nearest(start, end, exclusive)
            if distance > NEAREST_TURN_LIMIT and previous is not None:
                speaker = previous
        speaker = speaker or previous or "SPEAKER_00"
        speaker = _listener(w.text, start, end, speaker, diarisation.turns) or speaker
        everyone = _overlaps(start, end, diarisation.turns)
        others = max((v for s, v in everyone.items() if s != speaker), default=0.0)
        words.append(Word(w.text, w.start, w.end, w.probability, speaker, others >= CROSSTALK_SHARE * (end - start)))
        previous = speaker
    return words


def is_backchannel(text: str) -> bool:
    return text.strip().strip(".,!?;:…").lower() in BACKCHANNELS


def _listener(text: str, start: float, end: float, speaker: str, turns: list[SpeakerTurn]) -> str | None:
    """The listener who said a back-channel word that the one-speaker timeline gives to `speaker`:
    another speaker whose short diarisation turn holds the word's middle while `speaker` talks."""
    if not is_backchannel(text):
        return None
    middle = (start + end) / 2
    if not any(t.speaker == speaker and t.start < middle < t.end for t in turns):
        return None
    return next((t.speaker for t in turns if t.speaker != speaker and t.start <= middle <= t.end
                 and t.end - t.start <= BACKCHANNEL_SECONDS), None)


def group_turns(words: list[Word]) -> list[Turn]:
    """Merge consecutive words of one speaker into turns (labels are assigned later by roles).

    A listener's back-channel said over the speaker, who goes on after it, stays inside the
    speaker's turn as an aside (its words keep the listener as their speaker)."""
    turns: list[Turn] = []
    i = 0
    while i < len(words):
        word = words[i]
        asides = _aside_length(words, i, turns[-1].raw_speaker) if turns and turns[-1].raw_speaker != word.speaker else 0
        for aside in words[i : i + asides]:
            aside.aside = True
        if turns and (turns[-1].raw_speaker == word.speaker or asides):
            turns[-1].words.extend(words[i : i + max(asides, 1)])
            turns[-1].end = max(turns[-1].end, word.end)
        else:
            turns.append(Turn(word.speaker, word.speaker, word.start, word.end, [word]))
        i += max(asides, 1)
    return turns


def _aside_length(words: list[Word], i: int, speaker: str) -> int:
    """How many words from `i` are a back-channel over `speaker`, who speaks again right after; 0 if none."""
    listener = words[i].speaker
    n = 0
    while i + n < len(words) and words[i + n].speaker == listener and n <= BACKCHANNEL_WORDS:
        n += 1
    after = words[i + n] if i + n < len(words) else None
    run = words[i : i + n]
    if (n > BACKCHANNEL_WORDS or after is None or after.speaker != speaker
            or not all(w.overlap and is_backchannel(w.text) for w in run)):
        return 0
    return n


def align(segments: list[Segment], diarisation: Diarisation) -> list[Turn]:
    return group_turns(attribute_words(segments, diarisation))


# --- re-checking the speaker at turn changes ------------------------------------------------------

# At most this many words at a turn's edge, or in a short sentence, are re-checked against the voices.
RECHECK_WORDS = 3
# Shortest stretch of audio whose voice is compared (s): shorter pieces are widened around their middle.
RECHECK_MIN_SECONDS = 0.5
# How much closer (cosine similarity) another speaker's voice must be before words move to them.
RECHECK_MARGIN = 0.1
SENTENCE_END = (".", "?", "!")


def recheck_pieces(words: list[Word]) -> list[tuple[int, int]]:
    """Index ranges [a, b) of words whose speaker is worth checking against the voices.

    Where diarisation is unsure, the words nearest a speaker change go wrong first: the words of a
    turn after its last sentence end (the start of the next speaker's sentence), the words of a
    turn before its first sentence end (the end of the previous speaker's), and short sentences
    such as "Right." or "Yeah." (an interjection the diarisation may have missed or invented).
    """
    pieces: set[tuple[int, int]] = set()
    start = 0
    for i, word in enumerate(words):
        last = i + 1 == len(words) or words[i + 1].speaker != word.speaker
        if not (word.text.rstrip().endswith(SENTENCE_END) or last):
            continue
        # words[start : i + 1] is one sentence, or the part of one inside a turn
        turn_edge = start == 0 or words[start - 1].speaker != word.speaker or last
        if i + 1 - start <= RECHECK_WORDS and (turn_edge or _is_sentence(words, start, i)):
            pieces.add((start, i + 1))
        start = i + 1
    return sorted(pieces)


def _is_sentence(words: list[Word], start: int, end: int) -> bool:
    return (start == 0 or words[start - 1].text.rstrip().endswith(SENTENCE_END)) and words[end].text.rstrip().endswith(SENTENCE_END)


def recheck_speakers(words: list[Word], embed, centroids: dict[str, list[float]]) -> list[tuple[int, str]]:
    """Move short pieces at turn changes to the speaker whose voice they are closest to.

    `embed(start, end)` returns a speaker embedding of that stretch of audio; `centroids` are the
    diarisation's speaker embeddings. Returns (word index, new speaker) for every word moved.
    """
    import numpy as np

    if len(centroids) < 2:
        return []
    names = sorted(centroids)
    matrix = np.asarray([centroids[n] for n in names], dtype=float)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    moves = []
    for a, b in recheck_pieces(words):
        own = words[a].speaker
        if own not in centroids or any(w.speaker != own for w in words[a:b]):
            continue
        start, end = words[a].start, words[b - 1].end
        if end - start < RECHECK_MIN_SECONDS:
            middle = (start + end) / 2
            start, end = middle - RECHECK_MIN_SECONDS / 2, middle + RECHECK_MIN_SECONDS / 2
        vector = np.asarray(embed(max(0.0, start), end), dtype=float)
        if not np.all(np.isfinite(vector)):
            continue
        similarity = matrix @ (vector / (np.linalg.norm(vector) + 1e-9))
        best = names[int(np.argmax(similarity))]
        if best != own and similarity.max() - similarity[names.index(own)] > RECHECK_MARGIN:
            moves.extend((i, best) for i in range(a, b))
    return moves
