"""Who may do what: users, roles and their permissions, portfolios, API tokens, the scoping rule every
customer query passes through, and the hash-chained audit log (see docs/design/access.md)."""
