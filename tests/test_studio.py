"""The review studio's server: a one-time address and a session, loopback only, no cross-site changes,
stale saves refused.

The browser itself is driven in test_studio_browser.py; these tests speak HTTP directly.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SAMPLES


def copy_study(study_run, folder: Path) -> tuple[Path, Path, Path]:
    """The demo recordings, study file and finished run copied into `folder`, pointing at each other."""
    out, private, _ = study_run
    study = folder / "study"
    shutil.copytree(SAMPLES, study, ignore=shutil.ignore_patterns("truth", "*.py", "SOURCE.txt"))
    copy_out, copy_private = folder / "transcripts", folder / "transcripts.private"
    shutil.copytree(out, copy_out)
    shutil.copytree(private, copy_private)
    manifest = copy_private / "manifest.json"
    data = json.loads(manifest.read_text())
    data["study"] = str(study / "study.toml")
    manifest.write_text(json.dumps(data))
    return study, copy_out, copy_private


@contextlib.contextmanager
def serving(out: Path):
    """The studio for OUT on a free loopback port: (server, its one-time address)."""
    from transcribe.studio import create_server

    server, url = create_server(out)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Client:
    """Plain HTTP to the studio, with every header under the test's control. It signs in as the
    browser does: the one-time address for the session cookie, then the page for its token."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port, self.cookie, self.token = parts.hostname, parts.port, "", ""
        status, headers, _ = self.request("GET", f"/?{parts.query}", token_header=False)
        assert status == 303 and headers["Location"] == "/", status
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        page = self.request("GET", "/", token_header=False)[2]
        self.token = re.search(rb'name="studio-token" content="([^"]+)"', page).group(1).decode()

    def request(self, method: str, path: str, body=None, headers=None, token_header=True, signed_in=True):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = {"Host": f"{self.host}:{self.port}"}
        if signed_in and self.cookie:
            sent["Cookie"] = self.cookie
        if token_header:
            sent["X-Studio-Token"] = self.token
        if body is not None:
            sent["Content-Type"] = "application/json"
            body = json.dumps(body)
        sent.update(headers or {})
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), data

    def json(self, method: str, path: str, body=None, **kwargs):
        status, headers, data = self.request(method, path, body, **kwargs)
        return status, json.loads(data) if data else None


@pytest.fixture
def studio(study_run, tmp_path):
    study, out, private = copy_study(study_run, tmp_path)
    with serving(out) as (server, url):
        yield server, Client(url), out, private


def test_every_request_needs_the_session_and_the_address_works_once(studio):
    server, client, _, _ = studio
    for path in ("/", "/api/study", "/static/app.js", "/api/interview/p1/audio", f"/api/study?token={client.token}"):
        assert client.request("GET", path, token_header=False, signed_in=False)[0] == 403, path
    assert client.request("GET", "/api/study", headers={"Cookie": "studio_session=" + "x" * 43}, signed_in=False)[0] == 403
    # The one-time code was spent by signing in: the same address opens nothing now.
    from transcribe.studio.server import address

    used = address(server.app).split("?")[1]
    assert client.request("GET", f"/?{used}", signed_in=False)[0] == 303
    assert client.request("GET", f"/?{used}", signed_in=False)[0] == 403
    status, headers, page = client.request("GET", "/", token_header=False)
    assert status == 200 and b"token=" not in page and b"code=" not in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert client.json("GET", "/api/study")[1]["interviews"][0]["code"] == "p1"


def test_the_browser_is_opened_without_the_secret_on_its_command_line(studio, monkeypatch, tmp_path):
    from transcribe.studio import server as server_module

    opened = []
    monkeypatch.setattr(server_module.webbrowser, "open", lambda url: opened.append(url))
    monkeypatch.setattr(server_module, "create_server", lambda out, port: (studio[0], "printed"))
    monkeypatch.setattr(studio[0], "serve_forever", lambda: None)
    monkeypatch.setattr(studio[0], "server_close", lambda: None)
    server_module.serve(tmp_path, open_browser=True, say=lambda text: None)
    for _ in range(100):
        if opened:
            break
        threading.Event().wait(0.05)
    (url,) = opened
    assert url.startswith("file://") and "code=" not in url and "token" not in url
    # The file it opens sends the browser on, and only its owner can read it.
    page = server_module._redirect_file(tmp_path, "http://127.0.0.1:9/?code=secret")
    assert page.stat().st_mode & 0o777 == 0o600 and "code=secret" in page.read_text()


def test_the_server_listens_on_loopback_only_and_checks_the_host_name(studio):
    server, client, _, _ = studio
    assert server.socket.family == socket.AF_INET and server.socket.getsockname()[0] == "127.0.0.1"
    # DNS rebinding: a page on another name that resolves to 127.0.0.1 is refused.
    assert client.request("GET", "/api/study", headers={"Host": f"attacker.example:{client.port}"})[0] == 421


