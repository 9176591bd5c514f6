"""The one exception type for problems a user can cause and fix."""


class TranscribeError(Exception):
    """A problem the user can act on: the message says what happened and what to do.

    The CLI prints it without a traceback. Messages must not contain transcript text or names;
    they may name an input file only on the private side (the console, never the shareable folder).
    """


class StorageError(TranscribeError):
    """Writing failed (disk full, read-only or unwritable folder): the whole batch stops.

    Finished files are complete (every write is atomic) and stay as they were; running the same
    command again resumes.
    """
