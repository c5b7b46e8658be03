// Idempotent machine setup, run by `npm install` (postinstall): installs the Debian packages the
// project's debuggers and tests need when they are missing, and returns quickly when they are present.
import { spawnSync } from 'node:child_process';

/** Debian package → a file whose presence shows it is installed. */
const PACKAGES = {
  'qemu-system-x86': '/usr/bin/qemu-system-i386',
  ipxe: '/usr/lib/ipxe/ipxe.lkrn',
  socat: '/usr/bin/socat',
  chromium: '/usr/bin/chromium',
  'libkrb5-dev': '/usr/include/krb5.h',
  'pkg-config': '/usr/bin/pkg-config',
  binutils: '/usr/bin/objdump',
  tgt: '/usr/sbin/tgtd',
  unzip: '/usr/bin/unzip',
  make: '/usr/bin/make',
};

import { existsSync } from 'node:fs';

if (process.env.BOOTDBG_SKIP_SETUP) process.exit(0);
if (process.platform !== 'linux') {
  console.log('[setup] not Linux: install QEMU, socat and Chromium yourself to run the tests.');
  process.exit(0);
}
const missing = Object.entries(PACKAGES).filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.log(`[setup] missing system packages: ${missing.join(' ')} — install them (as root: apt-get install ${missing.join(' ')}).`);
  process.exit(0);
}
console.log(`[setup] installing ${missing.join(' ')} …`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env });
let r = run(['update']);
if (r.status !== 0) console.log('[setup] apt-get update failed; trying the install anyway');
// policy-rc.d keeps tgt's service from starting: the tests start their own tgtd on loopback.
r = spawnSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && apt-get install -y --no-install-recommends ${missing.join(' ')}; s=$?; rm -f /usr/sbin/policy-rc.d; exit $s`], { stdio: 'inherit', env });
if (r.status !== 0) {
  console.error('[setup] apt-get install failed');
  process.exit(1);
}
