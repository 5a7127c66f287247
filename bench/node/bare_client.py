"""Floor: a bare paho-mqtt client that publishes one small QoS 1 message every `interval_s`,
with the node's credentials, and nothing else. What Python + paho cost before any StationKit
code. Run as a script: `python bench/node/bare_client.py PORT USER PASSWORD TOPIC INTERVAL_S`.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

import paho.mqtt.client as mqtt


def main() -> None:
    port, user, password, topic, interval_s = sys.argv[1:6]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
    client.username_pw_set(user, password)
    client.connect("127.0.0.1", int(port))
    client.loop_start()
    n = 0
    while not stop.wait(float(interval_s)):
        n += 1
        client.publish(topic, json.dumps({"n": n, "ts": time.time()}), qos=1)
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    sys.path.pop(0)
    main()
