"""bench/node: the intake node's memory and CPU (python -m bench.node)."""
