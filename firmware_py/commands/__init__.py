"""Node-side subcommands of `stationkit`.

`COMMANDS` is their registry for `firmware_py.cli` (name, module, one-line help, pip extras):
a module is imported only when its subcommand runs, and its `register(subparsers)` adds the
real parser. Keep this package free of imports, so that listing the commands costs nothing.
"""

COMMANDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("node", "firmware_py.commands.node", "run the node agent", ()),
    ("schema", "firmware_py.commands.schema", "print the JSON Schema of every wire payload", ()),
    (
        "camera",
        "firmware_py.commands.camera",
        "replay a recording through the camera pipeline",
        ("camera",),
    ),
)
