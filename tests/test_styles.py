"""Replacement styles: placeholders, pseudonyms, generalised wording and redaction, all through
presidio-anonymizer's engine, with one key for the study (no models loaded)."""

from __future__ import annotations

import copy
import csv
import random

import pytest

from transcribe.anonymise import operators, pseudonyms
from transcribe.anonymise.apply import Found, anonymise, layout_shape
from transcribe.anonymise.detect import Detection
from transcribe.anonymise.key import StudyKey
from transcribe.anonymise.lexicons import ordinary_words
from transcribe.anonymise.safety_net import SafetyNet, protect
from transcribe.styles import Styles, parse
from transcribe.errors import TranscribeError
from transcribe.layout import layout
from transcribe.methods import methods_record
from transcribe.study import Person, load_study
from transcribe.text import fold_for_matching
from transcribe.transcript import Transcript, Turn, Word

PEOPLE = [Person("I", ("Helen Carter", "Helen", "Dr Carter"), "interviewer"),
          Person("p1", ("Sarah Jones", "Sarah", "Ms Jones"), "participant"),
          Person("p2", ("David Okafor", "David", "Dave", "Mr Okafor"), "participant"),
          Person("tom", ("Tom",), "other")]
PSEUDONYMS = Styles.of({"person": "pseudonym"})
ALL_STYLES = [Styles(), PSEUDONYMS, Styles.of({"person": "pseudonym", "place": "generalise", "organisation": "generalise"}),
              Styles.of({c: "redact" for c in ("person", "place", "organisation")})]


def turn(text: str, speaker: str = "p1") -> Turn:
    words = [Word(" " + w, i * 0.5, i * 0.5 + 0.4, 0.9, speaker) for i, w in enumerate(text.split())]
    return Turn(speaker, speaker, 0.0, words[-1].end, words)


def find(t: int, text: str, sub: str, category: str = "person", entity: str | None = None, nth: int = 0) -> Found:
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    source = "roster" if entity else "ner"
    return Found(t, Detection(start, start + len(sub), sub, category, source, 1.0 if entity else 0.85, entity))


def key(**settings) -> StudyKey:
    return StudyKey(PEOPLE, rng=random.Random(7), **settings)


def interview(code: str = "p1"):
    """An interview mentioning people by first name, full name, title and surname, and a place and organisation."""
    texts = ["Thank you Sarah. Could you tell me about Tom and the surgery?",
             "Of course. I am Sarah Jones and Ms Jones is what they call me at Riverside Surgery in Lewisham. "
             "Tom and his friend Priya Patel came with me, and Priya's mum too.",
             "Did Dr Carter ever meet Priya?"]
    speakers = ["I", code, "I"]
    turns = [turn(t, s) for t, s in zip(texts, speakers)]
    found = [find(0, texts[0], "Sarah", entity="p1"), find(0, texts[0], "Tom", entity="tom"),
             find(1, texts[1], "Sarah Jones", entity="p1"), find(1, texts[1], "Ms Jones", entity="p1"),
             find(1, texts[1], "Riverside Surgery", "organisation"), find(1, texts[1], "Lewisham", "place"),
             find(1, texts[1], "Tom", entity="tom"), find(1, texts[1], "Priya Patel"),
             find(1, texts[1], "Priya", nth=1), find(2, texts[2], "Dr Carter", entity="I"), find(2, texts[2], "Priya")]
    return Transcript(code, 30.0, turns), found


# --- the engine ---------------------------------------------------------------------------------


def test_every_style_is_an_operator_registered_once_with_one_engine():
    engine = operators.engine()
    assert operators.engine() is engine
    registered = engine.operators_factory.get_anonymizers()
    for name, operator in (("placeholder", operators.Placeholder), ("pseudonym", operators.Pseudonym),
                           ("generalise", operators.Generalise), ("redact", operators.Redact)):
        assert registered[name] is operator


