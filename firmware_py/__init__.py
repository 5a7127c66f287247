"""The StationKit node agent that runs on a Raspberry Pi (intake desk or camera node)."""

__version__ = "0.1.0"
