"""Serial-port plumbing shared by every serial device driver.

`ReconnectingPort` opens ports with `serial.serial_for_url` (device paths, pseudo-terminals,
`socket://`, `loop://`), reads with timeouts and reopens after an unplug, waiting as
`devices.backoff.Backoff` says (as the Modbus thermometer does for its client);
`watchdog` says when an open port has brought no valid frame for too long, and logs device
state changes once; `checksums` holds the small sums and CRCs of the device protocols;
`virtual` makes pseudo-terminal null-modem cables for simulators and tests, and `device_sim`
is the base of the simulators that play a device's end of such a line.
"""

from devices.serialio.errors import FrameError, PortError, SerialDeviceError

__all__ = ["FrameError", "PortError", "SerialDeviceError"]
