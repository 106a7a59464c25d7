"""Geo input formats as GDAL writes them: ogr2ogr turns real GeoJSON files into a Shapefile ZIP
(Windows-1252 and UTF-8), a GeoPackage in EPSG:25832, KML, KMZ and GPX; `allmende ingest`
reads each, and its feature count, attribute names and WGS 84 extent must match what GDAL
itself reads from the same file (reprojected by GDAL/PROJ). The real Münster Shapefile
(Gauß-Krüger zone 3) is compared the same way.

Usage: python3 gdal_inputs.py ALLMENDE_BINARY"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

BIN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REAL = os.path.join(ROOT, "crates/allmende-table/tests/fixtures/real")
POLYGONS = os.path.join(REAL, "esslingen_parking_epsg25832.geojson")  # 250, EPSG:25832
POINTS = os.path.join(REAL, "muenster_spielplaetze_wgs84_with_gk3_attrs.geojson")  # 332, WGS 84
MUENSTER = os.path.join(REAL, "muenster_kommunalwahlbezirke_gk3_shp")


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True, errors="replace").stdout


def gdal_info(path, layer=None):
    """Feature count, field names and the WGS 84 extent as GDAL reads the file (one layer of it)."""
    out = run("ogrinfo", "-ro", "-so", *(["-al", path] if layer is None else [path, layer]))
    count = sum(int(line.split(":")[1]) for line in out.splitlines() if line.startswith("Feature Count:"))
    fields = []
    for line in out.splitlines():
        if ": " in line and "(" in line.split(": ", 1)[1] and not line.startswith(
                ("Layer", "Geometry", "INFO", "Extent", "Feature", "FID", "Data axis")):
            fields.append(line.split(": ", 1)[0])
    with tempfile.TemporaryDirectory() as tmp:
        wgs = os.path.join(tmp, "wgs.geojson")
        run("ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", wgs, path, *([layer] if layer else []))
        ext = run("ogrinfo", "-ro", "-so", "-al", wgs)
    line = next(l for l in ext.splitlines() if l.startswith("Extent:"))
    nums = line.replace("Extent:", "").replace("(", "").replace(")", "").replace(" - ", ",")
    return count, fields, [float(x) for x in nums.split(",")]


def allmende(path):
    with tempfile.TemporaryDirectory() as tmp:
        out = run(BIN, "ingest", path, "--out", os.path.join(tmp, "t.parquet"), "--json")
    return json.loads(out)


def check(label, path, fields=True, tolerance=1e-6, expect_format=None, gdal_path=None, layer=None):
    count, names, extent = gdal_info(gdal_path or path, layer)
    report = allmende(path)
    ours = [c["name"] for c in report["columns"] if c["type"] != "geometry"]
    assert report["rows"] == count, f"{label}: {report['rows']} rows, GDAL {count}"
    if expect_format:
        assert report["format"] == expect_format, f"{label}: read as {report['format']}"
    if fields:
        assert ours == names, f"{label}: columns {ours} != GDAL {names}"
    bbox = report["dialect"]["bbox"]
    assert all(abs(a - b) < tolerance for a, b in zip(bbox, extent)), f"{label}: extent {bbox} != GDAL {extent}"
    print(f"ok {label}: {count} features, {len(ours)} attributes, extent {bbox}")
    return report


with tempfile.TemporaryDirectory() as tmp:
    # Shapefile ZIPs: GDAL writes .cpg with UTF-8, and none with ENCODING="" (then the DBF is
    # in the source's bytes; we read it as Windows-1252, so only ASCII names are compared).
    for label, lco in [("shapefile-utf8", ["-lco", "ENCODING=UTF-8"]),
                       ("shapefile-1252", ["-lco", "ENCODING=CP1252"])]:
        d = os.path.join(tmp, label)
        os.mkdir(d)
        run("ogr2ogr", "-f", "ESRI Shapefile", *lco, os.path.join(d, "parken.shp"), POLYGONS)
        z = os.path.join(tmp, f"{label}.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
            for name in sorted(os.listdir(d)):
                f.write(os.path.join(d, name), f"parken/{name}")
        # GDAL opens the ZIP's folder through its virtual file system.
        r = check(label, z, expect_format="shapefile", gdal_path=f"/vsizip/{z}/parken")
        assert r["dialect"]["crs"] == "EPSG:25832", r["dialect"]
    # GeoPackage in UTM 32N, points in Gauß-Krüger.
    gpkg = os.path.join(tmp, "parken.gpkg")
    run("ogr2ogr", "-f", "GPKG", gpkg, POLYGONS)
    check("geopackage-25832", gpkg, expect_format="geopackage")
    gk = os.path.join(tmp, "spielplaetze.gpkg")
    run("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:31467", gk, POINTS)
    check("geopackage-31467", gk, tolerance=1e-4, expect_format="geopackage")
    # KML (always WGS 84); GDAL's KML reader gives Name/Description, ours every SimpleData too.
    kml = os.path.join(tmp, "parken.kml")
    run("ogr2ogr", "-f", "KML", kml, POLYGONS)
    r = check("kml", kml, fields=False, expect_format="kml")
    source_fields = gdal_info(POLYGONS)[1]
    ours = {c["name"] for c in r["columns"]}
    assert set(source_fields) <= ours, f"kml: {set(source_fields) - ours} missing"
    kmz = os.path.join(tmp, "parken.kmz")
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as f:
        f.write(kml, "doc.kml")
    check("kmz", kmz, fields=False, expect_format="kml", gdal_path=f"/vsizip/{kmz}/doc.kml")
    # GPX waypoints.
    gpx = os.path.join(tmp, "spielplaetze.gpx")
    run("ogr2ogr", "-f", "GPX", "-dsco", "GPX_USE_EXTENSIONS=YES", "-nlt", "POINT", gpx, POINTS)
    check("gpx", gpx, fields=False, expect_format="gpx", layer="waypoints")

# The real Münster set: DHDN / Gauß-Krüger 3 in ESRI WKT. GDAL's DHDN → WGS 84 may pick another
# transformation than our Helmert parameters: metres, so 1e-4 degrees.
with tempfile.TemporaryDirectory() as tmp:
    z = os.path.join(tmp, "wahlbezirke.zip")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        for name in sorted(os.listdir(MUENSTER)):
            f.write(os.path.join(MUENSTER, name), name)
    count, names, extent = gdal_info(f"/vsizip/{z}")
    report = allmende(z)
    assert report["rows"] == count == 33, (report["rows"], count)
    assert [c["name"] for c in report["columns"] if c["type"] != "geometry"] == names
    assert all(abs(a - b) < 1e-4 for a, b in zip(report["dialect"]["bbox"], extent)), (report["dialect"]["bbox"], extent)
    print(f"ok muenster shapefile: {count} features, extent {report['dialect']['bbox']} (GDAL {extent})")
print("geo inputs agree with GDAL")
