"""Imports and exports of the ledger as CSV or XLSX files (C12).

`import_file` checks a whole file and writes it only when every row is good; `export_ledger`
writes the ledger back in the same format. See docs/imports.md for the columns and the rules.
"""

from __future__ import annotations

from dunmore.imports.columns import Kind
from dunmore.imports.export import ExportedFile, export_ledger
from dunmore.imports.service import ImportReport, Settlement, import_file

__all__ = ["ExportedFile", "ImportReport", "Kind", "Settlement", "export_ledger", "import_file"]
