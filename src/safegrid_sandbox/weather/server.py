"""The sandbox weather service: areas in memory behind a small threaded HTTP server."""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLEAR_HUMIDITY = 60.0


@dataclasses.dataclass
class Area:
    name: str
    lat: float
    lon: float
    radius_km: float
    thunderstorm: bool
    humidity: float

    def covers(self, lat: float, lon: float) -> bool:
        # Haversine: good to metres at these distances, and the sandbox needs no GIS stack.
        p1, p2 = math.radians(self.lat), math.radians(lat)
        dp, dl = p2 - p1, math.radians(lon - self.lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371.0088 * math.asin(math.sqrt(a)) <= self.radius_km


class Weather:
    def __init__(self) -> None:
        self._areas: dict[str, Area] = {}
        self._lock = threading.Lock()

    def set_area(self, area: Area) -> None:
        with self._lock:
            self._areas.pop(area.name, None)
            self._areas[area.name] = area  # re-inserted: the newest wins

    def remove(self, name: str) -> bool:
        with self._lock:
            return self._areas.pop(name, None) is not None

    def areas(self) -> list[Area]:
        with self._lock:
            return list(self._areas.values())

    def at(self, lat: float, lon: float) -> dict[str, Any]:
        for area in reversed(self.areas()):
            if area.covers(lat, lon):
                return {
                    "thunderstorm": area.thunderstorm,
                    "humidity": area.humidity,
                    "area": area.name,
                }
        return {"thunderstorm": False, "humidity": CLEAR_HUMIDITY, "area": None}


class _Handler(BaseHTTPRequestHandler):
    server: WeatherServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:
        if self.path == "/v1/areas":
            self._send(200, [dataclasses.asdict(a) for a in self.server.weather.areas()])
        else:
            self._send(404, {"detail": "not found"})

    def do_POST(self) -> None:
        if self.path != "/v1/conditions":
            self._send(404, {"detail": "not found"})
            return
        try:
            points = [(float(p["lat"]), float(p["lon"])) for p in self._body()["points"]]
        except (KeyError, TypeError, ValueError):
            self._send(422, {"detail": "points: [{lat, lon}, ...]"})
            return
        self._send(200, {"conditions": [self.server.weather.at(lat, lon) for lat, lon in points]})

    def do_PUT(self) -> None:
        name = self.path.removeprefix("/v1/areas/")
        if not name or name == self.path:
            self._send(404, {"detail": "not found"})
            return
        try:
            b = self._body()
            area = Area(
                name,
                float(b["lat"]),
                float(b["lon"]),
                float(b.get("radius_km", 5)),
                bool(b.get("thunderstorm", False)),
                float(b.get("humidity", CLEAR_HUMIDITY)),
            )
        except (KeyError, TypeError, ValueError):
            self._send(422, {"detail": "lat, lon, radius_km, thunderstorm, humidity"})
            return
        self.server.weather.set_area(area)
        self._send(200, dataclasses.asdict(area))

    def do_DELETE(self) -> None:
        name = self.path.removeprefix("/v1/areas/")
        self._send(200 if self.server.weather.remove(name) else 404, {"name": name})


class WeatherServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, weather: Weather | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.weather = weather or Weather()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"
