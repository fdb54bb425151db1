"""Field work fixtures: see tests/fixtures/field.py."""

from tests.fixtures.field import crew, fixed_now, weather_server

__all__ = ["crew", "fixed_now", "weather_server"]
