#!/usr/bin/env bash
# Builds the project's images for the loopback test world with podman (no registry needed):
#   1. once: a Debian base image (debootstrap of $BASE_SUITE, whose python3 is 3.11), imported
#      with `podman import` and cached as a tarball under $DSTREAMS_CACHE/images/;
#   2. every time (layer-cached): images/runtime and images/operator on that base.
#
#   build-images.sh [base|runtime|operator|all]...        (default: all)
# Env: DSTREAMS_IMAGE_TAG (default dev), DSTREAMS_DEBIAN_MIRROR, DSTREAMS_CACHE.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/versions.env"
CACHE=${DSTREAMS_CACHE:-$HOME/.cache/dstreams}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}
TAG=${DSTREAMS_IMAGE_TAG:-dev}
MIRROR=${DSTREAMS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_REV=1   # bump when the base image's contents change
BASE_IMAGE=localhost/dstreams-base:$BASE_SUITE-py3-r$BASE_REV
BASE_TAR=$CACHE/images/dstreams-base-$BASE_SUITE-py3-r$BASE_REV.tar
RUNTIME_IMAGE=localhost/dstreams-runtime:$TAG
OPERATOR_IMAGE=localhost/dstreams-operator:$TAG
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

have_image() { podman image exists "$1"; }

build_base() {
  have_image "$BASE_IMAGE" && return 0
  mkdir -p "$CACHE/images"
  exec 8>"$CACHE/images/.base.lock"; flock 8
  have_image "$BASE_IMAGE" && return 0
  if [ ! -s "$BASE_TAR" ]; then
    local t0=$SECONDS root
    root=$(mktemp -d "$CACHE/images/rootfs.XXXXXX")
    echo "build-images: debootstrap $BASE_SUITE into $root (once; a few minutes)" >&2
    $SUDO debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
      "$BASE_SUITE" "$root" "$MIRROR" >"$CACHE/images/debootstrap.log" 2>&1 \
      || { tail -30 "$CACHE/images/debootstrap.log" >&2; $SUDO rm -rf "$root"; exit 1; }
    $SUDO chroot "$root" apt-get clean
    $SUDO rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
      "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
    $SUDO tar --numeric-owner -C "$root" -cf "$BASE_TAR.tmp" .
    $SUDO rm -rf "$root"
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    echo "build-images: base rootfs built in $((SECONDS - t0))s" >&2
  fi
  podman import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    "$BASE_TAR" "$BASE_IMAGE" >/dev/null
  echo "build-images: imported $BASE_IMAGE" >&2
}

build_project_image() {  # name image
  local t0=$SECONDS
  build_base
  # pip inside the build trusts the host's CA bundle: mounted for the build only, never baked in.
  nice -n 5 podman build --network host --pull=never \
    -v /etc/ssl/certs:/etc/ssl/host-certs:ro \
    --build-arg PIP_CERT=/etc/ssl/host-certs/ca-certificates.crt \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    -f "$REPO/images/$1/Dockerfile" -t "$2" "$REPO"
  echo "build-images: $2 built in $((SECONDS - t0))s" >&2
}

targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case $t in
    base) build_base ;;
    runtime) build_project_image runtime "$RUNTIME_IMAGE" ;;
    operator) build_project_image operator "$OPERATOR_IMAGE" ;;
    all) build_project_image runtime "$RUNTIME_IMAGE"; build_project_image operator "$OPERATOR_IMAGE" ;;
    --print-env) echo "BASE_IMAGE=$BASE_IMAGE"; echo "RUNTIME_IMAGE=$RUNTIME_IMAGE"; echo "OPERATOR_IMAGE=$OPERATOR_IMAGE" ;;
    *) echo "build-images: unknown target $t" >&2; exit 2 ;;
  esac
done
