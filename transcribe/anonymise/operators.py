"""The replacement step on presidio-anonymizer: one operator per style, registered once with one
`AnonymizerEngine`, and the project's word-level layout after it.

Each detection to replace is handed to the engine as a result of its own (its entity type is the
detection's id, so each gets its own operator and parameters); the engine runs the operator on
the detection's text and says where each replacement landed in the turn's new text. Presidio
rewrites a string by character offsets, while the line layout needs one text per recognised word,
so each replacement is then put into the words it covers (`spans.replace_span`), and the words'
text must come out exactly as the engine's (else the step fails: a shareable text the engine did
not make is never written).

The study key decides the study-wide value (the placeholder, the person's pseudonym, the
generalised wording) in order of first appearance; the operators write it as the mention needs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import InvalidParamError, OperatorConfig, RecognizerResult
from presidio_anonymizer.operators import Operator, OperatorType

from . import generalise, pseudonyms
from .spans import replace_span
from ..styles import GENERALISE, PLACEHOLDER, PSEUDONYM, REDACT, REDACTED

OWN_WORDING = "replace"  # Presidio's own operator: the researcher's wording, as typed


class _Fixed(Operator):
    """Writes one given text (a parameter); the base of the placeholder and redaction operators."""

    PARAM = "value"

    def operate(self, text: str = None, params: dict = None) -> str:
        return params[self.PARAM]

    def validate(self, params: dict = None) -> None:
        if not isinstance((params or {}).get(self.PARAM), str) or not params[self.PARAM].strip():
            raise InvalidParamError(f"{self.operator_name()} needs a non-empty '{self.PARAM}'")

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


class Placeholder(_Fixed):
    """The study key's placeholder: [Name 1], [p3], [Place 2]."""

    def operator_name(self) -> str:
        return PLACEHOLDER


class Redact(_Fixed):
    """A visible mark, "[…]", for every category. (Presidio's own "redact" removes the text, which
    would leave a sentence with a silent gap; in this engine the name is this operator's.)"""

    def operate(self, text: str = None, params: dict = None) -> str:
        return REDACTED

    def validate(self, params: dict = None) -> None:
        """Takes no parameters."""

    def operator_name(self) -> str:
        return REDACT


class Pseudonym(Operator):
    """The person's pseudonym in the shape of the mention: titles kept, first name and/or surname
    as the mention has them, its case and possessive."""

    def operate(self, text: str = None, params: dict = None) -> str:
        return pseudonyms.surface(text, params["pseudonym"], params["surnames"])

    def validate(self, params: dict = None) -> None:
        params = params or {}
        if not isinstance(params.get("pseudonym"), str) or not params["pseudonym"].strip():
            raise InvalidParamError("pseudonym needs the person's 'pseudonym'")
        if not isinstance(params.get("surnames"), frozenset):
            raise InvalidParamError("pseudonym needs the person's real 'surnames' (a frozenset)")

    def operator_name(self) -> str:
        return PSEUDONYM

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


class Generalise(Operator):
    """The kind of thing it was, in brackets: "[a London borough]"."""

    def operate(self, text: str = None, params: dict = None) -> str:
        return generalise.bracketed(params["wording"])

    def validate(self, params: dict = None) -> None:
        if not isinstance((params or {}).get("wording"), str) or not params["wording"].strip("[] "):
            raise InvalidParamError("generalise needs a 'wording'")

    def operator_name(self) -> str:
        return GENERALISE

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


OPERATORS = (Placeholder, Pseudonym, Generalise, Redact)


@functools.cache
def engine() -> AnonymizerEngine:
    """The one engine, with the styles' operators registered."""
    anonymizer = AnonymizerEngine()
    for operator in OPERATORS:
        anonymizer.add_anonymizer(operator)
    return anonymizer


@dataclass(frozen=True)
class Operation:
    """What to do with one detection: its id, span in the turn's text, operator and parameters."""

    id: str
    start: int
    end: int
    operator: str
    params: dict


@dataclass(frozen=True)
class Replaced:
    """Where the engine put one replacement: the detection's id, the text written, the operator."""

    id: str
    text: str
    operator: str


class EngineMismatch(RuntimeError):
    """The engine's output and the words' disagree: nothing of this text may be written."""


def replace_in_turn(turn, operations: Iterable[Operation]) -> list[Replaced]:
    """Run `operations` on the turn's text through the engine, then put each replacement into the
    words it covers. Returns the engine's items; raises EngineMismatch if the words do not then
    read exactly as the engine's text."""
    operations = list(operations)
    if not operations:
        return []
    text = turn.text
    results = [RecognizerResult(op.id, op.start, op.end, 1.0) for op in operations]
    configs = {op.id: OperatorConfig(op.operator, op.params) for op in operations}
    outcome = engine().anonymize(text, results, dict(configs), merge_entities_with_spaces=False)  # it adds a DEFAULT
    items = {item.entity_type: item for item in outcome.items}
    if set(items) != set(configs) or any(outcome.text[i.start:i.end] != i.text for i in outcome.items):
        raise EngineMismatch("the anonymiser engine did not replace every detection where it was asked to")
    for op in sorted(operations, key=lambda o: o.start, reverse=True):  # from the end: earlier offsets stay valid
        replace_span(turn, op.start, op.end, items[op.id].text)
    if turn.text != outcome.text:
        raise EngineMismatch("the words of a turn do not read as the anonymiser engine's text")
    return [Replaced(op.id, items[op.id].text, items[op.id].operator) for op in operations]
