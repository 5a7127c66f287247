"""The web UI served by the gateway (plain HTML/JS, no build step)."""
