"""The sandbox weather service (FLD-5), its own process: ``safegrid-sandbox weather``.

Endpoints (JSON):

- ``POST /v1/conditions`` ``{"points": [{"lat": "30.05", "lon": "119.95"}, ...]}`` →
  ``{"conditions": [{"thunderstorm": false, "humidity": 60, "area": null}, ...]}`` — what
  SafeGrid's weather adapter asks;
- ``PUT /v1/areas/{name}`` ``{"lat", "lon", "radius_km", "thunderstorm", "humidity"}`` —
  tell it to report a thunderstorm or a humidity for a circular area (the newest area
  containing a point wins; outside every area the weather is clear, 60 %);
- ``DELETE /v1/areas/{name}``, ``GET /v1/areas``.
"""
