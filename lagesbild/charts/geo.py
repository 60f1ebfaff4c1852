"""Map geometry: the RegSO outlines (GeoJSON), simplified for the browser, and the points
and bounds the map's labels need."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import cache
from typing import Any

from lagesbild.domain import config


@cache
def _geojson_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@cache
def _geojson(path: str) -> dict:
    return json.loads(_geojson_text(path))


def load_geojson(path: str | None = None) -> dict:
    """The RegSO boundaries (read once per process; do not modify the returned dict)."""
    return _geojson(str(path or config.GEOJSON_FILE))


# Outlines are simplified to about 15 m and 5 decimals (1 m) before they go to the browser:
# the full file would make each map figure about 400 kB and slow to send and draw.
MAP_TOLERANCE = 0.00015


def _simplify(ring: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas–Peucker on one closed ring (the ends kept), at least four points."""
    if len(ring) <= 5:
        return [[round(x, 5), round(y, 5)] for x, y in ring]
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = ring[first], ring[last]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1e-12
        best, index = -1.0, -1
        for i in range(first + 1, last):
            x, y = ring[i]
            distance = (abs(dy * x - dx * y + x1 * y0 - y1 * x0) / norm if norm > 1e-12
                        else math.hypot(x - x0, y - y0))
            if distance > best:
                best, index = distance, i
        if index > 0 and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    out = [[round(x, 5), round(y, 5)] for (x, y), k in zip(ring, keep, strict=True) if k]
    if len(out) < 4:  # too small to simplify: keep it as it was
        out = [[round(x, 5), round(y, 5)] for x, y in ring]
    return out


@cache
def _simplified_features(path: str) -> dict[str, dict]:
    features = {}
    for feature in _geojson(path)["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        simple = [[_simplify(ring, MAP_TOLERANCE) for ring in polygon] for polygon in polygons]
        code = feature["properties"]["regsokod"]
        features[code] = {
            "type": "Feature", "properties": {"regsokod": code},
            "geometry": ({"type": "Polygon", "coordinates": simple[0]}
                         if geometry["type"] == "Polygon"
                         else {"type": "MultiPolygon", "coordinates": simple})}
    return features


def map_geojson(codes: Iterable[str], path: str | None = None) -> dict:
    """A FeatureCollection of the given RegSO areas with simplified outlines."""
    features = _simplified_features(str(path or config.GEOJSON_FILE))
    return {"type": "FeatureCollection",
            "features": [features[c] for c in codes if c in features]}


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys), 0.0
    return cx / (3 * area), cy / (3 * area), abs(area) / 2


@cache
def area_centroids(path: str | None = None) -> dict[str, tuple[float, float, float]]:
    """RegSO code -> (lon, lat, area in square degrees) of its largest polygon."""
    out: dict[str, tuple[float, float, float]] = {}
    for feature in load_geojson(path)["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        best = max((_ring_centroid(p[0]) for p in polygons), key=lambda c: c[2])
        out[feature["properties"]["regsokod"]] = best
    return out


def district_centroids(areas: Iterable[Any]) -> dict[str, tuple[float, float]]:
    """District -> a point for its label (lon, lat): the centroid of its largest RegSO area
    (an average over a ring-shaped district such as Landsbygd would fall outside it)."""
    cents = area_centroids()
    best: dict[str, tuple[float, float, float]] = {}
    for area in areas:
        c = cents.get(area.code)
        if c is not None and (area.district not in best or c[2] > best[area.district][2]):
            best[area.district] = c
    return {d: (c[0], c[1]) for d, c in best.items()}


def area_bounds(codes: Iterable[str], path: str | None = None) \
        -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the given RegSO areas' outlines."""
    features = _simplified_features(str(path or config.GEOJSON_FILE))
    lons, lats = [], []
    for code in codes:
        feature = features.get(code)
        if feature is None:
            continue
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        for polygon in polygons:
            for x, y in polygon[0]:
                lons.append(x)
                lats.append(y)
    return (min(lons), min(lats), max(lons), max(lats)) if lons else None


