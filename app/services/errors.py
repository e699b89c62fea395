"""Typed errors raised by services; views and the API turn them into messages."""


class RenkeiError(Exception):
    """Base of the business errors; ``str()`` is a sentence a person understands."""


class InvalidInput(RenkeiError):
    """Input that breaks a business rule; ``field`` names the culprit when known."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(RenkeiError):
    """A record asked for does not exist."""


class Forbidden(RenkeiError):
    """The user may not do this."""
