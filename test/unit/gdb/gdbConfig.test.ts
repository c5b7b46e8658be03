// launch.json validation and the QEMU command line it produces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { parseGdbConfig } from '../../../adapter/gdb/gdbConfig';
import { buildQemuArgs } from '../../../adapter/gdb/qemuLauncher';
import { ConfigError } from '../../../adapter/target/target';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-cfg-'));
writeFileSync(path.join(dir, 'ipxe.lkrn'), 'x');
writeFileSync(path.join(dir, 'boot.img'), 'x');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('launch: media from the extension, defaults, relative paths resolved against the workspace', () => {
  const c = parseGdbConfig({ request: 'launch', image: 'ipxe.lkrn', stopOnEntry: true, sectionBases: { '.prefix': '0x10000', '.text16': ['0x9c200', 640000] } }, dir);
  assert.equal(c.request, 'launch');
  if (c.request !== 'launch') return;
  assert.equal(c.media, 'kernel');
  assert.equal(c.qemu, 'qemu-system-i386');
  assert.equal(c.image, path.join(dir, 'ipxe.lkrn'));
  assert.equal(c.console, 'serial');
  assert.equal(c.common.stopOnEntry, true);
  assert.deepEqual(c.common.sectionBases.get('.text16'), [0x9c200n, 640000n]);
});

test('attach: host:port or a socket path', () => {
  const c = parseGdbConfig({ request: 'attach', target: 'localhost:1234' }, dir);
  assert.equal(c.request, 'attach');
  if (c.request === 'attach') assert.deepEqual(c.target, { host: 'localhost', port: 1234 });
});

test('memoryReadPipeline: absent means the default for the request (the target picks 4 for launch, 1 for attach); 1-16 kept', () => {
  assert.equal(parseGdbConfig({ request: 'launch', image: 'boot.img' }, dir).common.memoryReadPipeline, undefined);
  assert.equal(parseGdbConfig({ request: 'attach', target: ':1234' }, dir).common.memoryReadPipeline, undefined);
  assert.equal(parseGdbConfig({ request: 'attach', target: ':1234', memoryReadPipeline: 4 }, dir).common.memoryReadPipeline, 4);
  assert.equal(parseGdbConfig({ request: 'launch', image: 'boot.img', memoryReadPipeline: 1 }, dir).common.memoryReadPipeline, 1);
});

test('mistakes become ConfigErrors that name the attribute', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ request: 'launch' }, /set "image"/],
    [{ request: 'launch', image: 'nope.img' }, /"image" .* does not exist/],
    [{ request: 'launch', image: 'boot.img', media: 'tape' }, /"media" must be one of floppy, cdrom, kernel, disk, pxe, rom/],
    [{ request: 'launch', image: 'boot.img', qemuArgs: ['-s'] }, /do not put "-s"/],
    [{ request: 'launch', image: 'boot.img', qemuArgs: 'oops' }, /"qemuArgs" must be an array of strings/],
    [{ request: 'launch', image: 'boot.img', console: 'lpt' }, /"console" must be one of/],
    [{ request: 'launch', image: 'boot.img', stopOnEntry: 'yes' }, /"stopOnEntry" must be true or false/],
    [{ request: 'launch', image: 'boot.img', sectionBases: { '.prefix': 'here' } }, /sectionBases\["\.prefix"\] must be an address/],
    [{ request: 'attach' }, /"target" is required/],
    [{ request: 'attach', target: 'what?' }, /neither host:port nor a Unix socket path/],
    [{ request: 'debug' }, /"request" must be "launch" or "attach"/],
    [{ request: 'launch', image: 'boot.img', program: 'missing.elf' }, /"program" .* does not exist/],
    [{ request: 'launch', image: 'boot.img', memoryReadPipeline: 0 }, /"memoryReadPipeline" must be a whole number from 1 .* to 16 \(got 0\)/],
    [{ request: 'attach', target: ':1234', memoryReadPipeline: 2.5 }, /"memoryReadPipeline" must be a whole number/],
    [{ request: 'attach', target: ':1234', memoryReadPipeline: '4' }, /"memoryReadPipeline" must be a whole number .*got "4"/],
    [{ request: 'attach', target: ':1234', memoryReadPipeline: 17 }, /"memoryReadPipeline" must be a whole number/],
  ];
  for (const [cfg, re] of cases) {
    assert.throws(() => parseGdbConfig(cfg, dir), (err: unknown) => err instanceof ConfigError && re.test(err.message), JSON.stringify(cfg));
  }
});

test('QEMU command line: paused, loopback gdbstub, no display/monitor, tcg, media args, no network by default', () => {
  const args = buildQemuArgs({ image: '/x/boot.img', media: 'floppy', qemuArgs: ['-m', '64'], console: 'serial' }, 'tcp:127.0.0.1:4444');
  const s = args.join(' ');
  assert.match(s, /^-S -gdb tcp:127\.0\.0\.1:4444 -display none -monitor none -machine pc,accel=tcg -serial stdio -net none/);
  assert.match(s, /-drive file=\/x\/boot\.img,format=raw,if=floppy,snapshot=on -boot a -m 64$/);
  assert.ok(!args.includes('-s'));
  const pxe = buildQemuArgs({ image: '/srv/tftp/undionly.kpxe', media: 'pxe', qemuArgs: [], console: 'debugcon' }, 'tcp:127.0.0.1:1').join(' ');
  assert.match(pxe, /user,id=n0,restrict=on,tftp=\/srv\/tftp,bootfile=undionly\.kpxe/);
  assert.match(pxe, /-debugcon stdio/);
  assert.ok(!pxe.includes('-net none'));
});
