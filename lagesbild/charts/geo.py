"""Map geometry with shapely: the RegSO outlines (GeoJSON), simplified for the browser, and the
points and bounds the map's labels need."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

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
# the full file would make each map figure about 400 kB and slow to send and draw. Simplified
# with shapely (Douglas–Peucker that keeps every ring valid): 2 749 points, 62 kB for the 42
# areas, at most 19 m from the original outlines.
MAP_TOLERANCE = 0.00015
MAP_DECIMALS = 5


@cache
def _shapes(path: str) -> dict[str, BaseGeometry]:
    """RegSO code -> its outline as a shapely geometry."""
    return {feature["properties"]["regsokod"]: shape(feature["geometry"])
            for feature in _geojson(path)["features"]}


@cache
def _simplified(path: str) -> dict[str, BaseGeometry]:
    return {code: shapely.transform(geometry.simplify(MAP_TOLERANCE, preserve_topology=True),
                                    lambda xy: np.round(xy, MAP_DECIMALS))
            for code, geometry in _shapes(path).items()}


@cache
def _simplified_features(path: str) -> dict[str, dict]:
    """RegSO code -> a GeoJSON Feature with its simplified outline (plain lists and floats,
    as plotly sends them)."""
    return {code: {"type": "Feature", "properties": {"regsokod": code},
                   "geometry": json.loads(json.dumps(mapping(geometry)))}
            for code, geometry in _simplified(path).items()}


def map_geojson(codes: Iterable[str], path: str | None = None) -> dict:
    """A FeatureCollection of the given RegSO areas with simplified outlines."""
    features = _simplified_features(str(path or config.GEOJSON_FILE))
    return {"type": "FeatureCollection",
            "features": [features[c] for c in codes if c in features]}


def _largest_part(geometry: BaseGeometry) -> BaseGeometry:
    parts = getattr(geometry, "geoms", [geometry])
    return max(parts, key=lambda part: part.area)


@cache
def area_centroids(path: str | None = None) -> dict[str, tuple[float, float, float]]:
    """RegSO code -> (lon, lat, area in square degrees) of its largest polygon (the centroid
    of the polygon itself, holes left out)."""
    out: dict[str, tuple[float, float, float]] = {}
    for code, geometry in _shapes(str(path or config.GEOJSON_FILE)).items():
        part = _largest_part(geometry)
        out[code] = (part.centroid.x, part.centroid.y, part.area)
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
    """(west, south, east, north) of the given RegSO areas' simplified outlines."""
    simplified = _simplified(str(path or config.GEOJSON_FILE))
    chosen = [simplified[c] for c in codes if c in simplified]
    if not chosen:
        return None
    west, south, east, north = shapely.total_bounds(chosen)
    return float(west), float(south), float(east), float(north)
