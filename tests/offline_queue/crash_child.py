"""The process the kill -9 tests kill: `python -m tests.offline_queue.crash_child STORAGE N SEED`.

Enqueues N applications (and an evaluation of the first), writing each receipt to
STORAGE/../acked.txt only after `enqueue` returned (the receipt the resident holds),
then runs one sync pass. OFFLINE_QUEUE_CRASH_AT makes it SIGKILL itself at a point.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import make_app


def main() -> int:
    storage, count, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    acked = storage.parent / "acked.txt"
    outbox = Outbox(storage)
    first = None
    for i in range(count):
        receipt = outbox.enqueue(make_app(seed=seed + i, pages=2, page_size=30_000))
        with open(acked, "a", encoding="utf-8") as f:
            f.write(f"{receipt.submission_id} {receipt.receipt_no}\n")
            f.flush()
            os.fsync(f.fileno())
        first = first or receipt
    if first is not None:
        outbox.enqueue_evaluation(4, submission_id=first.submission_id)
    worker = SyncWorker(outbox)
    worker.run_once(ignore_timers=True)
    worker.stop()
    outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
