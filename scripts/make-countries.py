#!/usr/bin/env python3
"""Writes Sources/Web/Public/vendor/countries.geojson, the dashboard's world map.

Source: Natural Earth 1:110m countries (public domain, naturalearthdata.com) as Debian 12's
python3-geopandas 0.12.2 ships it (geopandas/datasets/naturalearth_lowres). Each country gets
its ISO 3166-1 alpha-2 code (what RIR delegations and Vigil's entities use) from its alpha-3
code by pycountry; Kosovo, which has none, gets XK, and the two regions Natural Earth draws apart
from the country their address space is registered to (N. Cyprus, Somaliland) get that country's. Coordinates are rounded to 0.01 degree.

    apt-get download python3-geopandas && dpkg -x python3-geopandas_*.deb gp
    pip install pyshp pycountry
    scripts/make-countries.py gp/usr/lib/python3/dist-packages/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp
"""
import json
import sys

import pycountry
import shapefile

reader = shapefile.Reader(sys.argv[1])
features = []
for shape, rec in zip(reader.shapes(), reader.records()):
    a3 = rec["iso_a3"]
    country = pycountry.countries.get(alpha_3=a3)
    cc = country.alpha_2 if country else {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}.get(rec["name"])
    if cc is None:
        sys.exit(f"no alpha-2 code for {rec['name']} ({a3})")
    geo = shape.__geo_interface__

    def rnd(c):
        return [round(c[0], 2), round(c[1], 2)] if isinstance(c[0], float) else [rnd(x) for x in c]

    features.append({"type": "Feature", "properties": {"cc": cc, "name": rec["name"]},
                     "geometry": {"type": geo["type"], "coordinates": rnd(geo["coordinates"])}})
out = "Sources/Web/Public/vendor/countries.geojson"
with open(out, "w") as f:
    json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))
print(f"{out}: {len(features)} countries")
