"""People: the person file (受助人员档案), its checks, belongings, placements and images.

`store.py` is the API over the tables of gateway/store/schema/m0700_people.py; `models.py` the
typed records in and out; the HTTP routes are gateway/api/routes/people.py (docs/people.md)."""

from __future__ import annotations


class PeopleError(Exception):
    """Base of this package's errors; the message says what to do about it."""


class NotFound(PeopleError):
    """No such person (or check, belonging, placement)."""


class Conflict(PeopleError):
    """The request contradicts the file as it is (e.g. a check already linked elsewhere)."""


class ItemsHeld(Conflict):
    """A departure refused while belongings are still held (override with a reason)."""


class Invalid(PeopleError):
    """A request the file cannot take as given (e.g. a portrait without a legal basis)."""
