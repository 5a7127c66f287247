"""What every StationKit process shares, node and gateway alike: config files with errors a
user can act on (`config_file`) and the systemd service protocol (`systemd`). Standard library
and pydantic only, so both sides may import it (docs/architecture.md)."""
