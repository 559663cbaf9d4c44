"""The receivables ledger (C1): customers, contacts, invoices, credit notes, payments, allocations."""
