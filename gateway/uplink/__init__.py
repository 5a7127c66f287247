"""The station's link to the bureau's hub: snapshots of alerts, incidents, daily statistics
returns and health published for the station's Mosquitto bridge to carry (uplink), and the
bureau's acknowledgements and comments applied to the station's alerts (downlink)."""


class UplinkError(Exception):
    """Base of this package's errors."""