@pytest.mark.parametrize("styles", ALL_STYLES, ids=["placeholder", "pseudonym", "generalise", "redact"])
def test_the_replacement_is_what_the_engine_wrote(styles, monkeypatch):
    """Whatever the engine returns is what the text shows: change the engine's output and the
    anonymised text changes with it (a replacement that bypassed the engine would not)."""
    t, found = interview()
    expected, _ = anonymise(t, found, {}, key(), styles)
    calls = []
    real = operators.engine().anonymize

    def marked(text, results, configs, **kwargs):
        outcome = real(text, results, configs, **kwargs)
        calls.append(len(results))
        for item in outcome.items:  # the engine's own output, every replacement marked
            outcome.text = outcome.text[:item.start] + "§" * (item.end - item.start) + outcome.text[item.end:]
            item.text = "§" * (item.end - item.start)
        return outcome

    monkeypatch.setattr(operators.engine(), "anonymize", marked)
    anonymised, proposals = anonymise(t, found, {}, key(), styles)
    assert sum(calls) == len(found)
    for before, after in zip(expected.turns, anonymised.turns):
        assert after.text == "".join("§" if ch == "§" else ch for ch in after.text)
        assert len(after.text) == len(before.text) and after.text != before.text
    assert all(set(p) == {"§"} for p in proposals.values())


def test_operators_through_the_engine():
    engine = operators.engine()
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    text = "I met Ms Jones and sarah's brother in Lewisham."
    results = [RecognizerResult("a", 6, 14, 1.0), RecognizerResult("b", 19, 26, 1.0), RecognizerResult("c", 38, 46, 1.0)]
    person = {"pseudonym": "Emma Clarke", "surnames": frozenset({"jones"})}
    outcome = engine.anonymize(text, results, {"a": OperatorConfig("pseudonym", person), "b": OperatorConfig("pseudonym", person),
                                               "c": OperatorConfig("generalise", {"wording": "a London borough"})})
    assert outcome.text == "I met Ms Clarke and emma's brother in [a London borough]."
    outcome = engine.anonymize(text, results[:1], {"a": OperatorConfig("redact", {})})
    assert outcome.text == "I met […] and sarah's brother in Lewisham."
    outcome = engine.anonymize(text, results[:1], {"a": OperatorConfig("placeholder", {"value": "[p1]"})})
    assert outcome.text == "I met [p1] and sarah's brother in Lewisham." and outcome.items[0].operator == "placeholder"


# --- styles in the text ---------------------------------------------------------------------------


def test_each_style_in_the_text():
    t, found = interview()
    texts = {}
    for name, styles in zip(("placeholder", "pseudonym", "generalise", "redact"), ALL_STYLES):
        anonymised, _ = anonymise(t, found, {}, key(), styles)
        texts[name] = [x.text for x in anonymised.turns]
    assert texts["placeholder"][1].startswith("Of course. I am [p1] and [p1] is what they call me at [Organisation 1] in [Place 1].")
    assert texts["redact"][1].startswith("Of course. I am […] and […] is what they call me at […] in […].")
    assert "at [a GP surgery] in [a London borough]." in texts["generalise"][1]
    pseudonymised = " ".join(texts["pseudonym"])
    for real in ("Sarah", "Jones", "Tom", "Priya", "Patel", "Carter"):
        assert real not in pseudonymised
    assert "[Organisation 1]" in pseudonymised and "[Place 1]" in pseudonymised  # other categories as the study says


def test_a_pseudonym_keeps_the_shape_of_each_mention():
    k = key()
    t, found = interview()
    anonymised, proposals = anonymise(t, found, {}, k, PSEUDONYMS)
    sarah = k.pseudonyms()["[p1]"]
    first, last = sarah.split()
    by_text = {f.detection.text: proposals[f.id] for f in found}
    assert by_text["Sarah"] == first and by_text["Sarah Jones"] == sarah and by_text["Ms Jones"] == f"Ms {last}"
    assert proposals[found[-2].id].startswith("Dr ") and len(proposals[found[-2].id].split()) == 2  # title + surname
    tom = k.pseudonyms()["[Name 1]"]
    assert len(tom.split()) == 1 and by_text["Tom"] == tom  # only ever a first name: no surname made up
    priya = k.pseudonyms()["[Name 2]"]
    assert by_text["Priya Patel"] == priya and anonymised.turns[1].text.endswith(f"{priya.split()[0]}'s mum too.")
    assert anonymised.turns[2].text.endswith(f"{priya.split()[0]}?")


def test_case_and_possessive_follow_the_mention():
    assert pseudonyms.surface("sarah", "Emma Clarke", ["jones"]) == "emma"
    assert pseudonyms.surface("JONES", "Emma Clarke", ["jones"]) == "CLARKE"
    assert pseudonyms.surface("Sarah Jones's", "Emma Clarke", ["jones"]) == "Emma Clarke's"
    assert pseudonyms.surface("Mrs Wilson", "Emma Clarke", []) == "Mrs Clarke"


