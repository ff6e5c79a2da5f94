"""The report form as the router, the owner and the desk call it; the dialog itself is handlers.dialog."""
from __future__ import annotations

from handlers.dialog import ADDRESS_PARTS, proceed, start, start_with_photo
from handlers.dialog_done import more_about_just_made
from handlers.dialog_prefill import draft_facts, prefill
from handlers.dialog_store import Draft, Step, just_made, load, save, timed_out
from handlers.dialog_words import catalog, follows_up, is_cancel, is_yes, looks_like_report, read
from handlers.extract import Extracted
from handlers.form_texts import FOLLOW_UP, TIMED_OUT
from handlers.form_texts import ROOM as ROOM_QUESTION

__all__ = ["ADDRESS_PARTS", "FOLLOW_UP", "ROOM_QUESTION", "TIMED_OUT", "Draft", "Extracted", "Step", "catalog",
           "draft_facts", "follows_up", "is_cancel", "is_yes", "just_made", "load", "looks_like_report",
           "more_about_just_made", "prefill", "proceed", "read", "save", "start", "start_with_photo", "timed_out"]
