/** Bugcheck table, expressions, transcript, PE exports/module list and config validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { BUGCHECK_TABLE, bugcheckAnalysis, bugcheckTitle, lookupBugcheck, parseFatalSystemError } from '../../../adapter/kd/bugcheckCodes';
import { evaluateExpression, ExpressionEnv } from '../../../adapter/kd/kdExpression';
import { KdTranscript, defaultTranscriptName } from '../../../adapter/kd/kdTranscript';
import { MemoryReader, readPeExports, SymbolTable, walkModuleList } from '../../../adapter/kd/kdSymbols';
import { parseKdConfig } from '../../../adapter/kd/kdTarget';
import { ConfigError } from '../../../adapter/target/target';
import { describePort, explainOpenError, parsePortSpec } from '../../../adapter/kd/kdTransport';
import { describeEflags, EFLAGS_BITS, flagValue } from '../../../adapter/kd/kdRegisters';

test('bugcheck table: ≥25 unique codes, each with a name, four parameter meanings and advice', () => {
  assert.ok(BUGCHECK_TABLE.length >= 25);
  assert.equal(new Set(BUGCHECK_TABLE.map((b) => b.code)).size, BUGCHECK_TABLE.length);
  for (const b of BUGCHECK_TABLE) {
    assert.match(b.name, /^[A-Z0-9_]+$/);
    assert.equal(b.parameters.length, 4);
    assert.ok(b.advice.length > 0, b.name);
  }
  assert.equal(bugcheckTitle(0x7b), '0x0000007B INACCESSIBLE_BOOT_DEVICE');
  const text = bugcheckAnalysis(0x7b, [0xf78a6a94n, 0xc0000034n, 0n, 0n]);
  assert.match(text, /Arg2: 0xc0000034 \(STATUS_OBJECT_NAME_NOT_FOUND\)/);
  assert.match(text, /boot start|boot group/i);
  assert.match(text, /iBFT/);
  assert.match(text, /CHAP/);
  assert.match(text, /gateway/i);
  assert.equal(lookupBugcheck(0x12345678), undefined);
  assert.match(bugcheckTitle(0x12345678), /unknown/);
});

test('parses the kernel\'s "*** Fatal System Error" DbgPrint', () => {
  const r = parseFatalSystemError('\n*** Fatal System Error: 0x0000007b\n                       (0xF78A6A94,0xC0000034,0x00000000,0x00000000)\n\n');
  assert.deepEqual(r, { code: 0x7b, params: [0xf78a6a94n, 0xc0000034n, 0n, 0n] });
  assert.equal(parseFatalSystemError('nothing here'), undefined);
});

test('expressions: hex default, registers, poi(), module!symbol, arithmetic, errors', async () => {
  const mem = new Map<bigint, bigint>([[0x8000n, 0x80501234n]]);
  const env: ExpressionEnv = {
    bits: 32,
    register: (n) => ({ eax: 0x10n, esp: 0x8000n, eip: 0x804d7000n } as Record<string, bigint>)[n],
    readPointer: async (a) => {
      const v = mem.get(a);
      if (v === undefined) throw new Error(`memory at 0x${a.toString(16)} is not readable`);
      return v;
    },
    symbol: async (n) => ({ 'nt!KeBugCheckEx': 0x80500000n, nt: 0x804d7000n } as Record<string, bigint>)[n],
  };
  const ev = (s: string): Promise<bigint> => evaluateExpression(s, env);
  assert.equal(await ev('10'), 0x10n);
  assert.equal(await ev('0n10'), 10n);
  assert.equal(await ev('$eax + 1'), 0x11n);
  assert.equal(await ev('@esp'), 0x8000n);
  assert.equal(await ev('eax*2'), 0x20n);
  assert.equal(await ev('poi(esp)'), 0x80501234n);
  assert.equal(await ev('poi($esp)+4'), 0x80501238n);
  assert.equal(await ev('nt!KeBugCheckEx+0x10'), 0x80500010n);
  assert.equal(await ev('nt'), 0x804d7000n);
  assert.equal(await ev('-1'), 0xffffffffn);
  assert.equal(await ev('(1+2)*3'), 9n);
  assert.equal(await ev('8053`1234'), 0x80531234n);
  await assert.rejects(ev('$nosuch'), /unknown register/);
  await assert.rejects(ev('nt!Nope'), /unknown symbol/);
  await assert.rejects(ev('poi(1234)'), /not readable/);
  await assert.rejects(ev('1/0'), /division by zero/);
  await assert.rejects(ev('(1'), /expected '\)'/);
  await assert.rejects(ev(''), /empty/);
  await assert.rejects(ev('1 ~ 2'), /unexpected/);
});

test('EFLAGS decoding from the flag table', () => {
  const v = 0x246; // ZF PF IF
  assert.equal(flagValue(v, EFLAGS_BITS.find((f) => f.name === 'ZF')!), 1);
  assert.equal(flagValue(v, EFLAGS_BITS.find((f) => f.name === 'CF')!), 0);
  assert.equal(describeEflags(0x3246), 'PF ZF IF IOPL=3');
});

test('transcript: header line, raw output, notes on their own line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdt-'));
  const file = path.join(dir, 'sub', defaultTranscriptName(new Date(2026, 0, 2, 3, 4, 5)));
  assert.match(file, /kd-20260102-030405\.kdlog$/);
  const t = KdTranscript.open(file, 'windows-kd on COM1 115200');
  t.appendOutput('iSCSI: connecting');
  t.note('Break instruction exception - code 80000003 (first chance)');
  t.appendOutput(' ...done\nnext line\n');
  t.close();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  assert.match(lines[0], /^BootDbg transcript: windows-kd on COM1 115200/);
  assert.deepEqual(lines.slice(1), ['iSCSI: connecting', 'Break instruction exception - code 80000003 (first chance)', ' ...done', 'next line', '']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('transcript: kill -9 of the writing process loses no line already written', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdt9-'));
  const file = path.join(dir, 't.kdlog');
  const mod = require.resolve('../../../adapter/kd/kdTranscript');
  const script = `const {KdTranscript}=require(${JSON.stringify(mod)});const t=KdTranscript.open(${JSON.stringify(file)},'kill test');let i=0;setInterval(()=>{t.appendOutput('line '+(i++)+'\\n');if(i===50)process.stdout.write('50\\n');},1);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l);
  assert.ok(lines.length >= 50, `got ${lines.length} lines`);
  lines.forEach((l, i) => assert.equal(l, `line ${i}`));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A little x86 kernel address space: a PE image with exports and a two-entry module list. */
