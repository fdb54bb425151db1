"""The weather adapter (FLD-5): an interface over an HTTP weather service.

``WeatherSource.conditions`` answers for many sites in one call (dispatch asks for a
batch of orders at once; a single order is a batch of one). The HTTP adapter speaks the
protocol of ``safegrid-sandbox weather`` (``POST /v1/conditions``); a production weather
provider gets an adapter of its own behind the same interface. An unreachable or unclear
service bans high-risk work: the rule fails closed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import httpx

from safegrid.fieldwork.settings import field_settings
from safegrid.platform.errors import ConflictError

HUMIDITY_LIMIT = Decimal(80)


@dataclasses.dataclass(frozen=True)
class Conditions:
    thunderstorm: bool
    humidity: Decimal  # percent
    area: str | None = None

    def ban(self) -> str | None:
        """Why high-risk work is banned under these conditions, or None."""
        where = f"（{self.area}）" if self.area else ""
        if self.thunderstorm:
            return f"雷雨天气{where} / thunderstorm at the site"
        if self.humidity > HUMIDITY_LIMIT:
            return f"湿度 {self.humidity}% > 80%{where} / humidity {self.humidity} % above 80 %"
        return None


class WeatherSource(Protocol):
    def conditions(self, sites: Sequence[tuple[Decimal, Decimal]]) -> list[Conditions]:
        """Conditions at each (lat, lon), in order."""
        ...


class WeatherUnavailable(ConflictError):
    pass


class HttpWeather:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def conditions(self, sites: Sequence[tuple[Decimal, Decimal]]) -> list[Conditions]:
        if not sites:
            return []
        body = {"points": [{"lat": str(lat), "lon": str(lon)} for lat, lon in sites]}
        try:
            resp = httpx.post(f"{self.base_url}/v1/conditions", json=body, timeout=self.timeout)
            resp.raise_for_status()
            rows = resp.json()["conditions"]
            found = [
                Conditions(
                    bool(r["thunderstorm"]), Decimal(str(r["humidity"])), r.get("area") or None
                )
                for r in rows
            ]
        except (httpx.HTTPError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise WeatherUnavailable(
                "无法获取现场天气，高风险作业暂停派发 / the weather service did not answer; "
                f"high-risk work is not dispatched ({type(exc).__name__})"
            ) from None
        if len(found) != len(sites):
            raise WeatherUnavailable("天气服务应答不完整 / incomplete weather answer")
        return found


def default_source() -> WeatherSource:
    s = field_settings()
    return HttpWeather(s.weather_url, timeout=s.weather_timeout_seconds)
