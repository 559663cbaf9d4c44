"""The dunning decision (C3/C4): pure, from a snapshot of the ledger and a policy set to decisions.

`model` holds the values that go in and come out; `decide` is the vectorised Polars engine;
`reference` is a plain per-customer evaluator written for reading, held equal to `decide` by tests.
"""
