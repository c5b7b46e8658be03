#!/bin/sh
# Builds the demo disk (build/disk.img: 8 MB, sector 0 = sanboot.S; build/sanboot.elf: symbols and
# line info for the debugger) and serves it with Debian's tgtd on 127.0.0.1 only, as
# iqn.2026-11.demo.bootdbg:disk1 LUN 1, until Ctrl-C. Then F5 "iSCSI boot (iPXE + tgt on loopback)".
#   PORT     portal port on 127.0.0.1 (default 3260)
#   CONTROL  tgtd management channel, tgtd -C (default 3260; keeps clear of a system tgtd on 0)
#   IQN      target name (default iqn.2026-11.demo.bootdbg:disk1)
#   BUILD    output folder (default build, next to this script)
#   BUILD_ONLY=1  only build, do not serve
set -eu
cd "$(dirname "$0")"
PORT=${PORT:-3260}
CONTROL=${CONTROL:-3260}
IQN=${IQN:-iqn.2026-11.demo.bootdbg:disk1}
BUILD=${BUILD:-build}

mkdir -p "$BUILD"
as --32 -g -o "$BUILD/sanboot.o" sanboot.S
ld -m elf_i386 -Ttext=0 -e _start -o "$BUILD/sanboot.elf" "$BUILD/sanboot.o"
objcopy -O binary -j .text "$BUILD/sanboot.elf" "$BUILD/sanboot.bin"
rm -f "$BUILD/disk.img"
truncate -s 8M "$BUILD/disk.img"
dd if="$BUILD/sanboot.bin" of="$BUILD/disk.img" conv=notrunc status=none
echo "built $BUILD/disk.img (boot sector $(stat -c %s "$BUILD/sanboot.bin") bytes) and $BUILD/sanboot.elf"
[ "${BUILD_ONLY:-0}" = 1 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "tgtd needs root as packaged (lock file under /run/tgtd): run this script with sudo" >&2
  exit 1
fi
command -v tgtd >/dev/null && command -v tgtadm >/dev/null || { echo "tgtd/tgtadm not found: apt-get install tgt" >&2; exit 1; }
if [ -e "/run/tgtd/socket.$CONTROL" ]; then
  echo "a tgtd already uses management channel $CONTROL (/run/tgtd/socket.$CONTROL); set CONTROL=<n> (1..32767)" >&2
  exit 1
fi

tgtd -f -C "$CONTROL" --iscsi "portal=127.0.0.1:$PORT" >"$BUILD/tgtd.log" 2>&1 &
TGTD=$!
adm() { tgtadm -C "$CONTROL" --lld iscsi "$@"; }
cleanup() {
  # tgtd ignores SIGTERM: delete the target, then ask it to shut down; SIGKILL after 5 s.
  adm --op delete --mode target --tid 1 --force 2>/dev/null || true
  tgtadm -C "$CONTROL" --op delete --mode system 2>/dev/null || true
  n=0
  while kill -0 "$TGTD" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
  kill -9 "$TGTD" 2>/dev/null || true
  wait "$TGTD" 2>/dev/null || true
  rm -f "/run/tgtd/socket.$CONTROL" "/run/tgtd/socket.$CONTROL.lock"
  echo "tgtd stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

i=0
until [ -S "/run/tgtd/socket.$CONTROL" ] && adm --op show --mode target >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$TGTD" 2>/dev/null; then
    echo "tgtd did not start (port 127.0.0.1:$PORT busy?):" >&2
    cat "$BUILD/tgtd.log" >&2
    exit 1
  fi
  sleep 0.1
done
adm --op new --mode target --tid 1 -T "$IQN"
adm --op new --mode logicalunit --tid 1 --lun 1 -b "$BUILD/disk.img"
adm --op bind --mode target --tid 1 -I ALL
echo "serving $IQN LUN 1 on 127.0.0.1:$PORT (tgtd pid $TGTD, management channel $CONTROL); Ctrl-C stops it"
wait "$TGTD" || true
