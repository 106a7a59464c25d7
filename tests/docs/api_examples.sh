#!/usr/bin/env bash
# Runs every ```sh example of docs/api.md as written, against a demo server, the way a reader
# would: BASE pointing at it, `allmende` on PATH, its data directory as ./allmende-data.
# Usage: tests/docs/api_examples.sh BASE_URL DATA_DIR ALLMENDE_BINARY
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=$1 DATA=$2 BIN=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
ln -s "$BIN" "$WORK/bin/allmende"
ln -s "$DATA" "$WORK/allmende-data"
python3 - "$ROOT/docs/api.md" "$WORK" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
assert blocks, "no sh examples in docs/api.md"
for i, b in enumerate(blocks):
    open(f"{sys.argv[2]}/example-{i}.sh", "w").write(b)
print(f"{len(blocks)} examples")
PY
for f in "$WORK"/example-*.sh; do
  echo "-- $(basename "$f")"
  (cd "$WORK" && PATH="$WORK/bin:$PATH" BASE="$BASE" bash -euo pipefail "$f" >"$f.out" 2>&1) || {
    cat "$f" "$f.out" >&2
    exit 1
  }
  head -c 300 "$f.out"; echo
done
echo "docs/api.md: every example ran"

# The examples on the developer page (/api), as a reader copies them from it.
curl -fsS "$BASE/api" -o "$WORK/api.html"
python3 - "$WORK/api.html" "$WORK" <<'PY'
import html, re, sys
page = open(sys.argv[1]).read()
examples = [html.unescape(e) for e in re.findall(r'<code class="example">(.*?)</code>', page, re.S)]
assert len(examples) >= 15, f"only {len(examples)} examples on /api"
with open(f"{sys.argv[2]}/page-examples.sh", "w") as f:
    for e in examples:
        f.write(e + " > /dev/null\n")
print(f"{len(examples)} examples on /api")
PY
(cd "$WORK" && bash -euo pipefail -x page-examples.sh) 2>&1 | tail -3
echo "/api: every example ran"

# The examples with a token on /api: one workflow, run in the order of its steps, with what it
# expects beside it — a token in $TOKEN, daten.csv (with a column of e-mail addresses, for the
# privacy step) and logo.png. A step may wait for the one before (ingestion and the privacy
# check run in the background), so each is retried for a while before it counts as failed.
python3 - "$WORK/api.html" "$WORK" <<'PY'
import html, re, sys
page = open(sys.argv[1]).read()
steps = sorted((int(n), html.unescape(e)) for n, e in
               re.findall(r'<code class="example" data-step="(\d+)">(.*?)</code>', page, re.S))
assert len(steps) >= 28, f"only {len(steps)} examples with a token on /api"
for n, e in steps:
    open(f"{sys.argv[2]}/step-{n:03d}.sh", "w").write(e + " > /dev/null\n")
print(f"{len(steps)} examples with a token on /api")
PY
printf 'Messstelle;Datum;Wert;E-Mail\r\nA1;01.01.2026;3,5;a1@verein.example\r\nA2;02.01.2026;4,1;a2@verein.example\r\n' >"$WORK/daten.csv"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82' >"$WORK/logo.png"
TOKEN=$(cd "$WORK" && PATH="$WORK/bin:$PATH" allmende user token create admin --name api-seite | tail -n1)
export TOKEN
for f in "$WORK"/step-*.sh; do
  for attempt in $(seq 1 30); do
    (cd "$WORK" && bash -euo pipefail "$f" >"$f.out" 2>&1) && break
    [ "$attempt" -lt 30 ] || { echo "-- $(basename "$f") failed:" >&2; cat "$f" "$f.out" >&2; exit 1; }
    sleep 1
  done
done
echo "/api: every example with a token ran, in the order of its steps"