function fakeKernel(): { mem: MemoryReader; head: bigint } {
  const pages = new Map<bigint, Buffer>();
  const put = (addr: bigint, data: Buffer): void => {
    pages.set(addr, data);
  };
  const base = 0x804d7000n;
  const img = Buffer.alloc(0x3000);
  img.writeUInt16LE(0x5a4d, 0);
  img.writeUInt32LE(0x80, 0x3c);
  img.writeUInt32LE(0x4550, 0x80);
  img.writeUInt32LE(0x3e000000, 0x88);
  const opt = 0x98;
  img.writeUInt16LE(0x10b, opt);
  img.writeUInt32LE(0x3000, opt + 56);
  img.writeUInt32LE(0x2000, opt + 96);
  img.writeUInt32LE(0x200, opt + 100);
  const e = 0x2000;
  const names = ['DbgBreakPoint', 'KeBugCheckEx', 'NtForward'];
  const rvas = [0x1000, 0x1100, 0x2010 /* inside the export dir: a forwarder */];
  img.writeUInt32LE(3, e + 0x14);
  img.writeUInt32LE(3, e + 0x18);
  img.writeUInt32LE(0x2040, e + 0x1c);
  img.writeUInt32LE(0x2050, e + 0x20);
  img.writeUInt32LE(0x2060, e + 0x24);
  let strOff = 0x2080;
  names.forEach((n, i) => {
    img.writeUInt32LE(rvas[i], 0x2040 + 4 * i);
    img.writeUInt32LE(strOff, 0x2050 + 4 * i);
    img.writeUInt16LE(i, 0x2060 + 2 * i);
    img.write(n + '\0', strOff, 'latin1');
    strOff += n.length + 1;
  });
  put(base, img);
  // PsLoadedModuleList head → entry1 (ntoskrnl) → entry2 (iscsiprt) → head.
  const head = 0x80550000n;
  const ent1 = 0x81000000n;
  const ent2 = 0x81000100n;
  const listHead = Buffer.alloc(8);
  listHead.writeUInt32LE(Number(ent1), 0);
  put(head, listHead);
  const mkEntry = (next: bigint, dll: bigint, size: number, nameAddr: bigint, name: string): Buffer => {
    const b = Buffer.alloc(0x34);
    b.writeUInt32LE(Number(next), 0);
    b.writeUInt32LE(Number(dll), 0x18);
    b.writeUInt32LE(size, 0x20);
    b.writeUInt16LE(name.length * 2, 0x2c);
    b.writeUInt16LE(name.length * 2, 0x2e);
    b.writeUInt32LE(Number(nameAddr), 0x30);
    return b;
  };
  put(ent1, mkEntry(ent2, base, 0x3000, 0x81000200n, 'ntoskrnl.exe'));
  put(ent2, mkEntry(head, 0xf7800000n, 0x1000, 0x81000300n, 'iscsiprt.sys'));
  put(0x81000200n, Buffer.from('ntoskrnl.exe', 'utf16le'));
  put(0x81000300n, Buffer.from('iscsiprt.sys', 'utf16le'));
  const mem: MemoryReader = {
    arch: 'x86',
    async readVirtual(addr, len) {
      for (const [a, b] of pages) {
        if (addr >= a && addr < a + BigInt(b.length)) {
          const off = Number(addr - a);
          const data = Buffer.from(b.subarray(off, off + len));
          return { data, partial: data.length < len };
        }
      }
      return { data: Buffer.alloc(0), partial: true };
    },
  };
  return { mem, head };
}

