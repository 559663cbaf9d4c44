"""Dunmore: accounts-receivable collections (催款 / 催收)."""

import os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc, which it tells to hand freed pages back to the system
# after half a second. A dunning run frees and reallocates hundreds of megabytes within that time,
# so its pages went back and were faulted in again (about a fifth of the decision's time on a 2-core
# VM). jemalloc's own default keeps them for ten seconds; a long-running worker still returns them
# when idle. Set before Polars is first imported (jemalloc reads it once); the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")
