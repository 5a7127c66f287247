"""Checksums of the serial protocols: 8-bit sum (GY), XOR (GATE-ASCII, Optris), CRC-16/MODBUS."""

from __future__ import annotations


def sum8(data: bytes) -> int:
    """Low 8 bits of the sum of all bytes (GY-MCU90614 frames and commands)."""
    return sum(data) & 0xFF


def xor8(data: bytes) -> int:
    """XOR of all bytes (GATE-ASCII/1 BCC, Optris SET commands)."""
    acc = 0
    for b in data:
        acc ^= b
    return acc


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC16 = _crc16_table()


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ _CRC16[(crc ^ b) & 0xFF]
    return crc
