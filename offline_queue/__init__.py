"""The terminal's offline outbox and its exactly-once delivery to the platform.

    outbox.Outbox        durable queue: enqueue, enqueue_evaluation, status, list, retry,
                         lookup, receipt_data, export_bundle / import_bundle
    sync.SyncWorker      background delivery: start / stop / wake / run_once
    client.PlatformClient  the platform's HTTP interface as typed results (progress queries too)
    model                NewApplication, NewMaterial and the values the outbox returns
    db, files, crypto    one-writer SQLite, atomic material files, per-application keys
    credentials, catalog_cache   <storage_dir>/credentials.json, <storage_dir>/catalog/
    bundle               the encrypted export bundle
    crashpoints          named crash points for the kill -9 tests

Nothing here imports `kiosk` or Qt (pyproject.toml's import-linter contracts).
"""
