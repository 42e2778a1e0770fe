"""Connected components for tests that check work done per component (not a test file)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np


def component_labels(
    edges: Iterable[tuple[Hashable, Hashable]], nodes: Iterable[Hashable]
) -> np.ndarray:
    """A label per node of ``nodes``: equal for nodes that ``edges`` connect (union-find)."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        a, b = find(a), find(b)
        if a != b:
            parent[b] = a
    return np.array([repr(find(node)) for node in nodes])
