"""Body-temperature devices: protocol parsers, drivers behind `Thermometer`, simulators.

Protocols (docs/devices/thermometers.md): GY-MCU90614/90615 UART stream (`gy90614`), Optris
CT binary in the standard or "hs" scale (`optris`), Modbus RTU thermometers (`modbus`, via
pymodbus) with their register maps (`modbus_maps`: our BODYTEMP-MB/1 in `bodytemp_map`,
published presets, custom maps). Each driver turns device samples into `Measurement`s
through the same `MeasurementDetector` (or the device's own measurement counter) and runs a
`DataWatchdog` (`devices.serialio.watchdog`): no valid frame for a while is a fault.
"""
