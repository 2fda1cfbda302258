#!/usr/bin/env bash
# deps.sh: install what Convene needs to build, run and test, and nothing when
# it is all there already (no apt-get at all then). Safe to run any number of
# times; run as root (CI and the dev machines are), or with sudo available.
#
#   scripts/deps.sh            everything: build, run, unit/integration/browser
#   scripts/deps.sh --runtime  build and run only (scripts/run.sh): no Chromium,
#                              no clang, no Python test libraries, no npm
#                              devDependencies
#
# Afterwards node_modules matches package-lock.json (npm ci), and the
# "postgres" system user exists (PostgreSQL refuses to run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

mode=full
for arg in "$@"; do
	case "$arg" in
	--runtime) mode=runtime ;;
	-h|--help)
		sed -n '2,12p' "$0"
		exit 0
		;;
	*)
		echo "deps.sh: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "deps.sh: not root and no sudo: cannot install packages" >&2
		exit 1
	fi
fi

# Build and run.
runtime_pkgs=(
	build-essential cmake pkg-config
	libmicrohttpd-dev libpq-dev libical-dev libjansson-dev libsodium-dev
	libcurl4-openssl-dev
	libcjose-dev		# id_token signatures (server/oidc.c, docs/sso.md)
	liboath-dev		# TOTP, the second factor (server/mfa.c)
	zlib1g-dev		# gzip for feeds (server/feed.c)
	libcairo2-dev libpango1.0-dev	# the record as a PDF (record_pdf.c)
	fonts-liberation2	# its font, embedded: the same pages everywhere
	libcmocka-dev		# CMakeLists.txt requires it even for a plain build
	postgresql-15		# the embedded server (server/pgembed.c)
	tzdata
)
# Tests only.
test_pkgs=(
	clang			# fuzz targets (-DCONVENE_FUZZ=ON)
	libclang-rt-14-dev	# libFuzzer and sanitizer runtimes for clang
	postgresql-client
	python3-aiosmtpd python3-icalendar python3-psycopg2 python3-yaml
	python3-pyotp		# TOTP codes in tests (an independent implementation)
	python3-vobject		# second iCalendar parser (test_invites_interop.py)
	python3-prometheus-client	# parses GET /metrics (test_metrics.py)
	nginx			# load balancer in test_multi_instance.py
	openssl			# throwaway TLS certificates for nginx
	systemd			# systemd-analyze verify (test_deploy_files.py)
	chromium
	poppler-utils		# pdftotext, pdffonts, pdftoppm: reading the PDF back
)

wanted=("${runtime_pkgs[@]}")
if [ "$mode" = full ]; then
	wanted+=("${test_pkgs[@]}")
fi
# Node.js: the machine's own node (and its bundled npm) wins; Debian's
# packages only when there is none.
if ! command -v node >/dev/null 2>&1; then
	wanted+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
	wanted+=(npm)
fi

missing=()
for p in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing+=("$p") ;;
	esac
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing: ${missing[*]}"
	apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	# Debian's postgresql package would create and start a system cluster
	# on port 5432; Convene starts its own servers (pgembed, test.sh), so
	# ask postgresql-common not to (kept: --force-confold).
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		"${SUDO[@]}" mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" |
			"${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
	fi
	# Only refresh the package lists when an install is needed at all; once.
	"${SUDO[@]}" apt-get update -q -o DPkg::Lock::Timeout=300
	# Packages such as nginx would start a system service on install
	# (port 80); the tests start their own. Refuse service starts for the
	# length of the install, unless the machine already has a policy.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
		"${SUDO[@]}" chmod 0755 "$policy"
	fi
	rc=0
	"${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}" || rc=$?
	[ -z "$policy" ] || "${SUDO[@]}" rm -f "$policy"
	[ "$rc" -eq 0 ] || exit "$rc"
fi

# PostgreSQL runs as "postgres"; the Debian package creates that user, but a
# machine with the binaries and no user must not fail later with a riddle.
if ! id -u postgres >/dev/null 2>&1; then
	echo "deps.sh: creating system user postgres"
	"${SUDO[@]}" useradd --system --user-group --home-dir /var/lib/postgresql \
		--shell /bin/bash postgres
fi

# Front-end packages. A stamp records which lock and which mode node_modules
# was installed from, so a changed lock, a missing node_modules or a runtime-
# only install followed by a test run all lead to a fresh `npm ci`.
if ! command -v npm >/dev/null 2>&1; then
	echo "deps.sh: npm is still missing after installing packages" >&2
	exit 1
fi
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.convene-deps
have=""
if [ -f "$stamp" ]; then
	have=$(cat "$stamp")
fi
need_npm=0
if [ ! -d node_modules ] || [ package-lock.json -nt "$stamp" ]; then
	need_npm=1
elif [ "$mode" = full ] && [ "$have" != "full $lock_sum" ]; then
	need_npm=1
elif [ "$mode" = runtime ] && [ "$have" != "full $lock_sum" ] &&
	[ "$have" != "runtime $lock_sum" ]; then
	need_npm=1
fi
if [ "$need_npm" -eq 1 ]; then
	npm_opts=(--no-audit --no-fund --loglevel=warn)
	if [ "$mode" = runtime ]; then
		npm_opts+=(--omit=dev)
	fi
	echo "deps.sh: npm ci ${npm_opts[*]}"
	npm ci "${npm_opts[@]}"
	echo "$mode $lock_sum" >"$stamp"
fi
