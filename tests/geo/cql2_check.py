"""CQL2 against an independent implementation: the `cql2` package (PyPI, the Python binding of
cql2-rs) parses each filter, writes it as CQL2 JSON and evaluates it on every feature of the
collection. The portal's OGC API must select exactly the features the library selects, for the
filter as text and for the library's JSON. Filters are made from the demo's own values and
extents, so they select something.  Usage: python3 cql2_check.py BASE_URL"""
import json
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

import cql2

BASE = sys.argv[1].rstrip("/")


def get(path):
    for _ in range(30):
        try:
            with urllib.request.urlopen(BASE + path, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 429:
                raise
            time.sleep(float(e.headers.get("Retry-After") or 1))
    raise RuntimeError(f"{path}: still limited")


def ids(cid, **params):
    params["limit"] = "10000"
    page = get(f"/ogc/collections/{cid}/items?{urllib.parse.urlencode(params)}")
    assert page["numberMatched"] == page["numberReturned"], page["numberMatched"]
    return sorted(f["id"] for f in page["features"])


def plain(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


collections = {c["title"].split(" – ")[0]: c for c in get("/ogc/collections")["collections"]}


def box(c, fx0, fy0, fx1, fy1):
    """A part of a collection's extent, as fractions of it."""
    w, s, e, n = c["extent"]["spatial"]["bbox"][0]
    return (w + (e - w) * fx0, s + (n - s) * fy0, w + (e - w) * fx1, s + (n - s) * fy1)


def polygon(b):
    w, s, e, n = b
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def filters_for(title, c, features):
    first = features[0]["properties"]
    bb = lambda *f: "BBOX({}, {}, {}, {})".format(*box(c, *f))
    if title == "Baumkataster Aalen":
        species = first["Baumart"]
        street = next((f["properties"]["Straße"] for f in features
                       if plain(f["properties"]["Straße"] or "") != (f["properties"]["Straße"] or "")),
                      first["Straße"])
        return [
            "Pflanzjahr >= 1990 AND Baumart LIKE '%linde%'",
            '"Stammumfang (cm)" BETWEEN 100 AND 200 OR "Kronendurchmesser (m)" > 12.5',
            f"CASEI(Baumart) = CASEI('{species.upper()}')",
            f"ACCENTI(\"Straße\") = ACCENTI('{plain(street)}')",
            f"Baumart IN ('{species}', 'Rotbuche') AND NOT (Pflanzjahr < 1980)",
            f"S_INTERSECTS(geometry, {bb(0, 0, 0.5, 0.5)})",
            f"S_WITHIN(geometry, {polygon(box(c, 0.2, 0.2, 0.7, 0.9))}) AND Pflanzjahr > 2000",
            f"S_DISJOINT(geometry, {bb(0, 0, 0.8, 0.8)})",
            "Pflanzjahr + 10 > 2020",
        ]
    if title == "Bebauungspläne Aalen":
        ring = features[0]["geometry"]["coordinates"][0]
        cx = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        cy = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        x0, y0 = ring[0]
        d = 0.0005
        return [
            f"S_CONTAINS(geometry, POINT({cx} {cy}))",
            f"S_INTERSECTS(geometry, POINT({cx} {cy}))",
            f"S_OVERLAPS(geometry, {polygon((x0 - d, y0 - d, x0 + d, y0 + d))})",
            f"S_DISJOINT(geometry, {bb(0, 0, 0.5, 1)})",
            f"S_WITHIN(geometry, {polygon(box(c, -0.1, -0.1, 0.6, 1.1))})",
            '"Fläche (ha)" > 5 AND ACCENTI("Art der baulichen Nutzung") LIKE ACCENTI(\'%Wohn%\')',
            "\"rechtskräftig seit\" < DATE('2005-06-30')",
            "T_AFTER(\"rechtskräftig seit\", DATE('2010-01-01'))",
            "T_DURING(\"rechtskräftig seit\", INTERVAL('2000-01-01', '2015-12-31'))",
        ]
    if title == "Radrouten in Heidenheim":
        w, s, e, n = c["extent"]["spatial"]["bbox"][0]
        mid = (s + n) / 2
        return [
            f"S_CROSSES(geometry, LINESTRING({w - 0.01} {mid}, {e + 0.01} {mid}))",
            f"S_INTERSECTS(geometry, {bb(0.6, 0, 1, 0.4)})",
            "name LIKE '%Brenz%' OR gpx_element = 'rte'",
        ]
    if title == "Ladesäulen für Elektrofahrzeuge":
        return [
            "Leistung_kW >= 22 AND Stecker = 'CCS'",
            "Leistung_kW IN (11, 22) AND name IS NOT NULL",
            f"S_INTERSECTS(geometry, {bb(0, 0.5, 1, 1)}) AND Leistung_kW > 11",
        ]
    return []


checked = 0
for title, c in sorted(collections.items()):
    features = get(f"/ogc/collections/{c['id']}/items?limit=10000")["features"]
    for text in filters_for(title, c, features):
        expr = cql2.parse_text(text)
        expr.validate()
        expected = sorted(f["id"] for f in features if expr.matches(f))
        as_text = ids(c["id"], filter=text)
        as_json = ids(c["id"], filter=json.dumps(expr.to_json()), **{"filter-lang": "cql2-json"})
        assert as_text == expected, f"{title}: {text}\n  portal {as_text}\n  cql2   {expected}"
        assert as_json == expected, f"{title}: {expr.to_json()}\n  portal {as_json}\n  cql2   {expected}"
        print(f"ok {title}: {text} -> {len(expected)} of {len(features)}")
        checked += 1
assert checked >= 20, f"only {checked} filters checked: are the demo's collections there?"
print(f"{checked} CQL2 filters agree with cql2-rs")
