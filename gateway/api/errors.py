"""A route's domain errors answered as HTTP errors: `with http_errors(_fail, PeopleError): …`
in place of a `try` whose every `except` hands the error to the route module's `_fail`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn


@contextmanager
def http_errors(fail: Callable[[Any], NoReturn], *kinds: type[Exception]) -> Iterator[None]:
    """Within the block, an exception of one of `kinds` goes to `fail`, which raises the
    HTTPException that answers it; any other exception passes."""
    try:
        yield
    except kinds as exc:
        fail(exc)
