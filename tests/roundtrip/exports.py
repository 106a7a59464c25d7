"""Round trip through independent readers: every export of the demo tables is read back with
pyarrow (Parquet), openpyxl (XLSX), Python's csv and json modules, and must hold the same values
as the records API.  Usage: python3 exports.py BASE_URL"""
import csv
import datetime
import io
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import openpyxl
import pyarrow.parquet as pq

BASE = sys.argv[1].rstrip("/")
SLUGS = ["bevoelkerung-aalen-stadtbezirke", "baumkataster-aalen", "kitas-heidenheim", "haushaltsplan-aalen-2025", "stromverbrauch-aalen"]


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=60) as r:
        return r.read()


def point(v):
    """A point geometry from GeoJSON (API, JSON), WKT (CSV, XLSX) or WKB (Parquet), rounded."""
    if isinstance(v, dict):
        x, y = v["coordinates"][:2]
    elif isinstance(v, (bytes, bytearray)):
        order = "<" if v[0] == 1 else ">"
        assert struct.unpack(order + "I", v[1:5])[0] == 1, "not a WKB point"
        x, y = struct.unpack(order + "dd", v[5:21])
    else:
        assert v.startswith("POINT ("), v
        x, y = (float(n) for n in v[len("POINT ("):-1].split())
    return ("Point", round(x, 9), round(y, 9))


def norm(v, kind):
    """Canonical value for comparison."""
    if v is None or v == "":
        return None
    if kind == "geojson":
        return point(v)
    if kind == "integer":
        return int(v)
    if kind == "number":
        return round(float(v), 9)
    if kind == "boolean":
        if isinstance(v, str):
            return {"true": True, "false": False, "WAHR": True, "FALSCH": False}[v]
        return bool(v)
    if kind == "date":
        if isinstance(v, datetime.datetime):
            return v.date().isoformat()
        if isinstance(v, datetime.date):
            return v.isoformat()
        if "." in v:
            d, m, y = v.split(".")
            return f"{y}-{m}-{d}"
        return v
    return str(v)


def check(name, expected, got):
    assert len(expected) == len(got), f"{name}: {len(got)} rows, expected {len(expected)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        assert e == g, f"{name}: row {i} differs:\n  api    {e}\n  export {g}"


checked = 0
for slug in SLUGS:
    ds = json.loads(get(f"/api/v1/datasets/{slug}"))
    rid = ds["resources"][0]["id"]
    for _ in range(300):  # the demo's files are read in the background after start
        try:
            if json.loads(get(f"/api/v1/resources/{rid}/table")).get("rows") is not None:
                break
        except urllib.error.HTTPError:
            pass
        time.sleep(0.1)
    page = json.loads(get(f"/api/v1/resources/{rid}/records?limit=10000"))
    fields = page["fields"]
    names = [f["name"] for f in fields]
    kinds = [f["type"] for f in fields]
    expected = [[norm(r[n], k) for n, k in zip(names, kinds)] for r in page["records"]]
    assert page["total"] == len(expected)

    text = get(f"/api/v1/resources/{rid}/export/csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == names, rows[0]
    check(f"{slug}.csv", expected, [[norm(v, k) for v, k in zip(r, kinds)] for r in rows[1:]])

    raw = get(f"/api/v1/resources/{rid}/export/csv-de")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    de = [[norm(v.replace(",", ".") if k == "number" else v, k) for v, k in zip(r, kinds)] for r in rows[1:]]
    check(f"{slug}-excel.csv", expected, de)

    data = json.loads(get(f"/api/v1/resources/{rid}/export/json"))
    check(f"{slug}.json", expected, [[norm(r[n], k) for n, k in zip(names, kinds)] for r in data])

    lines = get(f"/api/v1/resources/{rid}/export/ndjson").decode("utf-8").splitlines()
    check(f"{slug}.ndjson", expected, [[norm(json.loads(l)[n], k) for n, k in zip(names, kinds)] for l in lines])

    table = pq.read_table(io.BytesIO(get(f"/api/v1/resources/{rid}/export/parquet")))
    assert table.column_names == names, table.column_names
    cols = [table.column(n).to_pylist() for n in names]
    check(f"{slug}.parquet", expected, [[norm(c[i], k) for c, k in zip(cols, kinds)] for i in range(table.num_rows)])

    book = openpyxl.load_workbook(io.BytesIO(get(f"/api/v1/resources/{rid}/export/xlsx")), read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == names, rows[0]
    check(f"{slug}.xlsx", expected, [[norm(v, k) for v, k in zip(r, kinds)] for r in rows[1:]])
    checked += 1

print(f"round trip ok: {checked} tables x 6 formats")
