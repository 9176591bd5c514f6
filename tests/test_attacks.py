"""Attacks on the promise that nothing identifiable reaches the shareable folder.

One test per attack, named after it: how a careful attacker or a clumsy researcher could get a
participant's name, or anything else identifying, into a shareable file, a log, a command line or
a spreadsheet, or lose a decision. Most attacks are typed transcripts imported into one study with
`transcribe anonymise` (every format written), then read back as a person would read them: with
invisible characters, soft hyphens, line-break hyphens, handles and camel case undone (see
`reader_view`). A name still recognisable there is a leak.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcribe.cli import cli

pytestmark = pytest.mark.slow  # transcribe anonymise loads spaCy

STUDY = """\
[study]
interviewer_label = "I"
places = ["Lewisham"]
organisations = ["Riverside Surgery"]
allow = ["NHS"]

[[people]]
name = "Sarah Jones"
aliases = ["Sarah"]
code = "p1"

[[people]]
name = "Margaret Wilson"
aliases = ["Maggie", "Margaret"]
code = "p2"

[[people]]
name = "Helen Carter"
role = "interviewer"

[[people]]
name = "David Okafor"

[[people]]
name = "Priya Patel"
aliases = ["Priya"]
"""
# Every word of every name above: none may be readable in a shareable file.
NAMES = ("sarah", "jones", "margaret", "wilson", "maggie", "helen", "carter", "david", "okafor", "priya", "patel")

# code -> (file name, content): each typed transcript carries one attack (or several of one kind).
ATTACKS: dict[str, tuple[str, str | bytes]] = {
    "p1": ("p1.txt", "I: Thank you for coming, Sarah.\nSarah: I am glad to help. My name is Sarah Jones.\n"),
    "p2": ("p2.txt", "I: Hello Margaret.\nMaggie: Hello. I am Margaret Wilson, Maggie to friends.\n"),
    # Invisible format characters inside names (zero-width space, joiner, word joiner, BOM).
    "p3": ("invisible.txt", "I: Who helps you?\nP: My neighbour Sa\u200brah Jo\u200bnes comes daily, and "
                            "Da\u200dvid Oka\u2060for, and Pri\ufeffya Pa\u200ctel.\n"),
    # A soft hyphen inside a participant's name must still give the participant's code.
    "p4": ("soft.txt", "I: Who came?\nP: Mar\u00adgaret Wil\u00adson came, and then Maggie left.\n"),
    # Handles, file names and joined names.
    "p5": ("handles.txt", "I: How do you keep in touch?\nP: On Twitter, @SarahJones and @sarah_jones_1. "
                          "She sent sarah_jones_notes.docx and the folder margaret_wilson, and "
                          "2024_Okafor_David.pdf. The tags were #MargaretWilson and sarahjones.\n"),
    # A name hyphenated across line breaks, as a typist or a PDF export leaves it.
    "p6": ("hyphenated.txt", "I: Who else was there?\nP: I met Mar-\ngaret Wil-\nson at the centre, "
                             "and Da-\nvid Oka-\nfor.\n"),
    # Fullwidth letters: the same person, the same placeholder (on the roster, and not on it).
    "p7": ("fullwidth.txt", "I: Who is that?\nP: That is Ｓａｒａｈ Ｊｏｎｅｓ, and Sarah Jones again. My uncle "
                            "Ｔｏｍ Ｂａｋｅｒ came, and my uncle Tom Baker stayed.\n"),
    # An ordinary word near the interviewer's surname is not the interviewer.
    "p8": ("carer.txt", "I: What do you do?\nP: I'm her carer, and the carers meet on Fridays.\n"),
    # A spreadsheet formula in the text must not become a live formula in review.csv.
    "p9": ("formula.txt", "I: What did it say?\nP: =HYPERLINK(\"http://example.org/?q=\"&\"Sarah Jones\") "
                          "and +1 and @Priya.\n"),
    # Right-to-left marks and emoji joiners inside names.
    "p10": ("marks.txt", "I: Who?\nP: Sa\u200frah and Pri\u200eya, and Dav\u200d\U0001F600id.\n"),
    # Mathematical letters, ligatures and decomposed accents fold to the plain name.
    "p11": ("letters.txt", "I: Who?\nP: \U0001d412\U0001d41a\U0001d42b\U0001d41a\U0001d421 came with "
                           "Marga\ufb01 and Pri\u0301ya.\n"),
    # Other separators between the letters or words of a name.
    "p12": ("separators.txt", "I: Who?\nP: Sarah·Jones, Sarah/Jones, Sarah|Jones, Priya.Patel and "
                              "David+Okafor.\n"),
    # Names in speaker labels of the file (not on the roster as labels): the labels become codes.
    "p13": ("labels.txt", "Helen Carter: Thank you.\nDavid Okafor: You are welcome, Helen.\n"
                          "Helen Carter: And Priya?\nDavid Okafor: Priya is well.\n"),
    # A very long name-like run and a name glued to digits.
    "p14": ("long.txt", "I: Who?\nP: " + "Sarah" * 40 + " and Sarah2024 and 2024Sarah and JonesSarah.\n"),
    # Upper case with letters spaced out, and an apostrophe variant.
    "p15": ("spaced.txt", "I: Who?\nP: S A R A H told me, and MAGGIE’S dog, and PRIYA'S cat.\n"),
    # Names inside an address, an e-mail and a web address.
    "p16": ("contacts.txt", "I: How do I reach her?\nP: sarah.jones@example.org or "
                            "https://example.org/people/margaret-wilson or www.priyapatel.co.uk\n"),
    # Look-alike letters from other scripts (a Cyrillic а, a Greek Ρ, a Cyrillic О).
    "p17": ("lookalike.txt", "I: Who?\nP: Sаrah Jones came with Ρriya and Оkafor.\n"),
    # A name split by a place that becomes a placeholder.
    "p18": ("split.txt", "I: Who?\nP: Margaret Lewisham Wilson, and Sarah Riverside Surgery Jones.\n"),
    # The name of the file itself names the participant: it must not reach any shareable file.
    "p19": ("interview_sarah_jones_final.txt", "I: Hello.\nP: Hello, thank you for having me.\n"),
    # Subtitle files: a WebVTT voice tag and a SubRip label that are names, a tag inside a name.
    "p20": ("voices.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Helen Carter>Hello there.\n\n"
                          "00:00:02.000 --> 00:00:04.000\n<v Sarah Jones>Hello, I am <i>Sa</i>rah.\n"),
    "p21": ("labels.srt", "1\n00:00:01,000 --> 00:00:02,000\nHelen Carter: Hello.\n\n2\n00:00:02,000 --> "
                          "00:00:04,000\nDavid Okafor: Hi, Helen. Priya says hi.\n"),
    # Spaces that are not spaces, and a possessive without its apostrophe.
    "p22": ("spaces.txt", "I: Who?\nP: Sarah\u00a0Jones, Sarah\tJones, Sarah\u2003Jones and sarahs dog.\n"),
    # All capitals, as a typist writes a heading or a shout.
    "p23": ("capitals.txt", "I: Who?\nP: SARAH JONES AND MARGARET WILSON AND DAVID OKAFOR.\n"),
    # Typed notes in brackets look like placeholders but are the typist's text.
    "p27": ("brackets.txt", "I: Who?\nP: [Sarah laughs] and then [Jones] and [Priya Patel, crying].\n"),
    # Letters spaced with hyphens, mixed case, a Markdown link.
    "p28": ("letters2.txt", "I: Who?\nP: S-A-R-A-H and sArAh jOnEs and [Priya](mailto:x@example.org).\n"),
    # A label with a time mark and a name, and a label glued to an underscore.
    "p29": ("stamped.txt", "[00:00:01] Helen Carter: Hello.\n[00:00:03] Sarah_J: Hello, Helen.\n"
                           "[00:00:05] Helen Carter: Thank you.\n[00:00:07] Sarah_J: Bye.\n"),
    # Hashtags that join a name to other words; accented and dotted variants of the letters.
    "p30": ("tags.txt", "I: Who?\nP: #TeamSarah and #JonesFamily and #okaforclan2024.\n"),
    "p31": ("accents.txt", "I: Who?\nP: Sàrah Jónes, and \u1e62arah with a dot, and PRÌYA.\n"),
    # A web address with the name in its query, and titles before surnames.
    "p32": ("query.txt", "I: Where?\nP: It was on example.org/search?name=Sarah+Jones&ref=Okafor, said Mrs Jones "
                         "to Dr. Okafor.\n"),
    "p33": ("curly.txt", "I: Whose?\nP: Maggie’s garden and Margaret’s cat and Priya’s.\n"),
}
# Word documents: tracked changes, a transcript typed in a table, a page header with a name.
DOCX_ATTACKS = {"p24": "tracked.docx", "p25": "table.docx", "p26": "header.docx"}
# Files that must be refused, one at a time, without stopping the batch or taking a code.
REFUSED = {
    "empty.docx": b"",
    "fake.docx": b"this is not a Word document at all",
    "latin.txt": b"I: Who?\nP: Caf\x81 \x81\x81 Sarah.\n",
}


def reader_view(text: str) -> str:
    """The text as a person reads it: look-alike letters plain, invisible characters and soft
    hyphens gone, words hyphenated across lines joined, handles, file names and camel case split,
    accents off, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and ch != "\u00ad")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"[\W_\d]+", " ", text)
    return " " + text.lower() + " "


