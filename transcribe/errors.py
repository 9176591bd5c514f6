"""The one exception type for problems a user can cause and fix."""


class TranscribeError(Exception):
    """A problem the user can act on: the message says what happened and what to do.

    The CLI prints it without a traceback. Messages must not contain transcript text or names;
    they may name an input file only on the private side (the console, never the shareable folder).
    """
