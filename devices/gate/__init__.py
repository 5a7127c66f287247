"""The walk-through security gate: `Gate` interface, GPIO dry-contact driver, GATE-ASCII/1
serial driver, in-process simulator; the desk's lamp, buzzer and turnstile relay."""