def readable_names(text: str) -> list[str]:
    """The names a reader can still make out: as a word, or inside a run of letters ("sarahjones")."""
    view = reader_view(text)
    runs = view.replace(" ", "")
    return [name for name in NAMES if f" {name} " in view or name in runs]


def shareable_texts(out: Path, code: str) -> dict[str, str]:
    """Every shareable file of interview `code` as text (a .docx as its document XML's text)."""
    texts = {}
    for path in sorted(out.glob(f"{code}.*")):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as archive:
                xml = archive.read("word/document.xml").decode("utf-8")
            texts[path.name] = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
        else:
            texts[path.name] = path.read_text(encoding="utf-8-sig")
    return texts


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _run(text: str):
    from docx.oxml import parse_xml

    return parse_xml(f'<w:r xmlns:w="{W}"><w:t xml:space="preserve">{text}</w:t></w:r>')


def write_tracked(path: Path) -> None:
    """Typed with track changes on: an insertion holding a name, a deletion, a move away."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("I: Who came to the group?")
    paragraph = document.add_paragraph("P: At first only me, ")
    inserted = parse_xml(f'<w:ins xmlns:w="{W}" w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z"/>')
    inserted.append(_run("then Sarah Jones joined us later, "))
    paragraph._p.append(inserted)
    deleted = parse_xml(f'<w:del xmlns:w="{W}" w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z">'
                        '<w:r><w:delText xml:space="preserve">DELETEDWORD </w:delText></w:r></w:del>')
    paragraph._p.append(deleted)
    paragraph._p.append(_run("and it was good."))
    document.save(str(path))


def write_table(path: Path) -> None:
    """A title paragraph, then the whole interview as a table: speaker | text."""
    import docx

    document = docx.Document()
    document.add_paragraph("Interview transcript, typed in a table")
    table = document.add_table(rows=0, cols=2)
    for speaker, text in (("I", "How did you hear about the scheme?"), ("P", "Margaret Wilson told me about it."),
                          ("I", "And then?"), ("P", "Then David Okafor rang me.")):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = f"{speaker}:", text
    document.save(str(path))


def write_header(path: Path) -> None:
    """A page header naming the participant: not transcript text, never read."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Interview with Sarah Jones, confidential"
    document.add_paragraph("I: Thank you for coming.")
    document.add_paragraph("P: You are welcome.")
    document.save(str(path))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """One study: every attack file imported in one `transcribe anonymise`, all formats."""
    folder = tmp_path_factory.mktemp("attacks")
    study = folder / "study"
    study.mkdir()
    entries = []
    for code, (name, content) in ATTACKS.items():
        path = study / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        entries.append(f'\n[[interviews]]\naudio = "{name}"\ncodes = ["{code}"]\n')
    for name, content in REFUSED.items():
        (study / name).write_bytes(content)
    write_tracked(study / "tracked.docx")
    write_table(study / "table.docx")
    write_header(study / "header.docx")
    entries += [f'\n[[interviews]]\naudio = "{name}"\ncodes = ["{code}"]\n' for code, name in DOCX_ATTACKS.items()]
    (study / "study.toml").write_text(STUDY + "".join(entries), encoding="utf-8")
    out = folder / "transcripts"
    files = [study / name for name, _ in ATTACKS.values()] + [study / name for name in DOCX_ATTACKS.values()] + \
        [study / name for name in REFUSED]
    result = CliRunner().invoke(cli, ["anonymise", *map(str, files), "-o", str(out), "--format", "all",
                                      "--study", str(study / "study.toml")])
    return out, out.with_name("transcripts.private"), result


