/**
 * The demo workspace's boot sector builds with its own Makefile and really boots: QEMU runs it
 * from the floppy image and its 0xE9 debug-port output arrives in the debugcon file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const demoDir = path.join(repoRoot, 'demo');

function waitForText(file: string, text: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const content = fs.existsSync(file) ? fs.readFileSync(file, 'latin1') : '';
      if (content.includes(text)) resolve(content);
      else if (Date.now() > deadline) reject(new Error(`no ${JSON.stringify(text)} in ${file} after ${timeoutMs} ms (got ${JSON.stringify(content)})`));
      else setTimeout(poll, 100);
    };
    poll();
  });
}

test('make -C demo builds a 512-byte boot sector and an ELF with symbols', () => {
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'bootdbg-demo-'));
  try {
    const r = spawnSync('make', ['-C', demoDir, `BUILD=${build}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const img = fs.readFileSync(path.join(build, 'prefix.img'));
    assert.equal(img.length, 512);
    assert.equal(img.readUInt16LE(510), 0xaa55, 'boot signature');
    const nm = spawnSync('nm', [path.join(build, 'prefix.elf')], { encoding: 'utf8' });
    const symbols = new Map(nm.stdout.trim().split('\n').map((l) => l.split(' ')).map(([addr, , name]) => [name, parseInt(addr, 16)]));
    assert.equal(symbols.get('_start'), 0, 'linked at 0 like a gPXE prefix');
    for (const fn of ['print_string', 'print_digit', 'print_char', 'halt']) assert.ok(symbols.has(fn), `symbol ${fn}`);
    const lines = spawnSync('objdump', ['--dwarf=decodedline', path.join(build, 'prefix.elf')], { encoding: 'utf8' });
    assert.match(lines.stdout, /prefix\.S\s+\d+\s+0x[0-9a-f]+/, 'line table for the .S source');
  } finally {
    fs.rmSync(build, { recursive: true, force: true });
  }
});

test('the demo image boots in QEMU and writes to port 0xE9', { timeout: 60000 }, async () => {
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'bootdbg-demo-'));
  const debugcon = path.join(build, 'e9.txt');
  const r = spawnSync('make', ['-C', demoDir, `BUILD=${build}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const qemu = spawn('qemu-system-i386', [
    '-nodefaults', '-display', 'none', '-vga', 'std', '-machine', 'accel=tcg',
    '-drive', `if=floppy,index=0,format=raw,file=${path.join(build, 'prefix.img')}`,
    '-boot', 'a', '-debugcon', `file:${debugcon}`,
  ], { stdio: 'ignore' });
  try {
    const out = await waitForText(debugcon, 'liftoff', 45000);
    assert.equal(out, 'BootDbg demo prefix: counting down 3 2 1 liftoff\r\n');
  } finally {
    qemu.kill('SIGKILL');
    fs.rmSync(build, { recursive: true, force: true });
  }
});
