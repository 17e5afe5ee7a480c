"""The garbage collector in a long-running server process.

Python's full collection walks every tracked object the process holds. After start-up
that is hundreds of thousands of objects that never die: modules, the app, its routes and
schemas, compiled templates. A full collection falls, every so often, in the middle of a
request, and adds tens of milliseconds to it (the as-of benchmark's slowest answers were
exactly these, docs/benchmarks.md). ``settle`` moves everything alive at that moment to the
collector's permanent generation, so later collections walk only what requests made.
What is settled is never collected: call it once, when start-up is done.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect start-up's garbage, then leave what remains out of later collections."""
    gc.collect()
    gc.freeze()
