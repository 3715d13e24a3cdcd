"""Property-based conformance against shared/platform-api.yaml (schemathesis, bounded).

Generated requests, valid and invalid, must never make the platform fail (5xx), and
every answer must have the documented content type, headers and body schema.
Status-code conformance is not checked: the spec documents the interesting codes per
operation and lists 400/401/403/415 once, in its rules for every operation.
Skipped when schemathesis is not installed or the spec is not beside the checkout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
from schemathesis.transport.asgi import ASGI_TRANSPORT  # noqa: E402
from schemathesis.transport.requests import REQUESTS_TRANSPORT  # noqa: E402
from schemathesis.transport.wsgi import WSGI_TRANSPORT  # noqa: E402

from kiosk.refplatform.catalog import FALLBACK_CATALOG  # noqa: E402
from kiosk.refplatform.server import RunningPlatform, start_in_thread  # noqa: E402

SPEC = Path(os.environ.get("KIOSK_PLATFORM_SPEC",
                           Path(__file__).resolve().parents[4] / "shared" / "platform-api.yaml"))
if not SPEC.is_file():
    pytest.skip(f"platform spec not found at {SPEC}", allow_module_level=True)


def _operations() -> list[Any]:
    loaded = schemathesis.openapi.from_path(SPEC)
    return [result.ok() for result in loaded.get_all_operations()]


OPERATIONS = _operations()
OFFSET_STREAM = "application/offset+octet-stream"
EXAMPLES = int(os.environ.get("KIOSK_CONTRACT_EXAMPLES", "10"))
CHECKS = [not_a_server_error, content_type_conformance, response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def contract_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningPlatform, Any]]:
    # PATCH bodies are bytes; schemathesis only knows application/octet-stream by name.
    schemathesis.serializer.alias(OFFSET_STREAM, "application/octet-stream")
    session = requests.Session()
    session.headers["Connection"] = "keep-alive"
    try:
        with start_in_thread(tmp_path_factory.mktemp("contract"), catalog_path=FALLBACK_CATALOG) as running:
            session.headers["Authorization"] = f"Bearer {running.enroll()[1]}"
            yield running, session
    finally:
        session.close()
        for transport in (REQUESTS_TRANSPORT, ASGI_TRANSPORT, WSGI_TRANSPORT):
            transport.unregister_serializer(OFFSET_STREAM)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_never_break_the_platform_or_the_contract(
        operation: Any, mode: GenerationMode, contract_platform: tuple[RunningPlatform, Any]) -> None:
    running, session = contract_platform

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=running.url, session=session, checks=CHECKS)

    run()
