"""Reports over the ledger (C10): aging first; DSO, CEI and the rest build on the same pieces."""