def assert_no_names(out: Path, code: str) -> None:
    texts = shareable_texts(out, code)
    assert texts, f"no shareable file of {code} was written"
    leaks = {name: readable_names(text) for name, text in texts.items()}
    assert not any(leaks.values()), {k: v for k, v in leaks.items() if v}


def test_the_batch_finished_and_refused_only_the_bad_files(attacked):
    out, private, result = attacked
    assert "Traceback" not in result.output
    for code in ATTACKS:
        assert re.search(rf"^\s*{code}\s.*: done", result.output, re.M), result.output


def test_invisible_characters_inside_names(attacked):
    assert_no_names(attacked[0], "p3")


def test_soft_hyphen_inside_a_participant_name_gives_the_participant_code(attacked):
    out, private, _ = attacked
    assert_no_names(out, "p4")
    text = (out / "p4.txt").read_text(encoding="utf-8")
    assert "[p2]" in text and "[Name" not in text
    key = (private / "key.csv").read_text(encoding="utf-8-sig")
    assert "mar garet" not in key and "\u00ad" not in key


def test_handles_file_names_and_joined_names(attacked):
    assert_no_names(attacked[0], "p5")
    text = (attacked[0] / "p5.txt").read_text(encoding="utf-8")
    assert "She sent" in text and "and the folder" in text  # nothing else of the turn was lost


