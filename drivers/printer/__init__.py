"""Chinese ESC/POS thermal receipt printer (hardware-protocols.md §2).

`codec` (pure bytes ↔ commands and status), `decoder` (an independent ESC/POS parser,
the test peer), `device` (the session on one port), `sim` (the `sim://printer`
simulator) and `render` (received bytes → a PNG of the paper).
"""
