"""nser-linkage: record linkage and deduplication for Pakistan's NSER registry."""

__version__ = "0.1.0"