def test_names_hyphenated_across_line_breaks(attacked):
    assert_no_names(attacked[0], "p6")


def test_fullwidth_letters_are_the_same_person(attacked):
    out, _, _ = attacked
    assert_no_names(out, "p7")
    text = " ".join(t["text"] for t in json.loads((out / "p7.json").read_text(encoding="utf-8"))["turns"])
    assert "[Organisation" not in text and text.count("[p1]") >= 2 and "Baker" not in text
    names = re.findall(r"uncle (\[Name(?: \d+)?\])", text)  # an unsure guess: [Name], kept out of the key
    assert len(names) == 2 and names[0] == names[1], text


def test_an_ordinary_word_is_not_the_interviewers_surname(attacked):
    text = (attacked[0] / "p8.txt").read_text(encoding="utf-8")
    assert "her carer" in text and "[I]" not in text.split("p8:", 1)[1]


def test_review_csv_holds_no_live_formula(attacked):
    _, private, _ = attacked
    with open(private / "review.csv", encoding="utf-8-sig", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert_no_names(attacked[0], "p9")


def test_right_to_left_marks_and_emoji_joiners(attacked):
    assert_no_names(attacked[0], "p10")


def test_mathematical_letters_ligatures_and_combining_accents(attacked):
    assert_no_names(attacked[0], "p11")


def test_other_separators_inside_full_names(attacked):
    assert_no_names(attacked[0], "p12")


def test_names_as_speaker_labels_of_an_imported_file(attacked):
    assert_no_names(attacked[0], "p13")


def test_very_long_and_glued_names(attacked):
    assert_no_names(attacked[0], "p14")


def test_spaced_out_capitals_and_apostrophe_variants(attacked):
    assert_no_names(attacked[0], "p15")


def test_names_inside_email_and_web_addresses(attacked):
    assert_no_names(attacked[0], "p16")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_bad_file_is_refused_with_a_reason_and_takes_no_code(attacked, name):
    out, private, result = attacked
    line = next((l for l in result.output.splitlines() if name in l), "")
    assert "failed" in line and "Traceback" not in result.output, result.output
    codes = json.loads((private / "codes.json").read_text()) if (private / "codes.json").exists() else {}
    assert len(codes) == 0  # every good file had its code in the study file; no bad file took one
    assert (private / "manifest.json").exists()  # apply and the studio still see the good files


def test_look_alike_letters_from_other_scripts(attacked):
    assert_no_names(attacked[0], "p17")


def test_a_name_split_by_a_placeholder(attacked):
    assert_no_names(attacked[0], "p18")


def test_the_imported_files_name_reaches_no_shareable_file(attacked):
    out, _, _ = attacked
    assert_no_names(out, "p19")
    assert not [p for p in out.iterdir() if "sarah" in p.name.lower() or "final" in p.name.lower()]


@pytest.mark.parametrize("code", ["p20", "p21"])
def test_names_in_subtitle_voice_tags_and_labels(attacked, code):
    assert_no_names(attacked[0], code)


def test_spaces_that_are_not_spaces_and_possessives(attacked):
    assert_no_names(attacked[0], "p22")


def test_all_capitals(attacked):
    assert_no_names(attacked[0], "p23")


@pytest.mark.parametrize("code", ["p27", "p28", "p29", "p30", "p31", "p32", "p33"])
def test_notes_letters_links_labels_tags_accents_queries_and_titles(attacked, code):
    assert_no_names(attacked[0], code)


def test_tracked_changes_are_read_as_accepted(attacked):
    out, _, _ = attacked
    assert_no_names(out, "p24")
    turns = json.loads((out / "p24.json").read_text(encoding="utf-8"))["turns"]
    text = " ".join(t["text"] for t in turns)
    assert "then [p1] joined us later, and it was good" in text and "DELETEDWORD" not in text


def test_an_interview_typed_in_a_table_is_read_in_full(attacked):
    out, _, _ = attacked
    assert_no_names(out, "p25")
    text = " ".join((out / "p25.txt").read_text(encoding="utf-8").split())
    assert "told me about it" in text and "rang me" in text and "And then?" in text


def test_a_page_header_is_not_transcript_text(attacked):
    out, _, _ = attacked
    assert_no_names(out, "p26")
    assert "confidential" not in (out / "p26.txt").read_text(encoding="utf-8")


def test_methods_record_after_imports_alone_speaks_of_transcripts(attacked):
    text = (attacked[0] / "methods.md").read_text(encoding="utf-8")
    assert "recording(s)" not in text and "model none" not in text
    assert "transcript(s) made elsewhere" in text and "no recording was processed" in text


# --- attacks that need one ordinary action by the researcher -------------------------------------


def small_study(folder: Path, allow: str = '["NHS"]') -> tuple[Path, Path, Path]:
    """The study above with its two interviews imported (txt, json): (study file, out, private)."""
    study = folder / "study"
    study.mkdir()
    for code in ("p1", "p2"):
        name, content = ATTACKS[code]
        (study / name).write_text(content, encoding="utf-8")
    (study / "p3.txt").write_text("I: Who helps you?\nP: Priya Patel does, and my friend Tom.\n", encoding="utf-8")
    entries = "".join(f'\n[[interviews]]\naudio = "{code}.txt"\ncodes = ["{code}"]\n' for code in ("p1", "p2", "p3"))
    (study / "study.toml").write_text(STUDY.replace('allow = ["NHS"]', f"allow = {allow}") + entries, encoding="utf-8")
    out = folder / "transcripts"
    result = CliRunner().invoke(cli, ["anonymise", *(str(study / f"{c}.txt") for c in ("p1", "p2", "p3")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return study / "study.toml", out, out.with_name("transcripts.private")


@pytest.mark.parametrize("wording", ["Priya P.", "[Priya's friend]", "Pri\u200bya P."])
def test_a_replacement_typed_by_the_researcher_is_checked_by_the_safety_net(tmp_path, wording):
    _, out, private = small_study(tmp_path)
    path = private / "review.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    row = next(r for r in rows if r["interview"] == "p3" and "Priya" in r["text"])
    row["decision"] = wording
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    assert result.exit_code == 1
    assert "line 2" in result.output and "still names Priya" in result.output
    assert not (out / "p3.txt").exists() and (private / "p3.identifiable.txt").exists()


def test_without_anonymisation_no_older_shareable_file_stays(tmp_path):
    from transcribe.batch import Batch
    from transcribe.folders import OutputSettings
    from transcribe.pipeline import RunSettings
    from transcribe.study import load_study

    study, out, _ = small_study(tmp_path)
    assert (out / "p1.txt").exists()
    results = Batch(out, RunSettings(), OutputSettings(anonymise=False), load_study(study)).rerender()
    assert not list(out.glob("p1.*")) and not list(out.glob("p3.*"))
    assert all(r.status == "not anonymised" and "were removed" in r.message for r in results), results


def test_never_replace_refuses_a_name_of_the_study(tmp_path):
    from transcribe.studio.workspace import Conflict, Studio

    _, out, _ = small_study(tmp_path)
    studio = Studio(out)
    version = studio.version("p1")
    for text in ("Sarah", "sarah jones", "Okafor", "priya"):
        with pytest.raises(Conflict, match="name of someone in this study"):
            studio.rule("p1", version, text, "", always=False)
    studio.rule("p1", version, "scheme", "", always=False)  # an ordinary word may be allowed


def test_an_allowed_name_in_the_study_file_is_warned_about(tmp_path):
    _, out, _ = small_study(tmp_path, allow='["NHS", "Sarah"]')
    result = CliRunner().invoke(cli, ["apply", "-o", str(out)])
    text = " ".join(result.output.split())
    assert "allow list keeps these names of people in the study readable" in text and "Sarah" in text


def test_an_alias_with_an_invisible_character_is_refused_with_its_line(tmp_path):
    from transcribe.errors import TranscribeError
    from transcribe.study import load_study

    path = tmp_path / "study.toml"
    # Pasted from an e-mail or a web page: the zero-width space is in the file as it is.
    path.write_text('[[people]]\nname = "Margaret Wilson"\naliases = ["Maggie", "Mag\u200bgie"]\n', encoding="utf-8")
    with pytest.raises(TranscribeError, match=r"line 3: .*invisible character \(U\+200B ZERO WIDTH SPACE\)"):
        load_study(path)


def test_a_key_row_with_an_invisible_character_is_refused(tmp_path):
    from transcribe.anonymise.key import StudyKey
    from transcribe.errors import TranscribeError

    path = tmp_path / "key.csv"
    path.write_text("replacement,category,original,first_seen\n[Name 1],person,to\u200bm,p1\n", encoding="utf-8")
    with pytest.raises(TranscribeError, match="line 2: .*invisible character"):
        StudyKey.load(path, [])


def test_a_studio_save_waits_for_a_running_apply_and_is_not_lost(tmp_path):
    import subprocess
    import sys
    import threading

    from transcribe.studio.workspace import Studio

    _, out, private = small_study(tmp_path)
    studio = Studio(out)
    found = studio.prepared("p3").prepared.found[0]
    version = studio.version("p3")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from transcribe.storage import output_lock\n"
        f"with output_lock(Path({str(private)!r})):\n    print('held', flush=True); time.sleep(3)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    saved = threading.Event()
    threading.Thread(target=lambda: (studio.decide("p3", version, found.id, "reject"), saved.set()), daemon=True).start()
    assert not saved.wait(1.5)  # it waits while apply writes
    holder.wait(30)
    assert saved.wait(30)
    assert '"reject"' in json.dumps(studio.prepared("p3").prepared.decisions)


def test_the_studio_api_refuses_a_null_text_and_a_bad_turn(tmp_path):
    from werkzeug.test import Client

    from transcribe.studio.server import StudioApp, address
    from transcribe.studio.workspace import Studio

    _, out, _ = small_study(tmp_path)
    app = StudioApp(Studio(out), port=9)
    client = Client(app)
    base = {"base_url": "http://127.0.0.1:9"}
    assert client.get("/?" + address(app).split("?")[1], **base).status_code == 303
    token = re.search(r'name="studio-token" content="([^"]+)"', client.get("/", **base).text).group(1)
    version = app.studio.version("p1")
    headers = {"X-Studio-Token": token, "Origin": "http://127.0.0.1:9"}
    for body, status in (({"version": version, "turn": 0, "text": None}, 400),
                         ({"version": version, "turn": 99, "text": "x"}, 409),
                         ({"version": version, "turn": "0", "text": "x"}, 400)):
        response = client.post("/api/interview/p1/text", json=body, headers=headers, **base)
        assert response.status_code == status, (body, response.text)
        assert "Traceback" not in response.text
    assert "None" not in app.studio.interview("p1")["turns"][0]["text"]


def test_a_zip_bomb_a_link_to_a_device_and_a_pipe_are_refused_quickly(tmp_path):
    import os

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + "A" * (70 * 2**20) + "</w:document>")
    assert bomb.stat().st_size < 2**20
    os.symlink("/dev/zero", tmp_path / "zero.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    study = tmp_path / "study.toml"
    study.write_text('[study]\ninterviewer_label = "I"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["anonymise", str(bomb), str(tmp_path / "zero.txt"), str(tmp_path / "pipe.txt"),
                                      "-o", str(tmp_path / "out"), "--study", str(study)])
    names = ("bomb.docx", "zero.txt", "pipe.txt")
    lines = {name: next(l for l in result.output.splitlines() if name in l) for name in names}
    assert "unpacks to" in lines["bomb.docx"] and "not a regular file" in lines["zero.txt"]
    assert "not a regular file" in lines["pipe.txt"]
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_a_model_file_named_after_a_person_names_nobody(tmp_path):
    from transcribe.models import find_whisper

    path = tmp_path / "tiny.en-SarahJones.pt"
    path.write_bytes(b"weights")
    checkpoint = find_whisper(str(path))
    assert "sarah" not in checkpoint.name.lower() and checkpoint.name.startswith("custom model")
    (tmp_path / "base.en.pt").write_bytes(b"weights")  # named as openai-whisper names its files
    assert find_whisper(str(tmp_path / "base.en.pt")).name == "base.en"


# --- the studio, attacked over HTTP (as a page on another site, or another local user, would) ----


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory):
    """The studio's WSGI app over the small study, signed in once: (app, client, headers)."""
    from werkzeug.test import Client

    from transcribe.studio.server import StudioApp, address
    from transcribe.studio.workspace import Studio

    _, out, _ = small_study(tmp_path_factory.mktemp("studio"))
    app = StudioApp(Studio(out), port=9)
    client = Client(app)
    assert client.get("/?" + address(app).split("?")[1], base_url=ORIGIN).status_code == 303
    token = re.search(r'name="studio-token" content="([^"]+)"', client.get("/", base_url=ORIGIN).text).group(1)
    return app, client, {"X-Studio-Token": token, "Origin": ORIGIN}


ORIGIN = "http://127.0.0.1:9"
STUDIO_ATTACKS = {
    # name: (method, path, headers replacing the good ones, body, refused with)
    "dns_rebinding_host": ("GET", "/api/study", {"Host": "attacker.example:9"}, None, 421),
    "no_session_cookie": ("GET", "/api/study", {"Cookie": "studio_session=forged"}, None, 403),
    "cross_site_origin": ("POST", "/api/interview/p1/reviewed", {"Origin": "http://attacker.example"}, {}, 403),
    "cross_site_fetch": ("POST", "/api/interview/p1/reviewed", {"Sec-Fetch-Site": "cross-site"}, {}, 403),
    "form_post_without_header_token": ("POST", "/api/interview/p1/reviewed", {"X-Studio-Token": ""}, {}, 403),
    "path_traversal_in_code": ("GET", "/api/interview/..%2F..%2Fkey", {}, None, 404),
    "path_traversal_in_static": ("GET", "/static/..%2F..%2Fserver.py", {}, None, 404),
    "unknown_action": ("POST", "/api/interview/p1/delete", {}, {"version": "x"}, 404),
}


@pytest.mark.parametrize("attack", sorted(STUDIO_ATTACKS))
def test_the_studio_refuses(studio_app, attack):
    app, client, good = studio_app
    method, path, headers, body, status = STUDIO_ATTACKS[attack]
    sent = {**good, **headers}
    base = ORIGIN if "Host" not in sent else "http://" + sent.pop("Host")
    cookies = sent.pop("Cookie", None)
    if cookies:
        client = type(client)(app)  # a browser that never signed in, with a forged cookie
        client.set_cookie("studio_session", cookies.split("=", 1)[1], domain="127.0.0.1")
    response = client.open(path, method=method, headers=sent, json=body, base_url=base)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and not any(h.lower().startswith("access-control") for h in response.headers.keys())


def test_transcript_text_reaches_the_page_only_as_data(studio_app):
    app, client, good = studio_app
    response = client.get("/api/interview/p1", base_url=ORIGIN)
    assert response.mimetype == "application/json" and "default-src 'none'" in response.headers["Content-Security-Policy"]
    script = (Path(__file__).parents[1] / "transcribe" / "studio" / "static" / "app.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


# --- files, permissions and logs -----------------------------------------------------------------


def test_a_formula_typed_as_a_replacement_or_kept_in_the_key_stays_text(tmp_path):
    from transcribe.csvfiles import read_table, write_table

    path = tmp_path / "review.csv"
    write_table(path, ["text", "decision"], [{"text": "-1 and @x", "decision": "=cmd|' /C calc'!A0"}])
    raw = path.read_text(encoding="utf-8-sig")
    assert "'=cmd" in raw and "'-1 and @x" in raw
    assert read_table(path, ["text", "decision"]).rows == [{"text": "-1 and @x", "decision": "=cmd|' /C calc'!A0"}]


def test_private_files_stay_private_under_a_permissive_umask(tmp_path):
    import os
    import stat

    old = os.umask(0)
    try:
        _, out, private = small_study(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    for path in private.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name


def test_the_log_and_the_documents_metadata_hold_no_name_or_path(attacked):
    out, private, _ = attacked
    log = (private / "run.log").read_text(encoding="utf-8") if (private / "run.log").exists() else ""
    assert not readable_names(log) and str(out.parent) not in log
    with zipfile.ZipFile(out / "p1.docx") as archive:
        meta = "".join(archive.read(part).decode("utf-8") for part in archive.namelist() if part.startswith("docProps/")
                       and part.endswith(".xml"))
    assert not readable_names(meta) and str(out.parent) not in meta and "study" not in meta.lower()
