"""Keeping the gateway's record healthy: retention with legal holds, online backups, restore."""
