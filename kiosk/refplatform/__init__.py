"""The reference central platform (shared/platform-api.yaml) with its staff console.

`kiosk platform serve` runs it for development and technicians; tests embed it with
`kiosk.refplatform.server.start_in_thread`.
"""
