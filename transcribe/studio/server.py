"""The studio's HTTP side: a WSGI app (Werkzeug) bound to loopback, guarded by a per-session token.

Every request must carry the token (in the URL opened for the user, or the X-Studio-Token header)
and a Host header naming this server (against DNS rebinding). Requests that change anything must
also send the token in the header, as JSON, from this origin: a page elsewhere cannot forge them.
No CORS headers are ever sent. Files are only ever the ones the studio knows; no path is taken
from a request.
"""

from __future__ import annotations

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


class StudioApp:
    """The WSGI application. `port` is set once the server is bound (the Host check needs it)."""

    def __init__(self, studio: Studio, token: str, port: int = 0):
        self.studio = studio
        self.token = token
        self.port = port

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
        given = request.headers.get("X-Studio-Token") or request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return _json({"error": "missing or wrong token: open the address transcribe review printed"}, 403)
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
                studio.decide(code, version, str(body["id"]), str(body.get("decision", "")))
            elif action == "text":
                studio.correct_text(code, version, int(body["turn"]), str(body["text"]))
            elif action == "speaker":
                studio.change_speaker(code, version, int(body["turn"]), str(body["speaker"]))
            elif action == "split":
                studio.split_turn(code, version, int(body["turn"]), int(body["word"]))
            elif action == "rule":
                extra = studio.rule(code, version, str(body["text"]), str(body.get("category", "")),
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


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json")


def _asset(name: str) -> str:
    return resources.files("transcribe.studio").joinpath("static", name).read_text(encoding="utf-8")


def create_server(out: Path, port: int = 0):
    """A bound (not yet serving) server for the study in OUT, and the address to open."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # request lines would print the token
    studio = Studio(out)
    token = secrets.token_urlsafe(32)
    app = StudioApp(studio, token)
    server = make_server(HOST, port, app, threaded=True)
    app.port = server.server_port
    return server, f"http://{HOST}:{app.port}/?token={token}"


def serve(out: Path, port: int = 0, open_browser: bool = True, say=print) -> None:
    """Serve the studio until interrupted (Ctrl-C), opening the browser on it."""
    server, url = create_server(out, port)
    say(f"Review studio: {url}\nPress Ctrl-C to stop.")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("Review studio stopped.")
    finally:
        server.server_close()
