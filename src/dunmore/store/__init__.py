"""Storage: tables, migrations, bulk paths. The only layer that talks SQL."""
