"""The role policy in one place (docs/access.md explains it).

Routes state who may call them with `require(...)` (gateway/api/deps.py); what cannot be said
with a role list alone lives here: which node commands the intake desk may send, and who may
watch live video."""

from __future__ import annotations

# The intake desk drives its own check station and nothing else (no cameras, no reloads).
DESK_COMMANDS = frozenset(
    {"wand_result", "outcome", "core_temperature", "select_check", "release_gate"}
)
# Events the intake desk may read (its own check steps and device faults); camera events of
# foster homes (motion, people, line_cross, tamper, camera, door) and manual reports are not
# the desk's business.
DESK_EVENT_KINDS = frozenset({"check", "gate", "metal", "temperature", "fault"})
# Roles that may send node commands; desk only the ones above.
COMMAND_ROLES = ("desk", "supervisor", "admin")
# Live video of foster homes: supervisors (and admins). Not the desk, not the bureau.
LIVE_ROLES = ("supervisor", "admin")


def may_send_command(role: str, action: str) -> bool:
    if role in ("supervisor", "admin"):
        return True
    return role == "desk" and action in DESK_COMMANDS
