"""The one error a use case raises on purpose."""
from __future__ import annotations


class Refused(Exception):
    """A polite no: the message is shown to the person as it is."""
