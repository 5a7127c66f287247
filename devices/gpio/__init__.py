"""GPIO helpers shared by the gate and wand drivers: the "stable for N ms" debounce filter."""

from devices.gpio.debounce import DebouncedInput, StableFilter

__all__ = ["DebouncedInput", "StableFilter"]
