"""Errors of the shared index that every entry point shows as a message (no heavy imports here)."""


class IndexUnavailableError(RuntimeError):
    """The Chroma server cannot be reached; the message says how to start it."""


class IndexMismatchError(RuntimeError):
    """A shared index was built differently (another embedding model, an older schema)."""


class IndexBusyError(RuntimeError):
    """Another writer held the index longer than we were willing to wait."""


SERVICE_ERRORS = (IndexUnavailableError, IndexMismatchError, IndexBusyError)