test('module list walk and PE export names resolve both ways', async () => {
  const { mem, head } = fakeKernel();
  const mods = await walkModuleList(mem, head);
  assert.deepEqual(
    mods.map((m) => [m.name, m.fileName, m.base]),
    [
      ['nt', 'ntoskrnl.exe', 0x804d7000n],
      ['iscsiprt', 'iscsiprt.sys', 0xf7800000n],
    ],
  );
  const pe = await readPeExports(mem, 0x804d7000n);
  assert.deepEqual(pe?.exports.map((x) => x.name), ['DbgBreakPoint', 'KeBugCheckEx'], 'forwarders are skipped');
  assert.equal(pe?.timeDateStamp, 0x3e000000);
  const syms = new SymbolTable(mem);
  syms.setModules(mods);
  assert.equal(await syms.format(0x804d8000n), 'nt!DbgBreakPoint');
  assert.equal(await syms.format(0x804d8112n), 'nt!KeBugCheckEx+0x12');
  assert.equal(await syms.format(0xf7800010n), 'iscsiprt+0x10');
  assert.equal(await syms.format(0x10n), undefined);
  assert.equal(await syms.lookup('nt!KeBugCheckEx'), 0x804d8100n);
  assert.equal(await syms.lookup('ntoskrnl!DbgBreakPoint'), 0x804d8000n);
  assert.equal(await syms.lookup('nt!Missing'), undefined);
  assert.equal(await syms.lookup('iscsiprt'), 0xf7800000n);
});

