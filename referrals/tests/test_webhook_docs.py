"""docs/webhooks.md's Python example runs, and verifies our deliveries."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from referrals.webhooks import webhook_headers, webhook_secret_new

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _example(secret: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    monkeypatch.setenv("REFERRALS_WEBHOOK_SECRET", secret)
    namespace: dict[str, Any] = {"__name__": "webhook_example"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own document)
    return namespace


def test_the_documented_receiver_verifies_our_signature_and_rejects_tampering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = webhook_secret_new()
    example = _example(secret, monkeypatch)
    body = json.dumps({"type": "referral.created", "data": {"referral_id": 1}}).encode()
    headers = webhook_headers(
        secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body
    )
    assert example["verify"](body, headers) == json.loads(body)
    assert example["verify"](body.replace(b"1", b"2"), headers) is None
    other = _example(webhook_secret_new(), monkeypatch)
    assert other["verify"](body, headers) is None
