"""What StationKit's devices are and say: drivers, simulators and the wire contract.

No MQTT client code lives here; `devices.contract` is shared by the node and the gateway.
"""
