"""Reproducible demo portfolios (customers, contacts, invoices, payments) for demos and benchmarks."""
