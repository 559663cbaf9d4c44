"""Imports and exports of the ledger as CSV or XLSX files (C12).

`import_file` checks a whole file and writes it only when every row is good; `export_ledger`
writes the ledger back in the same format. See docs/imports.md for the columns and the rules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from dunmore.imports.columns import Kind

if TYPE_CHECKING:
    from dunmore.imports.export import ExportedFile, export_ledger
    from dunmore.imports.service import ImportReport, Settlement, import_file

__all__ = ["ExportedFile", "ImportReport", "Kind", "Settlement", "export_ledger", "import_file"]

# Loaded on first use (PEP 562), so that naming `Kind` (as the command line does) costs no Polars.
_LAZY = {
    "ExportedFile": "dunmore.imports.export",
    "export_ledger": "dunmore.imports.export",
    "ImportReport": "dunmore.imports.service",
    "Settlement": "dunmore.imports.service",
    "import_file": "dunmore.imports.service",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)
