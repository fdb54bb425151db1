"""Distances on the ground (FLD-2 100 m, FLD-4 3 m, FLD-6 500 m).

Point to point: the geodesic on the WGS 84 ellipsoid (pyproj's ``Geod``). The route
corridor: the polyline projected into the UTM zone of the route (metres, shapely), where
the distance to a line and a buffer around it mean what they say; in degrees they would not.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, Point

_GEOD = Geod(ellps="WGS84")


def metres_between(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> float:
    _fwd, _back, dist = _GEOD.inv(float(lon1), float(lat1), float(lon2), float(lat2))
    return float(dist)


def _utm_epsg(lon: float, lat: float) -> int:
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=16)
def _to_metres(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(epsg), always_xy=True)


class Corridor:
    """The planned route as a line in a projected CRS; ``off_route`` is metres outside it."""

    def __init__(self, route: Sequence[Sequence[float]]) -> None:
        lon0, lat0 = route[0][0], route[0][1]
        self._project = _to_metres(_utm_epsg(lon0, lat0))
        xs, ys = self._project.transform([p[0] for p in route], [p[1] for p in route])
        self.line = LineString(list(zip(xs, ys, strict=True)))

    def distance(self, lat: Decimal, lon: Decimal) -> float:
        x, y = self._project.transform(float(lon), float(lat))
        return float(self.line.distance(Point(x, y)))

    def contains(self, lat: Decimal, lon: Decimal, width_m: float) -> bool:
        """Inside the corridor of ``width_m`` either side of the route."""
        x, y = self._project.transform(float(lon), float(lat))
        return bool(self.line.buffer(width_m).covers(Point(x, y)))
