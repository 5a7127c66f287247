"""Wire contract v1 between nodes and the gateway (see docs/mqtt.md).

`topics` builds and parses every topic; `models` defines every payload; `codec` encodes and
decodes them. Nothing else in the project formats a topic or serialises a payload.
"""

from devices.contract.errors import ContractError

__all__ = ["ContractError"]
