"""Interoperability with the real clients of each standard, against a running demo portal.

Usage: check.py BASE_URL API_TOKEN KIT_DIR

- ckanapi (the CKAN client): `dump datasets --all` equals the catalog, `search datasets`,
  `action package_create` / `resource_create` (upload) with a token, `package_show`,
  `action datastore_search` on an ingested table.
- a harvester's paging loop over package_search (rows=100, sort=id asc) with 250+ datasets:
  each exactly once.
- pySHACL with the official DCAT-AP.de 3.0 shapes (offline kit): the demo catalog, every page,
  and edge cases (Unicode, Markdown, missing optional fields), also with GovData's conventions.
- frictionless: datapackage.json of a demo table and the zip with the data inside validate, and
  the data matches its Table Schema.
Private and draft data never appears in any of these outputs.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile

BASE, TOKEN, KIT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
BIN = os.path.dirname(sys.executable)
WORK = tempfile.mkdtemp(prefix="interop-")
# ckanapi's parallel dump starts more `ckanapi` processes by name.
os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")
# Allmende asks for the release checklist at a dataset's first publication (CKAN's public default).
RELEASE = {"no_personal_data": True, "no_secrets": True, "rights_cleared": True, "licence_applicable": True}
SECRETS = ("verkehrszaehlung-2025-rohdaten", "mietspiegel-heidenheim-2026")  # the demo's private and draft datasets


def get(path, accept=None):
    req = urllib.request.Request(BASE + path, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def action(action_name, /, **params):
    body = json.dumps(params).encode()
    req = urllib.request.Request(
        f"{BASE}/api/3/action/{action_name}",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": TOKEN},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.loads(r.read())
    assert out["success"] is True, out
    return out["result"]


def run(*cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        print(p.stdout[-4000:], p.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return p.stdout


def no_secrets(text, where):
    for s in SECRETS:
        assert s not in text, f"{s} leaked into {where}"


def ckanapi(*args):
    return run(os.path.join(BIN, "ckanapi"), *args, "-r", BASE, "-a", TOKEN)


def check_demo_is_there():
    names = json.loads(get("/api/3/action/package_list"))["result"]
    assert len(names) >= 30, names
    # The private and draft datasets exist (an authorised call sees them), yet stay hidden.
    for s in SECRETS:
        assert action("package_show", id=s)["name"] == s
    no_secrets(json.dumps(names), "package_list")
    return names


def check_ckanapi(names):
    dump = os.path.join(WORK, "dump.jsonl")
    # Anonymous, as a harvester would: the dump is the public catalog.
    run(os.path.join(BIN, "ckanapi"), "dump", "datasets", "--all", "-r", BASE, "-O", dump, "-p", "3")
    with open(dump, encoding="utf-8") as f:
        dumped = [json.loads(line) for line in f if line.strip()]
    assert sorted(d["name"] for d in dumped) == sorted(names), "dump differs from package_list"
    native = json.loads(get("/api/v1/datasets?per_page=1"))["total"]
    assert len(dumped) == native, (len(dumped), native)
    assert all("resources" in d and d["organization"] for d in dumped)
    no_secrets(open(dump, encoding="utf-8").read(), "ckanapi dump")
    found = ckanapi("search", "datasets", "q=Baum")
    hits = [json.loads(line) for line in found.splitlines() if line.strip()]
    assert hits and all("name" in h for h in hits), found[:500]
    # Writes with the token.
    out = ckanapi(
        "action", "package_create", "name=ckanapi-test", "title=Über ckanapi angelegt",
        "notes=Ein Test mit *Markdown* und Umlauten: äöüß.", "owner_org=stadt-aalen",
        "license_id=dl-by-de/2.0", 'tags:[{"name": "Test"}]', f"release_checklist:{json.dumps(RELEASE)}",
    )
    assert json.loads(out)["name"] == "ckanapi-test"
    csv_path = os.path.join(WORK, "messwerte.csv")
    with open(csv_path, "w", encoding="cp1252", newline="") as f:
        f.write("Station;Datum;Wert\r\nBahnhof;31.12.2024;1,5\r\nRathaus;01.01.2025;2,25\r\n")
    res = json.loads(ckanapi(
        "action", "resource_create", "package_id=ckanapi-test", "name=Messwerte",
        f"upload@{csv_path}",
    ))
    assert res["url_type"] == "upload" and res["name"] == "Messwerte", res
    shown = json.loads(ckanapi("action", "package_show", "id=ckanapi-test"))
    assert shown["resources"][0]["id"] == res["id"]
    # The upload becomes a DataStore table.
    for _ in range(200):
        if json.loads(ckanapi("action", "resource_show", f"id={res['id']}"))["datastore_active"]:
            break
        time.sleep(0.1)
    rows = json.loads(ckanapi(
        "action", "datastore_search", f"resource_id={res['id']}", 'filters:{"Station": "Rathaus"}',
    ))
    assert rows["total"] == 1 and rows["records"][0]["Wert"] == 2.25, rows
    assert rows["records"][0]["Datum"] == "2025-01-01", rows
    # `fields` answers CKAN's field dicts (it once echoed the request string).
    rows = json.loads(ckanapi(
        "action", "datastore_search", f"resource_id={res['id']}", "fields=Station,Wert",
    ))
    assert [(f["id"], f["type"]) for f in rows["fields"]] == [("Station", "text"), ("Wert", "numeric")], rows
    assert rows["records"][0] == {"Station": "Bahnhof", "Wert": 1.5}, rows
    # An upload beyond axum's 2 MB default body limit (it once failed with "at most 0 bytes").
    big_path = os.path.join(WORK, "gross.csv")
    with open(big_path, "w", encoding="utf-8", newline="") as f:
        f.write("Nr;Wert\r\n")
        for i in range(400_000):
            f.write(f"{i};{i % 97}\r\n")
    assert os.path.getsize(big_path) > 3 << 20
    big = json.loads(ckanapi(
        "action", "resource_create", "package_id=ckanapi-test", "name=Groß",
        f"upload@{big_path}",
    ))
    assert big["size"] == os.path.getsize(big_path), big


def check_harvester_paging():
    have = json.loads(get("/api/3/action/package_search?rows=0"))["result"]["count"]
    for i in range(max(0, 260 - have)):
        action("package_create", name=f"harvest-{i:03d}", title=f"Harvest {i}",
               notes="Für den Harvester-Test.", owner_org="stadt-heidenheim",
               license_id="dl-zero-de/2.0", release_checklist=RELEASE)
    total = json.loads(get("/api/3/action/package_search?rows=0"))["result"]["count"]
    assert total >= 260, total
    seen, start, pages = [], 0, []
    while True:
        q = urllib.parse.urlencode({"rows": 100, "start": start, "sort": "id asc"})
        page = json.loads(get(f"/api/3/action/package_search?{q}"))["result"]["results"]
        if not page:
            break
        assert page not in pages, "a page repeated"
        pages.append(page)
        seen += [p["id"] for p in page]
        start += 100
    assert len(seen) == total == len(set(seen)), (len(seen), total)
    assert seen == sorted(seen)
    no_secrets(json.dumps(pages), "package_search pages")
    return total


def catalog_pages(ext):
    """Follows hydra:next from page 1; returns the files."""
    files, url, n = [], f"/catalog.{ext}", 0
    while url:
        n += 1
        body = get(url)
        path = os.path.join(WORK, f"catalog-{n}.{ext}")
        with open(path, "wb") as f:
            f.write(body)
        files.append(path)
        text = body.decode("utf-8")
        no_secrets(text, f"catalog page {n}")
        url = None
        marker = "hydra:next <"
        if marker in text:
            url = text.split(marker, 1)[1].split(">", 1)[0].replace(BASE, "")
        assert n < 20
    return files


def validate(files, *flags):
    if not KIT:
        print("pySHACL: skipped (no DCAT-AP.de kit)")
        return
    out = run("bash", os.path.join(KIT, "validate.sh"), *flags, *files,
              env={**os.environ, "KIT_PYTHON": sys.executable})
    print(out.strip().splitlines()[-1] if out.strip() else "validated")


def check_dcat(total):
    # Edge cases: Unicode, Markdown, HTML-ish text, missing optional fields.
    action("package_create", name="randfall-unicode", title="Ünïcödé – „Zitat“ & <b>Fett</b> 🌳",
           notes="# Titel\n\n* Liste mit `Code` und [Link](https://example.org)\n\nZeile\\mit\\Backslash \"quotes\"",
           owner_org="stadt-aalen", license_id="cc-by/4.0",
           tags=[{"name": "Straßenbäume"}, {"name": "Grün & Blau"}], release_checklist=RELEASE)
    action("package_create", name="randfall-minimal", title="Minimal", notes="Nur Pflichtfelder.",
           owner_org="stadt-heidenheim", license_id="dl-zero-de/2.0", release_checklist=RELEASE)
    # Everything fetched after the last change, so that all files describe the same catalog.
    pages = catalog_pages("ttl")
    assert len(pages) == (total + 2 + 99) // 100, (len(pages), total)
    files = []
    for slug in ("randfall-unicode", "randfall-minimal"):
        for ext in ("ttl", "rdf", "jsonld"):
            p = os.path.join(WORK, f"{slug}.{ext}")
            with open(p, "wb") as f:
                f.write(get(f"/dataset/{slug}.{ext}"))
            files.append(p)
    for ext in ("rdf", "jsonld"):
        p = os.path.join(WORK, f"page1.{ext}")
        with open(p, "wb") as f:
            f.write(get(f"/catalog.{ext}"))
        files.append(p)
    # pySHACL takes a while per run: one run over every catalog page with the edge cases in all
    # three serializations, with GovData's delivery conventions (a contributor id is set), and
    # one run of the 3.0 profile alone.
    validate(pages + files, "--konventionen")
    validate(pages)


def check_frictionless():
    # A demo dataset with tables.
    search = json.loads(get("/api/3/action/package_search?rows=1000"))["result"]["results"]
    with_tables = [p for p in search if any(r.get("datastore_active") for r in p["resources"])]
    assert with_tables, "no demo dataset with a table"
    frictionless = os.path.join(BIN, "frictionless")
    for p in with_tables[:3]:
        url = f"{BASE}/dataset/{p['name']}/datapackage.json"
        out = run(frictionless, "validate", "--json", url)
        report = json.loads(out)
        assert report["valid"], json.dumps(report, indent=1)[:3000]
        z = os.path.join(WORK, f"{p['name']}.zip")
        with open(z, "wb") as f:
            f.write(get(f"/dataset/{p['name']}/datapackage.zip"))
        target = os.path.join(WORK, p["name"])
        with zipfile.ZipFile(z) as zf:
            zf.extractall(target)
        out = run(frictionless, "validate", "--json", os.path.join(target, "datapackage.json"))
        assert json.loads(out)["valid"], out[:3000]
    for s in SECRETS:
        try:
            get(f"/dataset/{s}/datapackage.json")
            raise SystemExit(f"{s}: datapackage of a non-public dataset")
        except urllib.error.HTTPError as e:
            assert e.code == 404


names = check_demo_is_there()
check_ckanapi(names)
total = check_harvester_paging()
check_dcat(total)
check_frictionless()
print("interop: ckanapi, harvester paging, " + ("pySHACL (DCAT-AP.de 3.0 + conventions), " if KIT else "") + "frictionless: ok")
