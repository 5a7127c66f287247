"""Gateway-side subcommands of `stationkit` (each module: `register(subparsers)`)."""
