"""Body-temperature devices: protocol parsers, drivers behind `Thermometer`, simulators.

Protocols (docs/devices/thermometers.md): GY-MCU90614 UART stream (`gy90614`), Optris CT
binary (`optris`), a Modbus RTU body-temperature module (`modbus`, via pymodbus). Each
driver turns device samples into `Measurement`s through the same `MeasurementDetector`.
"""
