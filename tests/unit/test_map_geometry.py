"""The map's geometry (shapely): outlines light enough for the browser yet true to SCB's
boundaries, and every district's label inside the district it names."""

from __future__ import annotations

import json

import shapely
from shapely import union_all
from shapely.geometry import Point, shape

from lagesbild.charts import geo
from lagesbild.domain import config
from lagesbild.domain.codelists import areas

METRES_PER_DEGREE = 111_000  # of latitude; a degree of longitude is about half that here


def original() -> dict:
    return {f["properties"]["regsokod"]: shape(f["geometry"])
            for f in geo.load_geojson()["features"]}


def test_simplified_outlines_are_valid_small_and_close_to_the_boundaries():
    codes = [a.code for a in areas()]
    collection = geo.map_geojson(codes)
    assert [f["properties"]["regsokod"] for f in collection["features"]] == codes
    sent = json.dumps(collection)
    assert len(sent) < 0.4 * config.GEOJSON_FILE.stat().st_size  # far lighter than the file
    truth = original()
    for feature in collection["features"]:
        simple = shape(feature["geometry"])
        code = feature["properties"]["regsokod"]
        assert simple.is_valid and not simple.is_empty, code
        assert simple.hausdorff_distance(truth[code]) * METRES_PER_DEGREE < 40, code
        assert abs(simple.area - truth[code].area) / truth[code].area < 0.05, code
    # five decimals (about a metre) are enough for the browser
    points = shapely.get_coordinates([shape(f["geometry"]) for f in collection["features"]])
    assert (points.round(geo.MAP_DECIMALS) == points).all()


def test_every_district_label_lies_inside_its_district():
    truth = original()
    labels = geo.district_centroids(areas())
    assert set(labels) == {a.district for a in areas()}
    for district, (lon, lat) in labels.items():
        outline = union_all([truth[a.code] for a in areas() if a.district == district])
        assert outline.contains(Point(lon, lat)), district


def test_bounds_cover_the_chosen_areas_only():
    town = [a.code for a in areas() if a.district in ("Centrum", "Haga")]
    west, south, east, north = geo.area_bounds(town)
    everything = geo.area_bounds(a.code for a in areas())
    assert everything[0] < west < east < everything[2]
    assert everything[1] < south < north < everything[3]
    for code in town:
        x0, y0, x1, y1 = original()[code].bounds
        assert west - 0.001 <= x0 and x1 <= east + 0.001
        assert south - 0.001 <= y0 and y1 <= north + 0.001
    assert geo.area_bounds(["finns-inte"]) is None
