"""The report form as the router and the desk call it; the dialog itself is the table in handlers.dialog."""
from __future__ import annotations

from handlers.dialog import (
    ADDRESS_PARTS,
    Draft,
    Step,
    catalog,
    follows_up,
    is_cancel,
    is_yes,
    just_made,
    load,
    looks_like_report,
    more_about_just_made,
    proceed,
    read,
    save,
    start,
    start_with_photo,
    timed_out,
)
from handlers.extract import Extracted
from handlers.form_texts import FOLLOW_UP, TIMED_OUT
from handlers.form_texts import ROOM as ROOM_QUESTION

__all__ = ["ADDRESS_PARTS", "FOLLOW_UP", "ROOM_QUESTION", "TIMED_OUT", "Draft", "Extracted", "follows_up", "Step", "catalog", "is_cancel", "is_yes", "just_made", "load",
           "looks_like_report", "more_about_just_made", "proceed", "read", "save", "start", "start_with_photo",
           "timed_out"]