def test_gender_follows_the_real_first_name_where_the_lists_are_clear():
    pools = pseudonyms.pools("en")
    people = [Person("p1", ("Margaret Wilson",), "participant"), Person("p2", ("David Okafor",), "participant"),
              Person("p3", ("Notist Qorvane",), "participant"), Person("p4", ("Mrs Qorvane",), "participant")]
    for seed in range(20):
        k = StudyKey(people, rng=random.Random(seed))
        chosen = {p.id: k.pseudonym_label(p, "p1") for p in people}
        assert chosen["p1"] in pools.female and chosen["p4"] in pools.female
        assert chosen["p2"] in pools.male
        assert chosen["p3"] in pools.neutral


def test_pseudonyms_are_never_real_names_ordinary_words_or_someone_elses():
    """Over many random rosters and keys: when a pseudonym (or a surname for it) is chosen, it is
    no roster name, alias or surname, no original in the key, no ordinary word, no place, not too
    like any of those real names, and nobody else's pseudonym."""
    pools = pseudonyms.pools("en")
    first = sorted(pools.female + pools.male + pools.neutral)
    ordinary = ordinary_words("en")
    rng = random.Random(2024)
    from transcribe.anonymise.recognizers.fuzzy import name_similarity
    from transcribe.anonymise.recognizers.words import place_names

    places = place_names()
    checked = 0
    for study in range(60):
        # Names drawn from the very lists pseudonyms come from, so that collisions are likely.
        people = [Person(f"p{i}" if i < 4 else f"o{i}", (f"{rng.choice(first)} {rng.choice(pools.surnames)}",
                                                         rng.choice(first)), "participant" if i < 4 else "other")
                  for i in range(rng.randint(3, 12))]
        k = StudyKey(people, rng=random.Random(study))
        mentions = [Detection(0, 1, p.names[0], "person", "roster", 1.0, p.id) for p in people]
        for i in range(rng.randint(5, 25)):  # people found in the interviews, not on the roster
            name = f"{rng.choice(first)} {rng.choice(pools.surnames)}" if i % 2 else rng.choice(first)
            mentions.insert(rng.randrange(len(mentions) + 1), Detection(0, len(name), name, "person", "ner", 0.85, None))
        for mention in mentions:
            real = {fold_for_matching(w) for p in people for n in p.names for w in n.split()}
            real |= {w for e in k.entries if e.style == "placeholder" for w in e.original.split()}
            real |= {fold_for_matching(w) for w in mention.text.split()}
            before = {i: set(v.split()) for i, v in k.pseudonyms().items()}
            k.pseudonym(mention, "p1")
            identity = k.existing(mention)
            others = {fold_for_matching(w) for i, words in before.items() if i != identity for w in words}
            for word in set(k.pseudonyms()[identity].split()) - before.get(identity, set()):
                folded = fold_for_matching(word)
                checked += 1
                assert folded not in real and folded not in others
                assert folded not in ordinary and folded not in places
                assert all(name_similarity(folded, r) < pseudonyms.TOO_CLOSE for r in real)
        words = [fold_for_matching(w) for value in k.pseudonyms().values() for w in value.split()]
        assert len(words) == len(set(words)), "a name given to two people"
    assert checked > 1000


def test_a_real_name_is_refused_as_a_pseudonym_when_it_would_be_chosen():
    """The random source offers the real names first: every one is passed over."""

    class RealNamesFirst(random.Random):
        def shuffle(self, items):
            items.sort(key=lambda n: (n not in ("Grace", "Olivia", "Oliver", "Amelia"), n))

    people = [Person("p1", ("Olivia Hart",), "participant"), Person("p2", ("Amelia Stone",), "participant")]
    k = StudyKey(people, rng=RealNamesFirst())
    k.replacement(Detection(0, 6, "Oliver", "person", "ner", 0.85, None), "p1")
    chosen = k.pseudonym(Detection(0, 6, "Olivia", "person", "roster", 1.0, "p1"), "p1")[0]
    assert chosen not in ("Olivia", "Oliver", "Amelia") and chosen[0] == "A"  # the first name after them, alphabetically


