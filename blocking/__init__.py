"""nser-linkage."""
