"""The "stable for N ms" filter, driven by an injected clock (no sleeps)."""

from __future__ import annotations

from gpiozero import DigitalInputDevice
from gpiozero.pins.mock import MockFactory
from hypothesis import given
from hypothesis import strategies as st

from devices.gpio.debounce import DebouncedInput, StableFilter


def run(f: StableFilter, edges: list[tuple[float, bool]], until: float, step: float = 0.001):
    """Apply timed raw edges, polling every `step` s; return accepted (level, changed_at)."""
    out = []
    t = 0.0
    pending = sorted(edges)
    while t <= until + 1e-9:
        while pending and pending[0][0] <= t + 1e-12:
            when, level = pending.pop(0)
            f.edge(level, when)
        new = f.poll(t)
        if new is not None:
            out.append((new, round(f.changed_at, 6)))
        t = round(t + step, 6)
    return out


def test_contact_chatter_is_one_change_at_the_first_edge():
    f = StableFilter(0.020, initial=False)
    chatter = [(0.100, True), (0.102, False), (0.103, True), (0.107, False), (0.108, True)]
    assert run(f, chatter, until=0.2) == [(True, 0.108)]
    assert f.glitches == 2


def test_a_short_glitch_is_ignored():
    f = StableFilter(0.020, initial=False)
    assert run(f, [(0.1, True), (0.115, False)], until=0.3) == []
    assert f.value is False and f.glitches == 1


def test_a_real_short_pulse_right_after_another_is_not_dropped():
    # gpiozero's ignore-after-edge debounce drops the second pulse here (issue #1039).
    f = StableFilter(0.010, initial=False)
    edges = [(0.100, True), (0.125, False), (0.140, True), (0.165, False)]
    assert [lvl for lvl, _ in run(f, edges, until=0.3)] == [True, False, True, False]


@given(
    st.lists(st.tuples(st.integers(1, 200), st.booleans()), max_size=40),
    st.integers(1, 30),
)
def test_every_accepted_level_was_held_for_the_stable_time(raw, stable_ms):
    """Property: an accepted change always had the raw input at that level for ≥ stable."""
    f = StableFilter(stable_ms / 1000, initial=False)
    t_ms, edges = 0, []
    for gap, level in raw:
        t_ms += gap
        edges.append((t_ms, level))
    accepted = []
    level_at = [(0, False)]
    for t, lvl in edges:
        level_at.append((t, lvl))
    horizon = t_ms + stable_ms + 5
    for ms in range(horizon + 1):
        for t, lvl in edges:
            if t == ms:
                f.edge(lvl, ms / 1000)
        new = f.poll(ms / 1000)
        if new is not None:
            accepted.append((new, ms))
    for lvl, ms in accepted:
        # raw level over the last stable_ms before acceptance
        start = ms - stable_ms
        held = [lv for t, lv in level_at if start < t <= ms]
        before = [lv for t, lv in level_at if t <= start]
        assert all(lv == lvl for lv in held) and before[-1] == lvl
    # and the filter ends at the last raw level, which has been stable long enough
    assert f.value == (edges[-1][1] if edges else False)


def test_debounced_gpiozero_input_with_mock_pins_and_a_fake_clock():
    factory = MockFactory()
    now = [0.0]
    changes = []
    dev = DigitalInputDevice(17, pull_up=True, pin_factory=factory)
    pin = factory.pin(17)
    # normally-closed contact: closed (pin low, active) is the quiet state
    pin.drive_low()
    inp = DebouncedInput(
        dev,
        stable_s=0.03,
        clock=lambda: now[0],
        active_means=False,
        on_change=lambda v, at: changes.append((v, at)),
    )
    assert inp.value is False
    for t, level in [(1.0, "high"), (1.005, "low"), (1.01, "high")]:
        now[0] = t
        getattr(pin, f"drive_{level}")()
        inp.poll()
    now[0] = 1.035
    inp.poll()
    assert changes == []  # 25 ms since the last bounce: not yet
    now[0] = 1.041
    inp.poll()
    assert changes == [(True, 1.01)]
    # a cut wire reads as alarm too: pull-up, nothing pulls low
    inp.close()
    factory.reset()
