#!/usr/bin/env bash
# run.sh: build Convene (Release, ./build) and start it with demo data.
# Without --database-url (or CONVENE_DATABASE_URL) the service starts its own
# PostgreSQL under ./var (server/pgembed.c). Extra arguments go to
# `convene serve`, e.g. scripts/run.sh --listen 127.0.0.1:8081. With a
# database URL, `serve --demo` refuses to start unless you also pass
# --demo-on-this-database (the demo council is fictional data).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh --runtime
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target convene -j"$(nproc)"
exec ./build/convene serve --demo "$@"
