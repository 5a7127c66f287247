"""The exception base of the serial device packages (gate, thermo, serialio)."""


class SerialDeviceError(Exception):
    """Anything a serial device driver cannot do; the message says what to check."""


class PortError(SerialDeviceError):
    """The port cannot be opened, or failed while open (adapter unplugged, no permission)."""


class FrameError(SerialDeviceError):
    """A frame that does not follow its protocol (bad checksum, bad field, too long).

    Parsers raise nothing else; `reason` is a short machine-readable category used as a
    counter name (``checksum``, ``too_long``, ``bad_field``, ``short``, ``garbage``).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