test('module list walk stops on loops and unreadable links', async () => {
  const mem: MemoryReader = {
    arch: 'x86',
    async readVirtual(addr, len) {
      const b = Buffer.alloc(len);
      b.writeUInt32LE(Number(addr), 0); // every entry links to itself
      return { data: b, partial: false };
    },
  };
  const mods = await walkModuleList(mem, 0x1000n);
  assert.ok(mods.length <= 1);
});

test('config validation: ConfigError with clear messages; defaults', () => {
  const host = { cwd: '/ws', log: () => undefined };
  const ok = parseKdConfig({ type: 'windows-kd', request: 'attach', port: 'COM1' }, host);
  assert.equal(ok.baudRate, 115200);
  assert.equal(ok.breakOnConnect, false);
  assert.match(ok.transcript, /^\/ws\/\.bootdbg\/transcripts\/kd-\d{8}-\d{6}\.kdlog$/);
  assert.equal(parseKdConfig({ port: 'tcp:127.0.0.1:5555', transcript: 'logs/x.kdlog' }, host).transcript, '/ws/logs/x.kdlog');
  assert.throws(() => parseKdConfig({ request: 'launch', port: 'COM1' }, host), ConfigError);
  assert.throws(() => parseKdConfig({}, host), /set "port"/);
  assert.throws(() => parseKdConfig({ port: 'COM1', baudRate: 12345 }, host), /baudRate/);
  assert.throws(() => parseKdConfig({ port: 'tcp:host:99999' }, host), /1\.\.65535/);
  assert.throws(() => parseKdConfig({ port: 'COM1', breakOnConnect: 'yes' }, host), /breakOnConnect/);
});

test('port specs: serial, tcp, unix, named pipe', () => {
  assert.deepEqual(parsePortSpec('COM1'), { kind: 'serial', path: 'COM1' });
  assert.deepEqual(parsePortSpec('/dev/pts/3'), { kind: 'serial', path: '/dev/pts/3' });
  assert.deepEqual(parsePortSpec('tcp:127.0.0.1:5555'), { kind: 'tcp', host: '127.0.0.1', port: 5555 });
  assert.deepEqual(parsePortSpec('/tmp/vm/com1.sock'), { kind: 'unix', path: '/tmp/vm/com1.sock' });
  assert.deepEqual(parsePortSpec('\\\\.\\pipe\\com_1'), { kind: 'pipe', path: '\\\\.\\pipe\\com_1' });
  assert.throws(() => parsePortSpec('tcp:nohost'), /tcp:HOST:PORT/);
});

test('open errors say what to check', () => {
  const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  assert.match(explainOpenError({ kind: 'serial', path: '/dev/ttyUSB7' }, e('EACCES')).message, /dialout/);
  assert.match(explainOpenError({ kind: 'serial', path: '/dev/ttyS0' }, e('EBUSY')).message, /in use/);
  assert.match(explainOpenError({ kind: 'tcp', host: '127.0.0.1', port: 5555 }, e('ECONNREFUSED')).message, /^Cannot open tcp:127\.0\.0\.1:5555: connection refused/);
  assert.match(explainOpenError({ kind: 'pipe', path: '\\\\.\\pipe\\com_1' }, e('ENOENT')).message, /named pipe/);
  // serialport reports errors as text: still recognised.
  assert.match(explainOpenError({ kind: 'serial', path: '/dev/ttyS9' }, new Error('Error: No such file or directory, cannot open /dev/ttyS9')).message, /no such serial device/);
  if (process.platform !== 'win32') assert.match(explainOpenError({ kind: 'serial', path: 'COM1' }, e('ENOENT')).message, /\/dev\//);
  assert.equal(describePort({ kind: 'serial', path: 'COM1' }, 115200), 'COM1 115200');
  assert.equal(describePort({ kind: 'tcp', host: '127.0.0.1', port: 1 }, 115200), 'tcp:127.0.0.1:1');
});
