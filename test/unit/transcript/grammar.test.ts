/**
 * The TextMate grammars: valid JSON, every regex compiles, and sample lines hit the scopes the
 * issue asks for (module prefixes, addresses, hex, errors, bugchecks). VS Code uses Oniguruma;
 * here the inline "(?i)" / "(?i:…)" modifiers are approximated with JavaScript's `i` flag.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './fixtures';

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  patterns?: Rule[];
  include?: string;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

function load(name: string): Grammar {
  return JSON.parse(readFileSync(path.join(repoRoot, 'syntaxes', name), 'utf8')) as Grammar;
}

function toJs(src: string): RegExp {
  const insensitive = /\(\?i[:)]/.test(src);
  const js = src.replace(/\(\?i\)/g, '').replace(/\(\?i:/g, '(?:');
  return new RegExp(js, insensitive ? 'gi' : 'g');
}

/** Every (regex, scope names) pair in the grammar. */
function rules(g: Grammar): Array<{ re: RegExp; scopes: string[] }> {
  const out: Array<{ re: RegExp; scopes: string[] }> = [];
  const walk = (r: Rule): void => {
    const src = r.match ?? r.begin;
    if (src !== undefined) {
      const caps = { ...(r.captures ?? {}), ...(r.beginCaptures ?? {}) };
      out.push({ re: toJs(src), scopes: [r.name, ...Object.values(caps).map((c) => c.name)].filter((s): s is string => !!s) });
    }
    if (r.end !== undefined) toJs(r.end);
    for (const p of r.patterns ?? []) walk(p);
  };
  for (const r of Object.values(g.repository)) walk(r);
  for (const r of g.patterns) walk(r);
  return out;
}

function scopesOn(g: Grammar, line: string): string[] {
  const found = new Set<string>();
  for (const { re, scopes } of rules(g)) {
    re.lastIndex = 0;
    if (re.test(line)) for (const s of scopes) found.add(s);
  }
  return [...found];
}

describe('kd-transcript grammar', () => {
  const g = load('kd-transcript.tmLanguage.json');

  it('is valid and every include resolves', () => {
    assert.equal(g.scopeName, 'source.kd-transcript');
    const check = (r: Rule): void => {
      if (r.include?.startsWith('#')) assert.ok(g.repository[r.include.slice(1)], r.include);
      for (const p of r.patterns ?? []) check(p);
    };
    for (const r of [...g.patterns, ...Object.values(g.repository)]) check(r);
    assert.ok(rules(g).length > 15);
  });

  const cases: Array<[string, string]> = [
    ['iScsiBP: iBF table found at PA 0x9e620', 'entity.name.namespace.module-prefix.kd-transcript'],
    ['iScsiBP: iBF table found at PA 0x9e620', 'constant.numeric.hex.kd-transcript'],
    ['IscsiBP: IP Address 10.0.2.15, Gateway 10.0.2.2', 'constant.numeric.ip.kd-transcript'],
    ['  MAC = 52:54:00:12:34:56', 'constant.numeric.mac.kd-transcript'],
    ['  PCI = 00:03.0', 'constant.numeric.pci.kd-transcript'],
    ['  Name = iqn.2010-04.org.ipxe:initiator1', 'string.unquoted.iqn.kd-transcript'],
    ['Found iBFT NIC 0:', 'entity.name.section.ibft-block.kd-transcript'],
    ['*** Fatal System Error: 0x0000007b', 'invalid.illegal.bugcheck.kd-transcript'],
    ['*** Fatal System Error: 0x0000007b', 'constant.numeric.bugcheck-code.kd-transcript'],
    ['BugCheck 7B, {f78a6a94, c0000034, 0, 0}', 'invalid.illegal.bugcheck.kd-transcript'],
    ['INACCESSIBLE_BOOT_DEVICE (7b)', 'invalid.illegal.bugcheck.kd-transcript'],
    ['No iBFT found', 'invalid.illegal.error.kd-transcript'],
    ['ISCSI Boot Status 0xC00000B5', 'invalid.illegal.error.kd-transcript'],
    ['ISCSI Boot Status 0', 'markup.inserted.success.kd-transcript'],
    ['Waiting 60 seconds for boot disk', 'markup.changed.warning.kd-transcript'],
    ['Kernel base = 0x80800000 PsLoadedModuleList = 0x808a8ee8', 'comment.line.debugger.kd-transcript'],
    ['Opened \\\\.\\com1', 'comment.line.debugger.kd-transcript'],
    ['BootDbg transcript: windows-kd on com1', 'markup.heading.transcript-header.kd-transcript'],
    ['[01:02:03.456] iScsiBP: x', 'constant.other.timestamp.kd-transcript'],
    ['Arg1: f78a6a94, Pointer', 'constant.numeric.address.kd-transcript'],
    ['Found ACPI table "iBFT" at 9e620 OEM ID "FENSYS"', 'markup.inserted.success.kd-transcript'],
    ['NIC 52:54:00:12:34:56 is NetCfgInstanceId "{4DB3}"', 'markup.inserted.success.kd-transcript'],
    ['Successfully configured iBFT NIC 0', 'markup.inserted.success.kd-transcript'],
    ['Booting from SAN device 0x80', 'markup.inserted.success.kd-transcript'],
    ['Could not open SAN device: Operation not permitted (http://ipxe.org/410d613c)', 'invalid.illegal.error.kd-transcript'],
    ['ERROR: 00:0c:29:3a:4b:5c not found', 'invalid.illegal.error.kd-transcript'],
    ['Could not configure iBFT NIC 0: c000000f', 'invalid.illegal.error.kd-transcript'],
  ];
  for (const [line, scope] of cases) {
    it(`${scope} on "${line}"`, () => assert.ok(scopesOn(g, line).includes(scope), scopesOn(g, line).join(', ')));
  }

  it('the package.json firstLine detects BootDbg and WinDbg transcripts', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { languages: Array<{ id: string; firstLine?: string }> };
    };
    const lang = pkg.contributes.languages.find((l) => l.id === 'kd-transcript');
    const re = new RegExp(lang?.firstLine ?? '$^');
    for (const first of ['BootDbg transcript: windows-kd', 'Microsoft (R) Windows Debugger Version 6.11.0001.404 X86', 'Opened \\\\.\\com1', 'SAN Boot Configuration Driver initialising', 'iSCSI Boot Parameter Driver initialising']) {
      assert.ok(re.test(first), first);
    }
    assert.ok(!re.test('[boot loader]'));
  });
});

describe('loadord grammar', () => {
  const g = load('loadord.tmLanguage.json');
  it('highlights start types, network drivers, paths and the header', () => {
    assert.equal(g.scopeName, 'source.loadord');
    assert.ok(scopesOn(g, 'BOOT\tNDIS Wrapper\t\tNDIS\t\\SystemRoot\\system32\\drivers\\ndis.sys').includes('keyword.other.start-boot.loadord'));
    assert.ok(scopesOn(g, 'BOOT\tPNP_TDI\t\tTcpip\ttcpip.sys').includes('support.class.boot-network.loadord'));
    assert.ok(scopesOn(g, 'DEMAND  NDIS   E1000   \\SystemRoot\\system32\\DRIVERS\\E1000325.sys').includes('string.unquoted.driver-path.loadord'));
    assert.ok(scopesOn(g, 'DEMAND  NDIS   E1000').includes('storage.modifier.start-later.loadord'));
    assert.ok(scopesOn(g, 'Start   Group    Tag  Name   Driver').includes('markup.heading.columns.loadord'));
  });
});
