"""Crash-safe file writing and private folders.

Every file is written to a temporary name in its own folder and renamed over the target, so an
interruption at any moment leaves the old file or the new one, never a truncated one. Files and
folders get their permissions when they are created (``os.open`` with a mode, ``mkdir`` with a
mode under a tight umask), not by a later ``chmod``: there is no moment when a private file is
readable by others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, TextIO, Union

from .errors import StorageError, TranscribeError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SHARED_FILE_MODE = 0o644

Content = Union[str, bytes, Callable[[TextIO], None], Callable[[BinaryIO], None]]
TEMP_PREFIX = ".tmp-"


def atomic_write(path: str | os.PathLike, content: Content, *, binary: bool = False, mode: int = SHARED_FILE_MODE) -> Path:
    """Write `content` (text, bytes, or a function that writes to a file) to `path` atomically.

    The file is created with `mode` (the process umask can only remove bits), fsync-ed, and renamed
    over `path`. A failure (disk full, read-only folder) removes the temporary file and raises
    :class:`TranscribeError`; the previous version of `path`, if any, is untouched.
    """
    path = Path(path)
    binary = binary or isinstance(content, bytes)
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # left by a killed earlier run that had this same process id
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, mode)
    except OSError as error:
        raise storage_error(path, error) from error
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": "\n"})) as f:
            if callable(content):
                content(f)
            else:
                f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise storage_error(path, error) from error
        raise
    _fsync_dir(path.parent)
    return path


class StaleEdit(Exception):
    """A file changed since an editor loaded it (another tab or window saved first)."""


def version_of(path: Path) -> str:
    """A short content hash: what an editor loaded, to detect a save made elsewhere since."""
    import hashlib

    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return "none"


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def storage_error(path: Path, error: OSError) -> StorageError:
    """The message for a failed write: what happened and what to do."""
    if error.errno == errno.ENOSPC:
        what = "the disk is full. Free some space and run the same command again (finished work is kept)"
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = "the folder is not writable. Choose another output folder with -o or fix its permissions"
    else:
        what = f"{error.strerror or error}"
    return StorageError(f"Cannot write {path.name} in {path.parent}: {what}.")


def make_private_dir(path: str | os.PathLike) -> Path:
    """Create a folder (and parents) readable only by the user; refuse an existing open one."""
    path = Path(path)
    old_umask = os.umask(0o077)
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(path / ".", error) from error
    finally:
        os.umask(old_umask)
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise TranscribeError(
            f"The private folder {path} belongs to another user. Choose an output folder of your own with -o "
            "(the private folder is created beside it)."
        )
    if info.st_mode & 0o077 and os.name == "posix":
        raise TranscribeError(
            f"The private folder {path} can be read by other users. Restrict it with `chmod 700 {path}` "
            "(it holds identifiable transcripts) and run again."
        )
    return path


def make_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(path / ".", error) from error
    return path


def remove_stale_temporaries(folder: Path) -> None:
    """Delete temporary files left anywhere under `folder` by a run that was killed mid-write."""
    if folder.is_dir():
        for tmp in folder.rglob(f"{TEMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def output_lock(private_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on an output folder pair for the duration of a run, or of one save.

    Every writer of the private folder takes it: run, apply, export, anonymise and each of the
    review studio's saves (which wait up to `wait` seconds for a run to finish), so no decision
    is lost between two processes. The lock is an advisory lock on a file in the private folder:
    the system releases it when its process ends in any way, so the lock of a killed run is never
    stale and is simply taken over. A live one makes the second run stop with a clear message
    instead of writing beside it. The lock file is never opened through a link (whose target
    would be overwritten).
    """
    lock = private_dir / "run.lock"
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(lock, flags, PRIVATE_FILE_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP or lock.is_symlink():
            raise TranscribeError(
                f"{lock.name} in {private_dir} is a link; transcribe does not write through links there. "
                "Remove it and run again."
            ) from None
        raise storage_error(lock, error) from error
    try:
        deadline = time.monotonic() + wait
        locked = _try_lock(fd)
        while not locked and time.monotonic() < deadline:
            time.sleep(0.1)
            locked = _try_lock(fd)
        if not locked:
            raise TranscribeError(
                "Another transcribe run is writing to this output folder. Wait for it to finish, or "
                "choose another folder with -o."
            )
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on an open file: fcntl on POSIX, msvcrt on Windows."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
