"""Data files bundled with the kiosk (read through importlib.resources)."""
