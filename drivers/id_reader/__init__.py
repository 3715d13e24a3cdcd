"""Second-generation ID card reader over the SAM serial protocol (GA/T 467)."""
