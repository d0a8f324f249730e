"""The driver's web UI (ui.server): batches, jobs and executors as pages and JSON."""
