"""Versions of the installed packages that a transcript, a cache key or the methods record names."""

from __future__ import annotations


def package_version(package: str) -> str:
    """The installed version of `package`, or "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