def test_cross_site_changes_are_refused_and_no_cors_header_is_sent(studio):
    _, client, _, private = studio
    before = (private / "review.csv").read_bytes()
    version = client.json("GET", "/api/interview/p1")[1]["version"]
    change = {"version": version, "id": "t0c0", "decision": "reject"}
    path = "/api/interview/p1/decision"
    # A form posted from another site carries no header token: not enough, whatever its URL says.
    assert client.request("POST", f"{path}?token={client.token}", change, token_header=False)[0] == 403
    assert client.request("POST", path, change, headers={"Origin": "http://attacker.example"})[0] == 403
    assert client.request("POST", path, change, headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert client.request("POST", path, change, headers={"Content-Type": "text/plain"})[0] == 403
    status, headers, _ = client.request("OPTIONS", path, headers={"Origin": "http://attacker.example",
                                                                  "Access-Control-Request-Method": "POST"})
    assert status in (403, 405) and not any(h.lower().startswith("access-control-") for h in headers)
    assert (private / "review.csv").read_bytes() == before


def test_a_stale_save_from_a_second_tab_is_refused_with_a_message(studio):
    _, client, _, private = studio
    interview = client.json("GET", "/api/interview/p1")[1]
    loaded = interview["version"]  # both tabs loaded this
    first, second = interview["detections"][:2]
    status, data = client.json("POST", "/api/interview/p1/decision", {"version": loaded, "id": first["id"], "decision": "reject"})
    assert status == 200 and data["interview"]["version"] != loaded
    status, data = client.json("POST", "/api/interview/p1/decision", {"version": loaded, "id": second["id"], "decision": "reject"})
    assert status == 409 and "another tab" in data["error"]
    turn = interview["turns"][0]
    status, data = client.json("POST", "/api/interview/p1/text", {"version": loaded, "turn": 0, "text": turn["text"] + " indeed"})
    assert status == 409
    decided = {d["id"]: d["decision"] for d in client.json("GET", "/api/interview/p1")[1]["detections"]}
    assert decided[first["id"]] == "reject" and decided[second["id"]] == ""
    assert not (private / "edits").exists()


def test_paths_are_never_taken_from_the_request(studio):
    _, client, _, _ = studio
    for path in ("/api/interview/..%2Fkey/audio", "/api/interview/key.csv", "/static/..%2F..%2Fedits.py",
                 "/static/index.html", "/api/interview/p9"):
        assert client.request("GET", path)[0] == 404, path


def test_the_recording_is_decoded_to_wav_and_served_in_ranges(studio):
    _, client, out, _ = studio
    status, headers, data = client.request("GET", "/api/interview/p1/audio", headers={"Range": "bytes=0-43"})
    assert status == 206 and data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) == 44
    total = int(headers["Content-Range"].rsplit("/", 1)[1])
    assert total > 16000 * 2 * 60  # over a minute of 16 kHz 16-bit mono
    assert not any(p.suffix == ".wav" for p in out.iterdir())


def test_the_review_command_stops_when_interrupted(study_run, tmp_path):
    _, out, _ = copy_study(study_run, tmp_path)
    child = subprocess.Popen([str(Path(sys.executable).parent / "transcribe"), "review", "-o", str(out), "--no-browser"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"},
                             # as from a terminal: a child started without job control ignores SIGINT
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        printed = []
        while not any("http://127.0.0.1:" in line for line in printed) and len(printed) < 100:
            printed.append(child.stdout.readline())
        url = next(line for line in printed if "http://127.0.0.1:" in line).split()[-1]
        client = Client(url)
        assert client.request("GET", "/api/study")[0] == 200
        child.send_signal(signal.SIGINT)
        assert child.wait(20) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", client.port), timeout=2).close()
    finally:
        if child.poll() is None:
            child.kill()


def test_corrections_are_kept_in_the_edit_layer_and_decisions_follow_a_split(studio):
    _, client, out, private = studio
    interview = client.json("GET", "/api/interview/p1")[1]
    later = next(d for d in interview["detections"] if d["turn"] > 0)
    status, data = client.json("POST", "/api/interview/p1/decision",
                               {"version": interview["version"], "id": later["id"], "decision": "reject"})
    assert status == 200
    words = data["interview"]["turns"][0]["text"].split()
    status, data = client.json("POST", "/api/interview/p1/split",
                               {"version": data["interview"]["version"], "turn": 0, "word": len(words) // 2})
    assert status == 200, data
    after = data["interview"]
    assert len(after["turns"]) == len(interview["turns"]) + 1
    moved = [d for d in after["detections"] if d["text"] == later["text"] and d["turn"] == later["turn"] + 1]
    assert any(d["decision"] == "reject" for d in moved) and all(d["id"] != later["id"] for d in moved)
    layers = list((private / "edits").iterdir())
    assert len(layers) == 1 and layers[0].stat().st_mode & 0o777 == 0o600
    assert json.loads(layers[0].read_text())["edits"][0]["kind"] == "split"
    assert not any("edits" in p.name for p in out.iterdir())


def test_never_replace_adds_to_the_study_files_allow_list_and_keeps_its_comments(studio):
    _, client, _, _ = studio
    study_file = Path(json.loads((studio[3] / "manifest.json").read_text())["study"])
    before = study_file.read_text()
    interview = client.json("GET", "/api/interview/p3")[1]
    # A one-off guess, kept out of the key ("pre"): what is in the key or on the study's lists is
    # refused, since it names someone or somewhere of the study (test_attacks.py).
    place = next(d for d in interview["detections"] if "in this line only" in d["why"])
    status, data = client.json("POST", "/api/interview/p3/rule",
                               {"version": interview["version"], "kind": "never", "text": place["text"]})
    assert status == 200, data
    after = study_file.read_text()
    assert after.splitlines()[0] == before.splitlines()[0]  # the researcher's comments stay
    import tomllib

    assert place["text"] in tomllib.loads(after)["study"]["allow"]
    assert not any(d["text"] == place["text"] for d in data["interview"]["detections"])


def test_review_without_a_run_says_what_to_do(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from transcribe.cli import cli

    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "home")  # no output folder near here, nor in the folder above

    result = CliRunner().invoke(cli, ["review", "-o", str(tmp_path / "transcripts"), "--no-browser"])
    assert result.exit_code == 1 and "Run `transcribe run RECORDINGS` first" in result.output
