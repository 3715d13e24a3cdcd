"""Barcode/QR scanners: serial (RS-232, USB-CDC) and USB HID keyboard wedge (evdev).

codec.py frames bytes into scans (pure); gate.py drops duplicates and floods (pure);
device.py is the session the DeviceRunner drives; wedge.py turns evdev key events into
the same byte stream; sim.py is the `sim://scanner` simulator; content.py describes a
scan's text for the kiosk layer without ever interpreting it.
"""
