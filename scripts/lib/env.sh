# Shared paths and helpers for scripts/setup, scripts/test, scripts/lint and scripts/demo.
# Source it from the project root.

IMMICH_DEV_HOME="${IMMICH_DEV_HOME:-$HOME/.cache/immich-ha-dev}"
NEWEST_VENV="$IMMICH_DEV_HOME/venv-newest"
OLDEST_VENV="$IMMICH_DEV_HOME/venv-oldest"
# The chroot stays at a fixed root path so that every clone of the project shares one.
ROOTFS="${IMMICH_SID_ROOTFS:-/opt/immich-sid-py314}"

# Print the first Python >= 3.14.2 on this machine. Home Assistant 2026.10 rejects 3.14.0 and 3.14.1.
find_host_python_314() {
  local candidate
  local pyenv_root
  pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for candidate in python3.14 python3 "$pyenv_root"/versions/3.14*/bin/python /usr/local/bin/python3.14; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:3] < (3, 14, 2))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

find_python_313() {
  local candidate
  local pyenv_root
  pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for candidate in "$pyenv_root/versions/3.13.0/bin/python" python3.13; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

requirements_stamp() {
  sha256sum "$1" | cut -d' ' -f1
}

# Create or refresh a venv so that it matches a requirements file; a stamp file records the match.
ensure_venv() {
  local python="$1" venv="$2" requirements="$3"
  local stamp
  stamp="$(requirements_stamp "$requirements")"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q -r "$requirements"
  echo "$stamp" > "$venv/.requirements-stamp"
}

newest_uses_chroot() {
  ! [ -x "$NEWEST_VENV/bin/python" ]
}

# Serialise set-up: concurrent runs (parallel test commands) wait instead of rebuilding a venv
# under each other's feet.
with_setup_lock() {
  mkdir -p "$IMMICH_DEV_HOME"
  exec 9>"$IMMICH_DEV_HOME/setup.lock"
  flock 9
}

# Run a command in the chroot with the project mounted at /work and the working directory there.
# The mounts live in a private mount namespace and disappear when the command exits.
in_chroot() {
  unshare -m --propagation private bash -c '
    rootfs=$1; project=$2; shift 2
    mount --rbind /dev "$rootfs/dev" && mount -t proc proc "$rootfs/proc" \
      && mount -t tmpfs tmpfs "$rootfs/tmp" && mount --bind "$project" "$rootfs/work" || exit 1
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null
    exec chroot "$rootfs" /usr/bin/env -u PIP_FIND_LINKS HOME=/root PYTHONDONTWRITEBYTECODE= \
      sh -c "cd /work && exec \"\$@\"" sh "$@"
  ' bash "$ROOTFS" "$PWD" "$@"
}

# Run a program from the newest environment's venv (python, hass, ruff, mypy, ...).
run_newest() {
  local program="$1"
  shift
  if newest_uses_chroot; then
    in_chroot "/opt/venv/bin/$program" "$@"
  else
    "$NEWEST_VENV/bin/$program" "$@"
  fi
}

run_oldest() {
  local program="$1"
  shift
  "$OLDEST_VENV/bin/$program" "$@"
}

ensure_sid_chroot() {
  if chroot "$ROOTFS" python3.14 -c 'import ssl, sqlite3' 2>/dev/null; then
    return 0
  fi
  command -v mmdebstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  }
  rm -rf "$ROOTFS.tmp"
  # The mirror serves a sid snapshot whose Release file has already expired.
  mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include=python3.14,python3.14-venv,python3.14-dev,gcc,libc6-dev,ca-certificates,tzdata \
    --customize-hook='cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null || true; chroot "$1" update-ca-certificates >/dev/null' \
    sid "$ROOTFS.tmp" "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main"
  mkdir -p "$ROOTFS.tmp/work"
  rm -rf "$ROOTFS"
  mv "$ROOTFS.tmp" "$ROOTFS"
}

ensure_chroot_venv() {
  local requirements="$1"
  local stamp
  stamp="$(requirements_stamp "$requirements")"
  # The venv's python links to /usr/bin/python3.14 inside the chroot, which the host does not
  # have, so check the venv's marker files rather than the interpreter link.
  if [ -f "$ROOTFS/opt/venv/pyvenv.cfg" ] \
      && [ "$(cat "$ROOTFS/opt/venv/.requirements-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  rm -rf "$ROOTFS/opt/venv"
  in_chroot sh -c "python3.14 -m venv /opt/venv && /opt/venv/bin/pip install -q -r $requirements"
  echo "$stamp" > "$ROOTFS/opt/venv/.requirements-stamp"
}
