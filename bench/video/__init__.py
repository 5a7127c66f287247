"""Video benchmark: `python -m bench.video` (see docs/benchmarks/video.md)."""