def test_a_fixed_pseudonym_is_used_and_checked(tmp_path):
    people = [Person("p1", ("Sarah Jones", "Sarah"), "participant", "Emma")]
    k = StudyKey(people, rng=random.Random(1))
    assert k.pseudonym(Detection(0, 5, "Sarah", "person", "roster", 1.0, "p1"), "p1")[0] == "Emma"
    full = k.pseudonym(Detection(0, 11, "Sarah Jones", "person", "roster", 1.0, "p1"), "p1")[0]
    assert full.startswith("Emma ") and "Jones" not in full
    study = tmp_path / "study.toml"
    study.write_text('[[people]]\nname = "Sarah Jones"\nrole = "other"\npseudonym = "Jones"\n', encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 4.*real name"):
        load_study(study)
    study.write_text('[[people]]\nname = "Sarah Jones"\nrole = "other"\npseudonym = "Emma"\n\n'
                     '[[people]]\nname = "David"\nrole = "other"\npseudonym = "Emma Stone"\n', encoding="utf-8")
    with pytest.raises(TranscribeError, match="another person's pseudonym"):
        load_study(study)


# --- the key ------------------------------------------------------------------------------------


def test_the_key_keeps_each_style_and_switching_back_gives_the_same_values(tmp_path):
    path = tmp_path / "key.csv"
    t, found = interview()
    k = key()
    placeholder, _ = anonymise(t, found, {}, k, Styles())
    k.save(path)
    assert "style" not in path.read_text(encoding="utf-8-sig").splitlines()[0]  # as before styles
    k = StudyKey.load(path, PEOPLE, rng=random.Random(99))
    pseudonymised, _ = anonymise(t, found, {}, k, ALL_STYLES[2])
    k.save(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    styled = {(r["style"], r["original"]): r["replacement"] for r in rows if r["style"] != "placeholder"}
    assert styled[("generalise", "lewisham")] == "[a London borough]"
    assert styled[("pseudonym", "sarah jones")] == k.pseudonyms()["[p1]"]
    again = StudyKey.load(path, PEOPLE, rng=random.Random(5))  # another random source: the key decides
    assert [x.text for x in anonymise(t, found, {}, again, ALL_STYLES[2])[0].turns] == [x.text for x in pseudonymised.turns]
    assert [x.text for x in anonymise(t, found, {}, again, Styles())[0].turns] == [x.text for x in placeholder.turns]


def test_a_key_without_the_style_column_loads_and_bad_rows_are_refused(tmp_path):
    path = tmp_path / "key.csv"
    path.write_text("replacement,category,original,first_seen\n[Name 1],person,priya,p1\n", encoding="utf-8")
    assert StudyKey.load(path, PEOPLE).existing(Detection(0, 5, "Priya", "person", "ner", 0.85, None)) == "[Name 1]"
    path.write_text("replacement,category,original,first_seen,style\n[Name 1],person,priya,p1,placeholder\n"
                    "Emma,person,priya,p1,pseudonm\n", encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 3: style 'pseudonm'"):
        StudyKey.load(path, PEOPLE)
    path.write_text("replacement,category,original,first_seen,style\n[Name 1],person,priya,p1,\n"
                    "[Name 2],person,grace,p1,\nEmma,person,priya,p1,pseudonym\nEmma,person,grace,p1,pseudonym\n",
                    encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 5: the pseudonym 'Emma' is given to two people"):
        StudyKey.load(path, PEOPLE)
    path.write_text("replacement,category,original,first_seen,style\nEmma,person,grace,p1,pseudonym\n", encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 2: a pseudonym row for 'grace', which has no placeholder row"):
        StudyKey.load(path, PEOPLE)


def test_one_pseudonym_per_person_across_interviews(tmp_path):
    path = tmp_path / "key.csv"
    k = key()
    first, found = interview("p1")
    a, _ = anonymise(first, found, {}, k, PSEUDONYMS)
    k.save(path)
    second, found2 = interview("p2")
    b, _ = anonymise(second, found2, {}, StudyKey.load(path, PEOPLE, rng=random.Random(3)), PSEUDONYMS)
    assert [x.text for x in a.turns[1:]] == [x.text for x in b.turns[1:]]


# --- line numbers -------------------------------------------------------------------------------


def test_switching_style_keeps_every_line_number():
    t, found = interview()
    t.turns = [copy.deepcopy(x) for _ in range(8) for x in t.turns]  # several wrapped lines per turn
    found = [Found(i * 3 + f.turn, f.detection) for i in range(8) for f in found]
    shape = layout_shape(t, found)
    pages = []
    for styles in ALL_STYLES + [Styles.of({"person": "pseudonym"}, labels="pseudonym")]:
        anonymised, _ = anonymise(t, found, {}, key(), styles)
        if styles.pseudonym_labels:
            for x in anonymised.turns:
                x.speaker = "Gwendolyn" if x.speaker == "p1" else x.speaker
        identifiable, shared = layout([t, anonymised], 60, shape=shape)
        pages.append(shared)
        assert [(line.number, line.turn, line.words) for line in identifiable.lines] == \
            [(line.number, line.turn, line.words) for line in shared.lines]
    breaks = [[(line.number, line.turn, line.words) for line in page.lines] for page in pages]
    assert all(b == breaks[0] for b in breaks) and len(breaks[0]) > 3 * len(t.turns) // 2
    labelled = next(line for line in pages[-1].lines if line.speaker == "Gwendolyn")
    assert pages[-1].render_line(labelled).split()[1] == "Gwendolyn:"  # its own, wider, label column


# --- the safety net -----------------------------------------------------------------------------


def test_a_pseudonym_in_the_text_is_not_a_leak():
    t, found = interview()
    k = key()
    anonymised, _ = anonymise(t, found, {}, k, PSEUDONYMS)
    net = SafetyNet(PEOPLE, k)
    assert protect(net, t, anonymised) == []


def test_a_real_name_equal_to_an_earlier_pseudonym_is_caught():
    """Interview p1 gives Tom a pseudonym; in p2 a real person of that name is spoken of, and
    detection misses them: the net finds the name, and it gets a pseudonym of its own."""
    k = key()
    first, found = interview("p1")
    anonymise(first, found, {}, k, PSEUDONYMS)
    toms = k.pseudonyms()["[Name 1]"]
    text = f"My neighbour {toms} came round, and {toms.lower()} stayed for tea."
    second = Transcript("p2", 10.0, [turn(text, "p2")])
    anonymised, _ = anonymise(second, [], {}, k, PSEUDONYMS)
    hits = protect(SafetyNet(PEOPLE, k), second, anonymised)
    assert [h.detection.text for h in hits] == [toms, toms.lower()]
    assert all(h.detection.category == "person" and h.detection.score < 0.6 and not h.ordinary for h in hits)
    fixed, _ = anonymise(second, [Found(h.turn, h.detection) for h in hits], {}, k, PSEUDONYMS)
    assert toms not in fixed.turns[0].text and toms.lower() not in fixed.turns[0].text
    assert k.pseudonyms()[k.existing(hits[0].detection)] != toms
    assert protect(SafetyNet(PEOPLE, k), second, fixed) == []


def test_a_roster_name_equal_to_a_pseudonym_is_still_caught():
    k = key()
    first, found = interview("p1")
    anonymise(first, found, {}, k, PSEUDONYMS)
    toms = k.pseudonyms()["[Name 1]"]
    people = PEOPLE + [Person("later", (toms,), "other")]  # someone of that name, added to the roster later
    later = StudyKey(people, entries=k.entries, rng=random.Random(1))
    assert later.clashes() == ["[Name 1]"]
    second = Transcript("p2", 10.0, [turn(f"Then {toms} said hello.", "p2")])
    anonymised, _ = anonymise(second, [], {}, later, PSEUDONYMS)
    hits = protect(SafetyNet(people, later), second, anonymised)
    assert [h.detection.entity for h in hits] == ["later"]


# --- settings -----------------------------------------------------------------------------------


def test_style_values_on_the_command_line():
    assert parse("pseudonym") == {"person": "pseudonym"}
    assert parse("generalise") == {"place": "generalise", "organisation": "generalise"}
    assert parse("person=redact,place=generalise") == {"person": "redact", "place": "generalise"}
    assert parse("study") is None
    for bad in ("pseudonyms", "place=pseudonym", "planet=redact"):
        with pytest.raises(ValueError):
            parse(bad)


def test_styles_in_the_study_file(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('[study]\nstyles = { person = "pseudonym", place = "generalise" }\nspeaker_labels = "pseudonym"\n'
                     '\n[study.generalised]\n"Harehills" = "an inner-city district"\n', encoding="utf-8")
    loaded = load_study(study)
    assert loaded.styles == {"person": "pseudonym", "place": "generalise"}
    assert loaded.generalised == {"Harehills": "an inner-city district"} and loaded.speaker_labels == "pseudonym"
    k = StudyKey([], wording=loaded.generalised)
    assert k.generalised(Detection(0, 9, "Harehills", "place", "list", 1.0, "Harehills"), "p1") == "[an inner-city district]"
    study.write_text('[study]\nlanguage = "en"\nstyles = { organisation = "pseudonym" }\n', encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 3: styles: a pseudonym is for person only"):
        load_study(study)


def test_methods_say_how_names_were_replaced():
    t = Transcript("p1", 60.0, [turn("Hello there.", "I")])
    plain = methods_record([t], {"p1": {"replacements": {"person": 2}, "rejected": 0, "custom": 0}})
    assert "numbered placeholders ([Name 1], [Place 1], [Organisation 1])" in plain and "pseudonym " not in plain
    styled = methods_record([t], {"p1": {"replacements": {"person": 2}, "rejected": 0, "custom": 0,
                                         "styles": {"person": "pseudonym", "place": "generalise"}}})
    assert "was given a pseudonym: an invented name, the same in every interview" in styled
    assert "labelled with their participant codes" in styled
    assert "Places were replaced by a description of their kind in brackets" in styled
    assert "Organisations, street addresses" in styled


def test_generalised_wording_from_what_is_known():
    from transcribe.anonymise.generalise import wording

    assert wording("Lewisham", "place") == "a London borough"
    assert wording("Leeds", "place") == "a city in England"
    assert wording("Nigeria", "place") == "a country in Africa"
    assert wording("Harehills", "place") == "a place"
    assert wording("Riverside Surgery", "organisation") == "a GP surgery"
    assert wording("St Mary's Church", "organisation") == "a place of worship"
    assert wording("07700 900123", "phone") == "a telephone number"


# --- the command line (a typed interview, no model) ------------------------------------------------


def test_style_on_the_command_line_is_remembered_until_changed(small_study):
    from click.testing import CliRunner

    from transcribe.cli import cli

    out = small_study
    placeholder = (out / "p1.txt").read_text(encoding="utf-8")
    assert "[p1]" in placeholder
    result = CliRunner().invoke(cli, ["apply", "-o", str(out), "--style", "pseudonym"])
    assert result.exit_code == 0, result.output
    pseudonymised = (out / "p1.txt").read_text(encoding="utf-8")
    assert "[p1]" not in pseudonymised and "Sarah" not in pseudonymised
    result = CliRunner().invoke(cli, ["export", "-o", str(out), "--format", "+srt"])  # no --style: as last time
    assert result.exit_code == 0, result.output
    assert (out / "p1.txt").read_text(encoding="utf-8") == pseudonymised
    assert "Sarah" not in (out / "p1.srt").read_text(encoding="utf-8") and "[p1]" not in (out / "p1.srt").read_text()
    assert [ln[:6] for ln in pseudonymised.splitlines()] == [ln[:6] for ln in placeholder.splitlines()]
    result = CliRunner().invoke(cli, ["apply", "-o", str(out), "--style", "study"])
    assert result.exit_code == 0, result.output
    assert (out / "p1.txt").read_text(encoding="utf-8") == placeholder


def test_a_wrong_style_is_refused_before_anything_runs(small_study):
    from click.testing import CliRunner

    from transcribe.cli import cli

    before = (small_study / "p1.txt").read_bytes()
    result = CliRunner().invoke(cli, ["apply", "-o", str(small_study), "--style", "place=pseudonym"])
    assert result.exit_code == 2 and "a pseudonym is for person only" in result.output
    assert (small_study / "p1.txt").read_bytes() == before


def test_a_fixed_pseudonym_that_is_a_name_found_in_the_interviews_stops_only_the_pseudonym_style(tmp_path):
    from transcribe.anonymise.prepare import Anonymiser
    from transcribe.cache import StageCache
    from transcribe.folders import Folders
    from transcribe.study import Study

    folders = Folders.of(tmp_path / "transcripts")
    folders.private.mkdir(mode=0o700)
    people = [Person("p1", ("Sarah Jones",), "participant", "Emma")]
    k = StudyKey(people)
    k.replacement(Detection(0, 4, "Emma", "person", "ner", 0.85, None), "p1")  # a real Emma, found in an interview
    k.save(folders.key)
    study = Study(people=people)
    assert Anonymiser(study, StageCache(folders.private), folders).load_key()  # placeholders: nothing to refuse
    with pytest.raises(TranscribeError, match="pseudonym the study file gives Sarah Jones is also a name found"):
        Anonymiser(study, StageCache(folders.private), folders, {"person": "pseudonym"}).load_key()
