"""Geodata through GDAL, the reference reader: every spatial table of the demo is exported as
GeoJSON and as CSV (WKT) and opened with `ogrinfo`; feature count, attribute names and extent
must match what the API says.  Usage: python3 gdal_check.py BASE_URL"""
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")


def get(path):
    # The portal limits anonymous requests per client (1,200 a minute): wait as it says.
    for _ in range(30):
        try:
            with urllib.request.urlopen(BASE + path, timeout=60) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            if e.code != 429:
                raise
            time.sleep(float(e.headers.get("Retry-After") or 1))
    raise RuntimeError(f"{path}: still limited")


def ogrinfo(path, *extra, layer=None):
    args = ["ogrinfo", "-ro", "-so", *(["-al"] if layer is None else []), *extra, path]
    out = subprocess.run(args + ([layer] if layer else []),
                         check=True, capture_output=True, text=True).stdout
    info = {"fields": []}
    for line in out.splitlines():
        if line.startswith("Feature Count:"):
            info["count"] = int(line.split(":")[1])
        elif line.startswith("Extent:"):
            nums = line.replace("Extent:", "").replace("(", "").replace(")", "").replace(" - ", ",")
            info["extent"] = [float(x) for x in nums.split(",")]
        elif ": " in line and "(" in line.split(": ", 1)[1] and not line.startswith(("Layer", "Geometry", "INFO")):
            info["fields"].append(line.split(": ", 1)[0])
    return info


def check_geopackage(path, geojson, bbox, kinds):
    """GDAL's own GeoPackage validator (requirements of the standard and of the R-tree
    extension, warnings as errors; from PyPI's gdal-utils) passes; GDAL sees the spatial index, and a window over the
    western half finds through it what a scan of the GeoJSON export finds (points: a window
    test on envelopes and on geometries is the same)."""
    check = subprocess.run([sys.executable, "-m", "osgeo_utils.samples.validate_gpkg",
                            "--warning-as-error", path], capture_output=True, text=True)
    assert check.returncode == 0, f"{path}: {check.stdout}{check.stderr}"
    out = subprocess.run(["ogrinfo", "-ro", path, "-sql",
                          "SELECT HasSpatialIndex('features', 'geom')"],
                         check=True, capture_output=True, text=True).stdout
    assert "HasSpatialIndex (Integer) = 1" in out, out
    if kinds and all(k == "Point" for k in kinds):
        west = [bbox[0], bbox[1], (bbox[0] + bbox[2]) / 2, bbox[3]]
        spat = ["-spat", *(repr(v) for v in west)]
        indexed = ogrinfo(path, *spat)["count"]
        scanned = ogrinfo(geojson, *spat)["count"]
        assert indexed == scanned, f"{path}: {indexed} in the western half, GeoJSON {scanned}"


def table(rid):
    try:
        return json.loads(get(f"/api/v1/resources/{rid}/table"))
    except urllib.error.HTTPError as e:
        if e.code == 404:  # not a table
            return None
        raise


# Every spatial table of the demo: its GeoJSON files and its tables with coordinate columns.
spatial = []
for _ in range(300):  # the demo's files are read in the background after start
    datasets = json.loads(get("/api/v1/datasets?per_page=100"))["items"]
    tables = {(d["slug"], r["id"]): table(r["id"]) for d in datasets for r in d["resources"]}
    tables = {k: t for k, t in tables.items() if t is not None}
    if all(t["status"] not in ("pending", "running") for t in tables.values()):
        spatial = [k for k, t in tables.items()
                   if t["status"] == "done" and any(c["type"] == "geometry" for c in t.get("columns", []))]
        break
    time.sleep(1)
assert any(s == "baumkataster-aalen" for s, _ in spatial), f"the tree register has coordinates: {spatial}"
assert len(spatial) >= 6, spatial

