"""The one exception base of the camera package."""


class CameraError(Exception):
    """Anything the camera package cannot do; the message says what to check."""


class SourceError(CameraError):
    """A frame source cannot be opened or stopped delivering frames."""
