"""What the rendering benchmarks share: wall and CPU milliseconds of repeated calls."""
from __future__ import annotations

import time
from collections.abc import Callable


def samples(run: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of `repeat` calls, after one warm-up call (fonts, caches)."""
    run()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus
