"""Gateway-side subcommands of `stationkit`.

`COMMANDS` is their registry for `firmware_py.cli` (name, module, one-line help, pip extras):
a module is imported only when its subcommand runs, and its `register(subparsers)` adds the
real parser (one module may register several subcommands). Keep this package free of imports:
a node lists these commands in its help without having the gateway's dependencies.
"""

_GW = ("gateway",)

COMMANDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("gateway", "gateway.commands.gateway", "run the gateway (ingest, store, API)", _GW),
    ("token", "gateway.commands.gateway", "API tokens", _GW),
    ("user", "gateway.commands.user", "dashboard users (log in with username and password)", _GW),
    (
        "provision",
        "gateway.commands.provision",
        "create or revoke a node's broker credentials, certificate and config",
        _GW,
    ),
    ("backup", "gateway.commands.maintenance", "online backup of the gateway database", _GW),
    (
        "restore",
        "gateway.commands.maintenance",
        "replace the gateway database with a verified backup",
        _GW,
    ),
    (
        "retention",
        "gateway.commands.maintenance",
        "delete expired records (legal holds kept), logged",
        _GW,
    ),
    (
        "hold",
        "gateway.commands.maintenance",
        "legal holds: records kept whatever retention says",
        _GW,
    ),
    (
        "faces",
        "gateway.commands.faces",
        "face templates for family search: counts, key rotation, retention",
        _GW,
    ),
    (
        "hub",
        "gateway.commands.hub",
        "the bureau's hub (NATS JetStream -> PostgreSQL, dashboard)",
        ("gateway", "hub"),
    ),
    (
        "demo",
        "gateway.commands.demo",
        "run broker, gateway and a simulated intake node together",
        ("gateway", "demo"),
    ),
)
