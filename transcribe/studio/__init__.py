"""The review studio: a local web app to review, correct and approve transcripts (`transcribe review`)."""

from .server import create_server, serve

__all__ = ["create_server", "serve"]
