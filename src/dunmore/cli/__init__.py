"""The command-line interface: parses, opens the unit of work, calls a service, renders."""
