"""The studio's HTTP side: a WSGI app (Werkzeug) bound to loopback, guarded by a session secret.

The address the studio prints, and opens through a private file (so that it is never on a
command line, where any local user could read it), carries a one-time code. The first request
with it exchanges it for a session cookie (HttpOnly, SameSite=Strict) and is redirected to the
plain address; the code is then spent, so an address seen later (a browser's history, a
terminal's scroll-back) opens nothing. Every request must carry the cookie and a Host header naming
this server (against DNS rebinding). Requests that change anything must also send the page's
token in the X-Studio-Token header, as JSON, from this origin: a page elsewhere cannot forge them.
No CORS headers are ever sent. Files are only ever the ones the studio knows; no path is taken
from a request. Nothing secret is logged.
"""

from __future__ import annotations

import contextlib

import hmac
import json
import logging
import secrets
import threading
import webbrowser
from importlib import resources
from pathlib import Path

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..errors import TranscribeError
from ..storage import StaleEdit
from ..text import normalise
from .workspace import Conflict, Studio

HOST = "127.0.0.1"
STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "media-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

ROUTES = Map([
    Rule("/", endpoint="page", methods=["GET"]),
    Rule("/static/<name>", endpoint="static", methods=["GET"]),
    Rule("/api/study", endpoint="study", methods=["GET"]),
    Rule("/api/interview/<code>", endpoint="interview", methods=["GET"]),
    Rule("/api/interview/<code>/audio", endpoint="audio", methods=["GET"]),
    Rule("/api/interview/<code>/<action>", endpoint="change", methods=["POST"]),
    Rule("/api/render", endpoint="render", methods=["POST"]),
])


COOKIE = "studio_session"


class StudioApp:
    """The WSGI application. `port` is set once the server is bound (the Host check needs it)."""

    def __init__(self, studio: Studio, port: int = 0):
        self.studio = studio
        self.port = port
        self.session = secrets.token_urlsafe(32)  # the cookie: who may read
        self.token = secrets.token_urlsafe(32)  # in the page, sent back in a header: who may change
        self._codes: set[str] = set()  # one-time: the addresses opened for the user
        self._codes_lock = threading.Lock()

    def new_code(self) -> str:
        with self._codes_lock:
            code = secrets.token_urlsafe(32)
            self._codes.add(code)
            return code

    def _spend(self, code: str) -> bool:
        with self._codes_lock:
            match = next((c for c in self._codes if hmac.compare_digest(c.encode(), code.encode())), None)
            if match is None:
                return False
            self._codes.discard(match)
            return True

    @property
    def origins(self) -> set[str]:
        return {f"http://{HOST}:{self.port}", f"http://localhost:{self.port}"}

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as error:
            response = _json({"error": error.description}, error.code)
        except (Conflict, StaleEdit) as error:
            response = _json({"error": str(error), "stale": True}, 409)
        except TranscribeError as error:
            response = _json({"error": str(error)}, 400)
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.host not in {f"{HOST}:{self.port}", f"localhost:{self.port}"}:
            return _json({"error": "unknown host"}, 421)
        code = request.args.get("code")
        if code is not None and request.path == "/" and request.method == "GET":
            return self._handshake(code)
        cookie = request.cookies.get(COOKIE, "")
        if not hmac.compare_digest(cookie.encode(), self.session.encode()):
            return _json({"error": "not signed in: open the address `transcribe review` printed, once (it works "
                          "one time only; run `transcribe review` again for a new one)"}, 403)
        if request.method not in ("GET", "HEAD"):
            refusal = self._cross_site(request)
            if refusal:
                return _json({"error": refusal}, 403)
        endpoint, args = ROUTES.bind_to_environ(request.environ).match()
        return getattr(self, f"on_{endpoint}")(request, **args)

    def _cross_site(self, request: Request) -> str | None:
        """Why a state-changing request is refused, or None: token in the header, JSON, same origin."""
        header = request.headers.get("X-Studio-Token", "")
        if not hmac.compare_digest(header.encode(), self.token.encode()):
            return "changes need the token in the X-Studio-Token header"
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.origins:
            return "cross-site request refused"
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return "cross-site request refused"
        if request.mimetype != "application/json":
            return "changes must be sent as JSON"
        return None

    def _handshake(self, code: str) -> Response:
        """The one-time code for the session cookie, then the plain address (the code leaves the URL)."""
        if not self._spend(code):
            return _json({"error": "this address was already used, or is not this studio's: run `transcribe review` "
                          "again for a new one"}, 403)
        response = Response(status=303, headers={"Location": "/"})
        response.set_cookie(COOKIE, self.session, httponly=True, samesite="Strict", path="/")
        return response

    # --- endpoints -----------------------------------------------------------------------------

    def on_page(self, request: Request) -> Response:
        html = _asset("index.html").replace("{{token}}", self.token)
        return Response(html, mimetype="text/html")

    def on_static(self, request: Request, name: str) -> Response:
        if name not in STATIC:
            raise NotFound()
        return Response(_asset(name), mimetype=STATIC[name])

    def on_study(self, request: Request) -> Response:
        with self.studio.lock:
            return _json(self.studio.overview())

    def _code(self, code: str) -> str:
        if code not in self.studio.codes():
            raise NotFound("no such interview")
        return code

    def on_interview(self, request: Request, code: str) -> Response:
        with self.studio.lock:
            return _json(self.studio.interview(self._code(code)))

    def on_audio(self, request: Request, code: str) -> Response:
        data = self.studio.audio_wav(self._code(code))
        if data is None:
            raise NotFound("the recording is not where the study file says, or its content changed")
        response = Response(data, mimetype="audio/wav")
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))

    def on_change(self, request: Request, code: str, action: str) -> Response:
        code = self._code(code)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json({"error": "expected a JSON object"}, 400)
        version = str(body.get("version", ""))
        studio = self.studio
        extra = {}
        try:
            if action == "decision":
                studio.decide(code, version, _text(body, "id"), _text(body, "decision", ""))
            elif action == "text":
                studio.correct_text(code, version, _number(body, "turn"), _text(body, "text"))
            elif action == "speaker":
                studio.change_speaker(code, version, _number(body, "turn"), _text(body, "speaker"))
            elif action == "split":
                studio.split_turn(code, version, _number(body, "turn"), _number(body, "word"))
            elif action == "rule":
                extra = studio.rule(code, version, _text(body, "text"), _text(body, "category", ""),
                                    body.get("kind") == "always")
            elif action == "pseudonym":
                studio.set_pseudonym(code, version, str(body["id"]), str(body["pseudonym"]))
            elif action == "reviewed":
                studio.set_reviewed(code, version, bool(body.get("reviewed", True)))
            else:
                raise NotFound("unknown action")
        except (KeyError, ValueError, TypeError):
            return _json({"error": "incomplete request"}, 400)
        with studio.lock:
            return _json({**extra, "interview": studio.interview(code)})

    def on_render(self, request: Request) -> Response:
        return _json({"results": self.studio.render()})


