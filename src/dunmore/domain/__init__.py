"""The pure core: values in, values out. Nothing here reads a clock, a setting or a database."""
