"""Face matching for family search (docs/faces.md): portraits of people taken in and photos
from families' missing-person reports become face templates; a supervisor searches one against
the others and reviews ranked candidates; a second reviewer with other evidence confirms.

The engine (dlib, numpy) is the optional extra `stationkit[faces]`; without it the rest of the
gateway runs and the face routes answer 503 "face search is not installed".
"""

from __future__ import annotations


class FacesError(Exception):
    """A face operation that cannot be done; `status` for the API, `code` for the desk."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class NotInstalled(FacesError):
    def __init__(self, why: str) -> None:
        super().__init__(
            503,
            "not_installed",
            f"face search is not installed on this gateway ({why}): "
            "pip install 'stationkit[faces]'",
        )
