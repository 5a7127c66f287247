"""GPIO helpers shared by the gate and wand drivers: the "stable for N ms" debounce filter, and
`inputs.PolledInputs`, a device's debounced inputs polled by one thread."""

from devices.gpio.debounce import DebouncedInput, StableFilter

__all__ = ["DebouncedInput", "StableFilter"]
