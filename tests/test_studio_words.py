"""The review studio as a researcher reads it (issue 23, findings 4 and 6): in their words, with
line numbers, one highlight, true counts and marks. A small study with no model (first_day.py),
served in this process and driven in the system's chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from first_day import invoke, make_study, no_models
from test_studio import serving
from test_studio_browser import browser, message, press, state, wait  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.slow  # a browser: seconds per test, too many for the fast tier

ROOT = Path(__file__).resolve().parent.parent
# Internal names of detection sources, and scores: never on the page.
INTERNAL = re.compile(r"\b(?:roster|ner|gazetteer|fuzzy|misheard|safety net|score)\b|\b\d\.\d\d?\b"
                      r"|\b(?:list|pattern|institution|address|number|researcher)\s+\d", re.I)


@pytest.fixture
def study(tmp_path, monkeypatch):
    no_models(monkeypatch)
    folder, out = make_study(tmp_path / "study"), tmp_path / "transcripts"
    result = invoke("run", folder, "-o", out)
    assert result.exit_code == 0, result.output
    return folder, out


def sign_in(driver, address: str) -> str:
    """Open the studio's one-time address (the browser gets its session) and return the plain
    address that the rest of the test goes back to (the one-time one works only once)."""
    driver.get(address)
    wait(driver, lambda d: d.current_url.split("?")[0] == d.current_url)
    return address.split("?")[0]


def open_interview(driver, url, code):
    from selenium.webdriver.common.by import By

    driver.get(url + f"#/{code}")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".line") and (state(d) or {}).get("code") == code)
    return state(driver)


def page_text(driver) -> str:
    """Everything the page says: its text, and every tooltip."""
    return driver.execute_script(
        "return document.body.innerText + '\\n' + [...document.querySelectorAll('[title]')].map(n => n.title).join('\\n')")


def test_the_page_speaks_the_researchers_words_with_placeholders_spaced_like_words(study, browser):
    from selenium.webdriver.common.by import By

    _, out = study
    with serving(out) as (_, address):
        url = sign_in(browser, address)
        iv = open_interview(browser, url, "p1")
        text = page_text(browser)
        assert not INTERNAL.search(text), INTERNAL.search(text).group(0)
        assert "found by the language model, fairly sure" in text  # "scheme"
        assert "on your list of people" in text or "found by the final check" in text
        assert "replaced in this line only until you accept it" in text  # a one-off guess
        # A placeholder is a word of its own: "Sarah. [p1]", never "Sarah.[p1]".
        marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".transcript mark")]
        assert "Sarah. [p1]" in marks, marks
        transcript = browser.find_element(By.ID, "transcript").text
        assert not re.search(r"[^\s(\[]\[(?:p\d|I|Name|Place|Organisation)", transcript), transcript
        assert iv["detections"]
        browser.get(url)  # the study page too
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#study tbody tr"))
        assert not INTERNAL.search(page_text(browser))


def test_line_numbers_one_highlight_true_counts_and_no_stale_message(study, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, out = study
    with serving(out) as (_, address):
        url = sign_in(browser, address)
        iv = open_interview(browser, url, "p1")

        def highlighted():
            return browser.execute_script("""
                const line = document.querySelector('.line.current');
                const marks = [...document.querySelectorAll('.transcript mark.focus')];
                return {marks: marks.length, outside: marks.filter(m => !line.contains(m)).length,
                        items: document.querySelectorAll('.det.focus').length};""")

        # At every line: the focused item, if any, is on the current line, and nowhere else.
        for _ in iv["lines"]:
            seen = highlighted()
            assert seen["outside"] == 0 and seen["marks"] == seen["items"] <= 1, seen
            press(browser, Keys.ARROW_DOWN)
        assert any(not line["words"] or not any(w["det"] for w in line["words"]) for line in iv["lines"])

        # The edit dialog names the lines, as the page numbers them.
        press(browser, Keys.HOME)
        browser.execute_script("S.line = 0; markLine();")
        press(browser, "e")
        wait(browser, lambda d: d.find_element(By.ID, "turn-text").is_displayed())
        title = browser.find_element(By.CSS_SELECTOR, "#dialog h3").text
        assert title == "Lines 1-3 (I)", title
        assert "Turn" not in page_text(browser)
        # Three corrections: two words in one save, one word, a speaker.
        browser.execute_script("const a = document.getElementById('turn-text');"
                               "a.value = a.value.replace('would like', 'wanted so').replace('group', 'club');")
        press(browser, Keys.ENTER)
        iv = wait(browser, lambda d: state(d)["corrections"] == 1 and state(d))
        browser.execute_script("S.line = S.iv.lines.findIndex(l => l.turn === 3); markLine();")
        press(browser, "e")
        wait(browser, lambda d: d.find_element(By.ID, "turn-text").is_displayed())
        browser.execute_script("const a = document.getElementById('turn-text'); a.value = a.value.replace('friend', 'neighbour');")
        press(browser, Keys.ENTER)
        wait(browser, lambda d: state(d)["corrections"] == 2)
        press(browser, "s")
        wait(browser, lambda d: d.find_element(By.ID, "dialog").is_displayed())
        assert browser.find_element(By.CSS_SELECTOR, "#dialog h3").text.startswith("Speaker of line")
        press(browser, "1")
        wait(browser, lambda d: state(d)["corrections"] == 3)
        assert "3 correction(s)" in browser.find_element(By.CSS_SELECTOR, ".panel h2").text
        assert re.fullmatch(r"Lines? \d+(-\d+)?: now I\.", message(browser)), message(browser)
        # The message was about this page: the study page starts without it.
        press(browser, Keys.ESCAPE)
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#study tbody tr"))
        assert message(browser) == ""
        row = browser.find_element(By.CSS_SELECTOR, '#study tr[data-code="p1"]').text
        assert "3 correction(s)" in row


def test_the_reviewed_mark_stays_unless_that_interviews_shareable_text_changed(study, browser):
    from selenium.webdriver.common.by import By

    folder, out = study
    with serving(out) as (_, address):
        url = sign_in(browser, address)
        for code in ("p1", "p2"):
            iv = open_interview(browser, url, code)
            press(browser, "v")
            wait(browser, lambda d: state(d)["reviewed"])
        # A change to the study file that changes p2's shareable text only ("Plefton" never replaced).
        toml = folder / "study.toml"
        toml.write_text(toml.read_text().replace('allow = ["WellTogether"]', 'allow = ["WellTogether", "Plefton"]'))
        browser.get(url)
        rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#study tbody tr"))
        by_code = {r.get_attribute("data-code"): r.text for r in rows}
        assert "reviewed" in by_code["p1"] and "review mark removed" not in by_code["p1"]
        assert "review mark removed" in by_code["p2"]
        lost = browser.find_element(By.ID, "lost").text
        assert "p2: lines 6-7 of its shareable text changed after a change to the study file since you marked it" in lost
        assert "p1" not in lost
        iv = open_interview(browser, url, "p2")
        assert not iv["reviewed"] and "No longer marked as reviewed: lines 6-7" in browser.find_element(By.CSS_SELECTOR, ".panel").text


def test_ctrl_c_on_the_studio_says_it_stopped(study):
    _, out = study
    child = subprocess.Popen([sys.executable, "-c", "from transcribe.cli import main; main()", "review", "-o", str(out),
                              "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        printed = []
        while not any("Press Ctrl-C to stop." in line for line in printed) and len(printed) < 50:
            printed.append(child.stdout.readline())
        child.send_signal(signal.SIGINT)
        rest = child.communicate(timeout=20)[0]
        assert child.returncode == 0, printed + [rest]
        assert f"Review studio stopped. Your decisions and corrections are saved; `transcribe apply -o {out}`" in rest
    finally:
        if child.poll() is None:
            child.kill()
