"""The review studio end to end in Debian's headless chromium, with the keyboard, on the demo study.

One researcher's pass over p1: accept, reject and replace detections, mark a missed name, correct
a word, change a turn's speaker, listen from a line, render; then the files are compared with what
`transcribe apply` writes from a copy of the same decisions and corrections.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_studio import copy_study, serving

from transcribe.cli import cli

# A word the detector has no reason to find, said in all three demo interviews: marked once as an
# organisation, it must be replaced in every interview.
MISSED = "scheme"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download a driver
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
                     "--window-size=1400,900", "--autoplay-policy=no-user-gesture-required", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def screenshots(tmp_path):
    folder = Path(os.environ.get("STUDIO_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait(driver, condition, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))


def press(driver, keys):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def state(driver) -> dict:
    return driver.execute_script("return S.iv")


def message(driver) -> str:
    return driver.execute_script("return document.getElementById('message').textContent")


def after_change(driver, before_version: str) -> dict:
    wait(driver, lambda d: d.execute_script("return S.iv && S.iv.version") != before_version, timeout=180)
    return state(driver)


def go_to_line_of_turn(driver, turn: int) -> None:
    from selenium.webdriver.common.keys import Keys

    index = next(i for i, line in enumerate(state(driver)["lines"]) if line["turn"] == turn)
    current = driver.execute_script("return S.line")
    press(driver, (Keys.ARROW_DOWN if index > current else Keys.ARROW_UP) * abs(index - current))
    assert driver.execute_script("return S.line") == index


def shareable_text(path: Path) -> str:
    if path.suffix == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(path).paragraphs)
    return path.read_text(encoding="utf-8")


def test_review_correct_and_render_an_interview_with_the_keyboard(study_run, browser, tmp_path, screenshots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    study, out, private = copy_study(study_run, tmp_path / "a")
    with serving(out) as (server, url):
        browser.get(url)
        rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#study tbody tr"))
        assert [r.get_attribute("data-code") for r in rows] == ["p1", "p2", "p3"]
        assert "anonymised" in rows[0].text and "up to date" in rows[0].text
        browser.save_screenshot(str(screenshots / "study.png"))

        press(browser, Keys.ENTER)
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".line") and state(d)["code"] == "p1")
        iv = state(browser)
        # Nothing is loaded from anywhere but the studio itself: it works with the network off.
        origins = browser.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
        assert origins and set(origins) == {url.split("/?")[0]}
        shared = (out / "p1.txt").read_text()
        for line in iv["lines"]:  # the page shows the shareable text's own numbered lines
            assert line["shared_text"] in shared
        detections = iv["detections"]
        assert len(detections) >= 3
        check = [d["check_first"] for d in detections]
        assert check == sorted(check, reverse=True)  # "check first" items come first

        # Accept the first, reject the second, give the third a replacement of our own.
        accepted, rejected, own = detections[0], detections[1], detections[2]
        press(browser, "a")
        iv = after_change(browser, iv["version"])
        press(browser, "r")
        iv = after_change(browser, iv["version"])
        press(browser, "o")
        wait(browser, lambda d: d.find_element(By.ID, "own").is_displayed())
        field = browser.find_element(By.ID, "own")
        field.clear()
        field.send_keys("[a relative]", Keys.ENTER)
        iv = after_change(browser, iv["version"])
        decided = {d["id"]: d["decision"] for d in iv["detections"]}
        assert decided[accepted["id"]] == "accept" and decided[rejected["id"]] == "reject"
        assert decided[own["id"]] == "[a relative]"

        # Mark a missed name: select it, m, then o (organisation); every occurrence is offered.
        browser.execute_script("""
            const word = arguments[0];
            const span = [...document.querySelectorAll('.w')].find(n => n.textContent.includes(word));
            const text = span.firstChild, at = text.textContent.indexOf(word);
            const range = document.createRange();
            range.setStart(text, at); range.setEnd(text, at + word.length);
            getSelection().removeAllRanges(); getSelection().addRange(range);""", MISSED)
        press(browser, "m")
        wait(browser, lambda d: d.find_element(By.ID, "dialog").is_displayed())
        press(browser, "o")
        iv = after_change(browser, iv["version"])
        wait(browser, lambda d: MISSED in message(d))
        assert re.search(r"occurrence\(s\) in p1, p2, p3", message(browser)), message(browser)
        assert MISSED in tomllib.loads((study / "study.toml").read_text())["study"]["organisations"]
        assert any(d["text"] == MISSED for d in iv["detections"])

        # Correct a word of the first turn (keyboard: e, edit, Enter).
        go_to_line_of_turn(browser, 0)
        press(browser, "e")
        wait(browser, lambda d: d.find_element(By.ID, "turn-text").is_displayed())
        original = iv["turns"][0]["text"]
        word = next(w for w in original.split() if w.isalpha() and w.islower() and len(w) > 4)
        browser.execute_script("const a = document.getElementById('turn-text');"
                               "a.value = a.value.replace(arguments[0], arguments[1]);", word, word.upper())
        press(browser, Keys.ENTER)
        iv = after_change(browser, iv["version"])
        assert iv["turns"][0]["text"] == original.replace(word, word.upper(), 1)

        # Change the speaker of the second turn (s, then the number of the other label).
        go_to_line_of_turn(browser, 1)
        speaker = iv["turns"][1]["speaker"]
        other = next(s for s in iv["speakers"] if s != speaker)
        press(browser, "s")
        wait(browser, lambda d: d.find_element(By.ID, "dialog").is_displayed())
        press(browser, str(iv["speakers"].index(other) + 1))
        iv = after_change(browser, iv["version"])
        assert iv["turns"][1]["speaker"] == other

        # Listen from the third turn: the media element's time moves and a word is highlighted.
        go_to_line_of_turn(browser, 2)
        start = iv["lines"][browser.execute_script("return S.line")]["words"][0]["start"]
        press(browser, " ")
        wait(browser, lambda d: d.execute_script("return document.getElementById('player').currentTime") > start + 0.5,
             timeout=30)
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".w.now"), timeout=10)
        press(browser, " ")
        assert browser.execute_script("return document.getElementById('player').paused")
        browser.save_screenshot(str(screenshots / "interview.png"))

        # The same decisions and corrections, copied before rendering, for `apply` to render.
        twin = tmp_path / "b"
        shutil.copytree(tmp_path / "a", twin)
        manifest = twin / "transcripts.private" / "manifest.json"
        manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"study": str(twin / "study" / "study.toml")}))

        press(browser, "W")
        wait(browser, lambda d: "Rendered 3 interview(s)" in message(d), timeout=120)
        assert state(browser)["pending_lines"] == 0

    shared_files = sorted(p for p in out.iterdir() if p.name.startswith("p"))
    assert {p.suffix for p in shared_files} >= {".txt", ".json", ".docx", ".srt", ".vtt"}
    for path in shared_files:  # the missed name is gone from every shareable format of every interview
        assert not re.search(rf"\b{MISSED}\b", shareable_text(path), re.I), path.name
    p1 = (out / "p1.txt").read_text()
    assert rejected["text"] in p1 and "[a relative]" in p1 and word.upper() in p1
    assert re.search(rf"^\s+\d+  {re.escape(other)}:", p1, re.M)
    assert word.upper() in (private / "p1.identifiable.txt").read_text()
    raw = json.loads((private / "p1.identifiable.json").read_text())
    assert word.upper() not in raw["turns"][0]["text"]  # the canonical JSON keeps the raw recognition

    result = CliRunner().invoke(cli, ["apply", "-o", str(twin / "transcripts")])
    assert result.exit_code == 0, result.output
    for path in shared_files:
        applied = twin / "transcripts" / path.name
        if path.suffix == ".docx":
            assert shareable_text(path) == shareable_text(applied), path.name
        else:
            assert path.read_bytes() == applied.read_bytes(), path.name
    for name in ("key.csv", "review.csv"):
        assert (private / name).read_text() == (twin / "transcripts.private" / name).read_text()
