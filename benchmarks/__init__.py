# Dunmore first: its package sets the allocator's settings, which only count before Polars loads.
import dunmore  # noqa: F401