for slug, rid in spatial:
    table = json.loads(get(f"/api/v1/resources/{rid}/table"))
    rows = table["rows"]
    names = [c["name"] for c in table["columns"] if c["type"] != "geometry"]
    bbox = table["dialect"]["bbox"]
    with tempfile.TemporaryDirectory() as tmp:
        gj = f"{tmp}/{slug}.geojson"
        with open(gj, "wb") as f:
            f.write(get(f"/api/v1/resources/{rid}/export/geojson"))
        info = ogrinfo(gj)
        assert info["count"] == rows, f"{slug}: GeoJSON has {info['count']} features, API {rows}"
        assert info["fields"] == names, f"{slug}: GeoJSON fields {info['fields']} != {names}"
        ext = info["extent"]
        assert all(abs(a - b) < 1e-6 for a, b in zip(ext, bbox)), f"{slug}: extent {ext} != {bbox}"
        csv_path = f"{tmp}/{slug}.csv"
        with open(csv_path, "wb") as f:
            f.write(get(f"/api/v1/resources/{rid}/export/csv"))
        info = ogrinfo(csv_path, "-oo", "GEOM_POSSIBLE_NAMES=geometry", "-oo", "KEEP_GEOM_COLUMNS=NO")
        assert info["count"] == rows, f"{slug}: CSV has {info['count']} rows, API {rows}"
        assert all(abs(a - b) < 1e-6 for a, b in zip(info["extent"], bbox)), f"{slug}: CSV extent {info['extent']}"
        # The GIS formats the table is offered in, each opened by GDAL: same features, same
        # extent (GeoPackage: same attribute names; Shapefile names are cut to ten bytes).
        offered = {e["format"] for e in table["exports"]}
        assert {"gpkg", "kml", "fgb"} <= offered, f"{slug}: offered {offered}"
        for fmt, suffix in [("gpkg", ".gpkg"), ("fgb", ".fgb"), ("shp", ".zip"), ("kml", ".kml"), ("gpx", ".gpx")]:
            if fmt not in offered:
                continue
            path = f"{tmp}/{slug}-{fmt}{suffix}"
            with open(path, "wb") as f:
                f.write(get(f"/api/v1/resources/{rid}/export/{fmt}"))
            layer = None
            if fmt == "gpx":
                kinds = table["dialect"].get("geometry_types", [])
                layer = "waypoints" if all("Point" in k for k in kinds) else "tracks"
            info = ogrinfo(f"/vsizip/{path}" if fmt == "shp" else path, layer=layer)
            if fmt == "gpx":
                info["fields"] = []
            assert info["count"] == rows, f"{slug} {fmt}: {info['count']} features, API {rows}"
            assert all(abs(a - b) < 1e-6 for a, b in zip(info["extent"], bbox)), f"{slug} {fmt}: extent {info['extent']} != {bbox}"
            if fmt in ("gpkg", "fgb"):
                assert info["fields"] == names, f"{slug} {fmt}: fields {info['fields']} != {names}"
            if fmt == "gpkg":
                check_geopackage(path, gj, bbox, table["dialect"].get("geometry_types", []))
            if fmt == "shp":
                assert len(info["fields"]) == len(names), f"{slug} shp: fields {info['fields']} vs {names}"
        # In the source's CRS: GDAL reprojects it back to the same WGS 84 extent.
        crs = table["dialect"].get("crs", "EPSG:4326")
        if crs != "EPSG:4326":
            src = f"{tmp}/{slug}-source.geojson"
            with open(src, "wb") as f:
                f.write(get(f"/api/v1/resources/{rid}/export/geojson?crs={crs}"))
            wgs = f"{tmp}/{slug}-back.geojson"
            subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", wgs, src], check=True, capture_output=True)
            info = ogrinfo(wgs)
            assert info["count"] == rows
            assert all(abs(a - b) < 1e-6 for a, b in zip(info["extent"], bbox)), f"{slug} {crs}: extent {info['extent']} != {bbox}"
    print(f"ok {slug}: {rows} features, {len(names)} attributes, extent {bbox}, exports {sorted(offered)}")
print(f"{len(spatial)} spatial tables read by GDAL")

# OGC API – Features through GDAL's OAPIF driver: every spatial table is a collection, and
# ogr2ogr copies each one (following the `next` links) into a GeoPackage with every feature.
out = subprocess.run(["ogrinfo", "-ro", f"OAPIF:{BASE}/ogc"], check=True, capture_output=True, text=True).stdout
layers = sorted(line.split(": ", 1)[1].split(" ")[0] for line in out.splitlines() if line[:1].isdigit() and ": " in line)
assert layers == sorted(rid for _, rid in spatial), f"OAPIF layers {layers} != {spatial}"
for slug, rid in spatial:
    rows = json.loads(get(f"/api/v1/resources/{rid}/table"))["rows"]
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = f"{tmp}/{slug}.gpkg"
        subprocess.run(["ogr2ogr", "-f", "GPKG", gpkg, f"OAPIF:{BASE}/ogc", rid], check=True, capture_output=True)
        info = ogrinfo(gpkg)
        assert info["count"] == rows, f"{slug}: GeoPackage from OAPIF has {info['count']} features, API {rows}"
    print(f"ok OAPIF {slug}: {rows} features copied to a GeoPackage")
