"""A 200 MB GeoJSON through `allmende ingest`: read completely, with the peak memory of the
process bounded far below the file's size (the reader streams; geometries go to a spill
file). Generated here (tree polygons and points around Aalen in ETRS89 / UTM 32N, German
attributes), so nothing large lives in the repository.

Usage: python3 large_geojson.py ALLMENDE_BINARY [MEGABYTES]"""
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
TARGET = int(sys.argv[2] if len(sys.argv) > 2 else 200) * 1024 * 1024
# Peak resident memory allowed for reading it: a fixed bound, whatever the file's size.
MAX_RSS = 400 * 1024 * 1024

rng = random.Random(20261205)
ARTEN = ["Stieleiche", "Winterlinde", "Bergahorn", "Rotbuche", "Hainbuche", "Esche", "Vogelkirsche"]
ZUSTAND = ["gut", "mittel", "schlecht", "abgängig"]

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "gross.geojson")
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","crs":{"type":"name","properties":'
                '{"name":"urn:ogc:def:crs:EPSG::25832"}},"features":[\n')
        while f.tell() < TARGET:
            x, y = 575_000 + rng.random() * 10_000, 5_405_000 + rng.random() * 10_000
            if n % 4 == 0:
                # A crown as a 24-corner polygon.
                r = 2 + rng.random() * 6
                angles = [a / 24 * 2 * math.pi for a in range(24)]
                ring = [[round(x + r * math.cos(a), 2), round(y + r * math.sin(a), 2)] for a in angles]
                ring.append(ring[0])
                geometry = {"type": "Polygon", "coordinates": [ring]}
            else:
                geometry = {"type": "Point", "coordinates": [round(x, 2), round(y, 2)]}
            props = {
                "Baumnummer": f"AA-{n:08d}",
                "Baumart": rng.choice(ARTEN),
                "Pflanzjahr": rng.randint(1890, 2024),
                "Stammumfang (cm)": round(rng.random() * 300, 1),
                "Zustand": rng.choice(ZUSTAND),
                "Kontrolliert am": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
            if n:
                f.write(",\n")
            f.write(json.dumps({"type": "Feature", "properties": props, "geometry": geometry}, ensure_ascii=False))
            n += 1
        f.write("\n]}\n")
    size = os.path.getsize(path)
    out = subprocess.run([BIN, "ingest", path, "--out", os.path.join(tmp, "t.parquet"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert report["rows"] == n, (report["rows"], n)
    assert report["dialect"]["crs"] == "EPSG:25832", report["dialect"]
    assert report["dialect"]["geometry_types"] == ["Point", "Polygon"], report["dialect"]
    assert peak < MAX_RSS, f"peak RSS {peak >> 20} MB for a {size >> 20} MB file"
    print(f"ok {size >> 20} MB GeoJSON, {n} features read; peak RSS {peak >> 20} MB (bound {MAX_RSS >> 20} MB)")
