"""The document camera (高拍仪): frames in, flattened pages and barcodes out.

source.py (OpenCV/V4L2, `sim://`, image files) · device.py (`CameraDriver`, health,
events) · page.py (finding the page) · rectify.py, orientation.py (flattening, legibility,
which way up) · quality.py (blur, glare, auto-capture) · barcodes.py · pdf.py ·
pipeline.py (`PagePipeline`, the API a capture screen drives) · synth.py (generated
frames with known corners, for tests, the bench and `sim://`).
"""
