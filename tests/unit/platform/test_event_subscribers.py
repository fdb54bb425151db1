"""The subscriber registry and webhook signatures (ADR 0016), without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from safegrid.platform import events
from safegrid.relay import signing

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class MoneyMoved(events.Event):
    amount: Decimal
    on: date
    at: datetime
    note: str | None = None


def test_hall_8_patterns_are_names_prefixes_or_everything() -> None:
    assert events.parse_patterns(" Payment* , CustomerRegistered,Payment*") == (
        "Payment*",
        "CustomerRegistered",
    )
    assert events.parse_patterns([MoneyMoved, "*"]) == ("MoneyMoved", "*")
    for bad in ("", "Bad Name", "Pay*ment", "*Paid", "a,,b"):
        with pytest.raises(ValueError, match="event filter"):
            events.parse_patterns(bad)
    assert events.topic_matches("Payment*", "PaymentCaptured")
    assert not events.topic_matches("Payment", "PaymentCaptured")
    assert events.topic_matches("*", "Anything")


def test_hall_8_subscribers_are_named_and_not_replaced_by_another_handler() -> None:
    def a(records: object) -> None: ...

    def b(records: object) -> None: ...

    sub = events.subscribe("Money*", a, name="test.unit.money")
    try:
        assert sub.target == "subscriber:test.unit.money"
        assert sub.wants("MoneyMoved") and not sub.wants("CustomerRegistered")
        assert events.subscribe("Money*", a, name="test.unit.money") == sub
        with pytest.raises(ValueError, match="already registered"):
            events.subscribe("Money*", b, name="test.unit.money")
        assert "test.unit.money" in events.subscribers()
    finally:
        events.unsubscribe("test.unit.money")
    assert "test.unit.money" not in events.subscribers()


def test_hall_8_a_record_gives_back_the_typed_event() -> None:
    moved = MoneyMoved(Decimal("12.30"), date(2026, 11, 1), AT)
    record = events.EventRecord(7, moved.topic, moved.payload(), AT)
    assert record.payload["amount"] == "12.30"  # JSON in the outbox
    assert record.event() == moved
    assert events.EventRecord(8, "NoSuchEvent", {}, AT).event() is None


def test_hall_8_signature_verifies_only_the_same_body_secret_and_recent_time() -> None:
    record = events.EventRecord(7, "MoneyMoved", {"amount": "12.30"}, AT)
    body = signing.body_of(record)
    headers = signing.headers("s3cret", record, body, AT)
    assert headers[signing.SIGNATURE].startswith("v1=")
    signing.verify("s3cret", headers, body, AT + timedelta(seconds=299))
    for secret, sent, now, problem in [
        ("other", body, AT, "does not match"),
        ("s3cret", body + b" ", AT, "does not match"),
        ("s3cret", body, AT + timedelta(seconds=301), "replay"),
        ("s3cret", body, AT - timedelta(seconds=301), "replay"),
    ]:
        with pytest.raises(signing.SignatureError, match=problem):
            signing.verify(secret, headers, sent, now)
    with pytest.raises(signing.SignatureError, match="malformed"):
        signing.verify("s3cret", {**headers, signing.TIMESTAMP: "soon"}, body, AT)
