"""Notifications with proof of delivery: a durable outbox in the gateway database, webhook /
e-mail / MQTT channels, retries with backoff, delivery escalation to a fallback channel, and a
record of every attempt (docs/notifications.md)."""

from gateway.notify.config import NotifyConfig
from gateway.notify.message import Notification, from_change
from gateway.notify.notifier import Attempt, Notifier

__all__ = ["Attempt", "Notification", "Notifier", "NotifyConfig", "from_change"]
