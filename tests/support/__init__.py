"""Helpers for the test suite: a real Mosquitto on a free port, free ports, waiting."""
