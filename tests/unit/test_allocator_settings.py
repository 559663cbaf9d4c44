"""Dunmore sets Polars' allocator (jemalloc) to keep freed pages for jemalloc's default ten seconds
instead of Polars' half second, unless the environment already says otherwise. The setting reaches
the allocator only if it is made before Polars loads, which importing dunmore first does."""

from __future__ import annotations

import os
import subprocess
import sys

# jemalloc prints the options it runs with when the process exits (stats_print).
SHOW = (
    "import os, dunmore; conf = os.environ.get('_RJEM_MALLOC_CONF')"
    "; os.environ['_RJEM_MALLOC_CONF'] = (conf + ',' if conf else '') + 'stats_print:true'"
    "; import polars as pl; pl.DataFrame({'a': [1]})"
)


def _decay_in_effect(conf: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if conf is not None:
        env["_RJEM_MALLOC_CONF"] = conf
    run = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    shown = [line for line in run.stderr.splitlines() if "opt.dirty_decay_ms" in line]
    return shown[0].split(":")[1].split()[0]


def test_importing_dunmore_first_keeps_freed_pages_ten_seconds() -> None:
    assert _decay_in_effect(None) == "10000"


def test_the_environment_wins() -> None:
    assert _decay_in_effect("dirty_decay_ms:2500") == "2500"
