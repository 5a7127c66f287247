"""The one exception type of the wire contract."""


class ContractError(ValueError):
    """A topic or payload that does not follow wire contract v1.

    `reason` is a short machine-readable category (used as a metrics label and in the
    dead-letter table); the message says what exactly was wrong.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.detail = message
