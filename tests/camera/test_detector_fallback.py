"""MoveNet is the default; a node without onnxruntime still counts, with HOG, and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devices.camera.detectors import make_detector
from devices.camera.movenet import MoveNetDetector, input_size

REPO = Path(__file__).resolve().parents[2]


def test_default_detector_is_movenet():
    from devices.camera.analyzer import AnalyzerSettings

    assert AnalyzerSettings().detector == "movenet"
    assert isinstance(make_detector("movenet"), MoveNetDetector)


def test_without_onnxruntime_movenet_falls_back_to_hog_with_a_warning():
    code = (
        "import sys, logging\n"
        "sys.modules['onnxruntime'] = None\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from devices.camera.detectors import make_detector\n"
        "print(type(make_detector('movenet')).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "HogPersonDetector"
    assert "needs onnxruntime" in done.stderr and "falling back" in done.stderr


def test_model_input_keeps_the_aspect_in_multiples_of_32():
    assert input_size(640, 480, 384) == (384, 288)
    assert input_size(1280, 720, 384) == (384, 224)
    assert input_size(480, 640, 320) == (256, 320)
