"""The one retry schedule every device family uses (devices/backoff.py)."""

import pytest

from devices.backoff import Backoff


def test_delays_double_up_to_the_cap_and_start_over_after_a_success():
    b = Backoff(0.5, 3.0)
    assert [b.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    b.reset()
    assert b.next_delay() == 0.5


def test_the_fault_message_says_when_the_next_attempt_comes():
    assert Backoff(0.2, 5).describe() == (
        "retrying after 0.2 s, then less often, at most every 5 s"
    )


@pytest.mark.parametrize("bounds", [(0, 1), (-1, 1), (2, 1)])
def test_bounds_that_would_spin_or_never_grow_are_refused(bounds):
    with pytest.raises(ValueError, match="0 < min_s <= max_s"):
        Backoff(*bounds)


def test_a_camera_node_config_with_the_bounds_reversed_is_a_config_error():
    from pydantic import ValidationError

    from firmware_py.camera.config import CameraNodeConfig

    with pytest.raises(ValidationError, match="reconnect_min_s 60 is above reconnect_max_s 30"):
        CameraNodeConfig.model_validate(
            {
                "cameras": [{"id": "cam-0", "source": {"kind": "synthetic"}}],
                "reconnect_min_s": 60,
                "reconnect_max_s": 30,
            }
        )
