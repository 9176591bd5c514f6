"""Reviewing one interview: the studio in headless chromium against the review.csv way.

Usage: python benchmarks/studio_review.py OUT CODE

OUT is a finished `transcribe run` output folder (use a copy: decisions are written). Both ways
make the same decision on every detection of interview CODE (accept, or reject where the detector
was unsure) and end with every shareable file rendered. The script measures wall time and counts
the keys a researcher presses; for the people's side it adds the keystroke-level model (Card,
Moran and Newell: 0.28 s a key, 1.1 s to point, 1.35 s to decide), since a script's keys take no
thought.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

KEY, POINT, THINK = 0.28, 1.1, 1.35


def decision_for(row: dict) -> str:
    return "reject" if row.get("priority") else "accept"


def browser_pass(out: Path, code: str) -> dict:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    from transcribe.studio import create_server

    os.environ["SE_OFFLINE"] = "true"
    server, url = create_server(out)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    wait = WebDriverWait(driver, 300, poll_frequency=0.05)
    keys = 0

    def press(k: str) -> None:
        nonlocal keys
        keys += 1
        ActionChains(driver).send_keys(k).perform()

    try:
        start = time.perf_counter()
        driver.get(url)
        wait.until(lambda d: d.execute_script("return S.study !== null"))
        codes = [i["code"] for i in driver.execute_script("return S.study.interviews")]
        for _ in range(codes.index(code)):
            press("j")
        press("\ue007")  # Enter
        wait.until(lambda d: d.execute_script("return S.iv && S.iv.code") == code)
        opened = time.perf_counter()
        detections = driver.execute_script("return S.iv.detections")
        for d in detections:
            version = driver.execute_script("return S.iv.version")
            press("r" if d["check_first"] else "a")
            wait.until(lambda drv: drv.execute_script("return S.iv.version") != version)
        decided = time.perf_counter()
        press("W")
        wait.until(lambda d: "Rendered" in d.execute_script("return document.getElementById('message').textContent"))
        end = time.perf_counter()
    finally:
        driver.quit()
        server.shutdown()
    n = len(detections)
    return {"detections": n, "keys": keys, "open_s": opened - start, "decide_s": decided - opened,
            "render_s": end - decided, "total_s": end - start,
            "people_s": n * (THINK + KEY) + 2 * KEY}


def csv_pass(out: Path, code: str) -> dict:
    private = out.with_name(out.name + ".private")
    path = private / "review.csv"
    start = time.perf_counter()
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    mine = [r for r in rows if r["interview"] == code]
    for row in mine:
        row["decision"] = decision_for(row)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)
    edited = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "transcribe"), "apply", "-o", str(out)], check=True,
                   capture_output=True)
    end = time.perf_counter()
    n = len(mine)
    # Per row: decide, point at its decision cell, type the word and Enter. Then save and run apply.
    typed = sum(len(decision_for(r)) + 1 for r in mine)
    command = len(f"transcribe apply -o {out.name}") + 1
    return {"detections": n, "keys": typed + command + 2, "edit_s": edited - start, "apply_s": end - edited,
            "total_s": end - start,
            "people_s": n * (THINK + POINT) + typed * KEY + 2 * POINT + (command + 2) * KEY}


def main() -> None:
    out, code = Path(sys.argv[1]), sys.argv[2]
    a, b = out.parent / "browser", out.parent / "spreadsheet"
    for copy in (a, b):
        shutil.rmtree(copy, ignore_errors=True)
        copy.mkdir()
        shutil.copytree(out, copy / out.name)
        shutil.copytree(out.with_name(out.name + ".private"), copy / (out.name + ".private"))
    print("browser    ", {k: round(v, 2) if isinstance(v, float) else v for k, v in browser_pass(a / out.name, code).items()})
    print("review.csv ", {k: round(v, 2) if isinstance(v, float) else v for k, v in csv_pass(b / out.name, code).items()})


if __name__ == "__main__":
    main()
