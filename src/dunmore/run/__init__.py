"""The dunning run (C4): gather a snapshot, decide with the pure engine, apply in one transaction."""