def _text(body: dict, name: str, default: str | None = None) -> str:
    """A text field of a request, in the one form every text entering the tool takes."""
    value = body.get(name, default) if default is not None else body[name]
    if not isinstance(value, str):
        raise TypeError(name)
    return normalise(value)


def _number(body: dict, name: str) -> int:
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(name)
    return value


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json")


def _asset(name: str) -> str:
    return resources.files("transcribe.studio").joinpath("static", name).read_text(encoding="utf-8")


def create_server(out: Path, port: int = 0):
    """A bound (not yet serving) server for the study in OUT, and its one-time address."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # request lines would print the code
    app = StudioApp(Studio(out))
    server = make_server(HOST, port, app, threaded=True)
    app.port = server.server_port
    return server, address(app)


def address(app: StudioApp, code: str | None = None) -> str:
    """The studio's address with a one-time code (a new one unless `code` is given)."""
    return f"http://{HOST}:{app.port}/?code={code or app.new_code()}"


def serve(out: Path, port: int = 0, open_browser: bool = True, say=print) -> None:
    """Serve the studio until interrupted (Ctrl-C), opening the browser on it.

    The browser is opened on a private file (mode 0600, in a folder of mode 0700) that sends it on to
    the one-time address, so the code is never on the browser's command line. The printed address
    has a code of its own, for a browser opened by hand.
    """
    import tempfile

    server, url = create_server(out, port)
    # Ctrl-C at any moment from here stops the studio the same way, and the stop message follows.
    try:
        with contextlib.suppress(KeyboardInterrupt):
            say(f"Review studio: {url}\n(The address works once.) Press Ctrl-C to stop.")
            with tempfile.TemporaryDirectory(prefix="transcribe-") as folder:
                if open_browser:
                    opener = _redirect_file(Path(folder), address(server.app))
                    threading.Thread(target=webbrowser.open, args=(opener.as_uri(),), daemon=True).start()
                server.serve_forever()  # Werkzeug's returns on Ctrl-C instead of raising KeyboardInterrupt
    finally:
        server.server_close()
    option = "" if Path(out) == Path("transcripts") else f" -o {out}"
    say(f"Review studio stopped. Your decisions and corrections are saved; `transcribe apply{option}` writes any "
        "you did not render.")


def _redirect_file(folder: Path, url: str) -> Path:
    """A page (mode 0600) that sends the browser to `url`; its name says nothing."""
    import html
    import os

    path = folder / "open.html"
    page = (f'<!doctype html><meta http-equiv="refresh" content="0;url={html.escape(url)}">'
            f'<a href="{html.escape(url)}">Open the review studio</a>')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(page)
    return path
