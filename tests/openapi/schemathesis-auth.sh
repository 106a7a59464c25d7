#!/usr/bin/env bash
# Schemathesis (PyPI) with a sysadmin's API token against a demo of its own: the operations
# that change data (and the sysadmin's reads) get generated and boundary inputs and must
# answer without a server error and as the contract says. The server is changed for good by
# this (datasets renamed, files replaced, members removed), so it must not be the one the
# other checks read. Ids are UUIDs, which a generated rename does not break; deletions run
# last, so that they do not turn the other operations into 404s.
# Usage: tests/openapi/schemathesis-auth.sh BASE_URL SCHEMATHESIS_BIN TOKEN
set -euo pipefail
BASE=$1 ST=$2 TOKEN=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ST_DATASET=$(curl -fsS "$BASE/api/v1/datasets/bevoelkerung-aalen-stadtbezirke" | python3 -c "import sys, json; print(json.load(sys.stdin)['id'])")
ST_RESOURCE=$(curl -fsS "$BASE/api/v1/datasets/$ST_DATASET" | python3 -c "import sys, json; print(json.load(sys.stdin)['resources'][0]['id'])")
export ST_DATASET ST_RESOURCE ST_ORGANIZATION=stadt-aalen ST_USER=admin
run() {
  "$ST" --config-file "$HERE/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
    -H "Authorization: Bearer $TOKEN" \
    --rate-limit=15/s \
    --phases examples,coverage,fuzzing \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    "$@"
}
run --exclude-method DELETE
run --include-method DELETE
