"""Device drivers: pure codecs, transports opened by URL, sessions, and simulators.

Nothing here imports Qt (an import-linter contract in pyproject.toml enforces it).
"""
