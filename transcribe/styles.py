"""Replacement styles: how each category of identifier is written in the shareable text.

- ``placeholder`` (the default): the study key's bracketed label, ``[Name 1]``, ``[p3]``, ``[Place 2]``;
- ``pseudonym`` (people): a made-up name, one per person for the whole study (anonymise/pseudonyms.py);
- ``generalise``: what kind of thing it was, ``[a London borough]``, ``[a GP surgery]``
  (anonymise/generalise.py), or the researcher's own wording from the study file;
- ``redact``: ``[…]``, the same for everything.

The study file chooses a style per category (``[study] styles = { person = "pseudonym" }``); a
command's ``--style`` overrides it for a quick run. Categories not named keep placeholders. Every
style replaces a detection in the same fixed-width slot, so line numbers never depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every category detection reports (the home of the list; anonymise/detect.py uses it).
CATEGORIES = ("person", "place", "organisation", "address", "email", "phone", "url", "postcode", "nhs_number",
              "date", "number")
PLACEHOLDER, PSEUDONYM, GENERALISE, REDACT = "placeholder", "pseudonym", "generalise", "redact"
STYLES = (PLACEHOLDER, PSEUDONYM, GENERALISE, REDACT)
REDACTED = "[…]"
# The categories each style can be used for: a pseudonym is a person's name.
SERVES = {PLACEHOLDER: CATEGORIES, PSEUDONYM: ("person",), GENERALISE: CATEGORIES, REDACT: CATEGORIES}
# What a style named alone on the command line (--style pseudonym) applies to.
BARE = {PLACEHOLDER: CATEGORIES, PSEUDONYM: ("person",), GENERALISE: ("place", "organisation"), REDACT: CATEGORIES}
# --style study: back to the study file's styles, forgetting an earlier --style.
FROM_STUDY = "study"
# Speaker labels at turn starts: participants keep their code, or take their pseudonym.
LABEL_CODE, LABEL_PSEUDONYM = "code", "pseudonym"
SPEAKER_LABELS = (LABEL_CODE, LABEL_PSEUDONYM)


def problem(category: str, style: str) -> str | None:
    """Why `style` cannot be used for `category` (None if it can)."""
    if category not in CATEGORIES:
        return f"'{category}' is not a category transcribe replaces ({', '.join(CATEGORIES)})"
    if style not in STYLES:
        return f"'{style}' is not a style ({', '.join(STYLES)})"
    if category not in SERVES[style]:
        return f"a {style} is for {', '.join(SERVES[style])} only, not {category}"
    return None


def parse(spec: str) -> dict[str, str] | None:
    """A --style value: style names ("pseudonym,generalise") for the categories they suit, and
    category=style pairs ("person=pseudonym,place=redact"). None for "study". Raises ValueError."""
    chosen: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == FROM_STUDY:
            return None
        category, _, style = part.partition("=") if "=" in part else ("", "", part)
        if not category:
            if style not in STYLES:
                raise ValueError(f"'{style}' is not a style: give {', '.join(STYLES)}, category=style, or {FROM_STUDY}")
            chosen.update(dict.fromkeys(BARE[style], style))
            continue
        why = problem(category.strip(), style.strip())
        if why:
            raise ValueError(why)
        chosen[category.strip()] = style.strip()
    return chosen


@dataclass(frozen=True)
class Styles:
    """The style of each category (placeholder where not named) and the speaker labels."""

    chosen: tuple[tuple[str, str], ...] = ()
    labels: str = LABEL_CODE

    @classmethod
    def of(cls, study_styles: dict[str, str], overrides: dict[str, str] | None = None,
           labels: str = LABEL_CODE) -> "Styles":
        """The study file's styles with a command's --style over them."""
        merged = {**study_styles, **(overrides or {})}
        return cls(tuple(sorted((c, s) for c, s in merged.items() if s != PLACEHOLDER)), labels)

    def __call__(self, category: str) -> str:
        return dict(self.chosen).get(category, PLACEHOLDER)

    @property
    def default(self) -> bool:
        """Placeholders everywhere: the outputs are those of a study without styles, byte for byte."""
        return not self.chosen

    @property
    def pseudonym_labels(self) -> bool:
        return self.labels == LABEL_PSEUDONYM and self("person") == PSEUDONYM

    def as_dict(self) -> dict[str, str]:
        return dict(self.chosen)
