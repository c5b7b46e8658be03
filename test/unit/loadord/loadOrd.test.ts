import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-types';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { loadOrdFeatures } from '../../../language-server/loadord/loadOrdFeatures';
import { parseLoadOrd, parseStart } from '../../../language-server/loadord/loadOrdParser';
import { prng, repoRoot } from '../transcript/fixtures';

const dir = path.join(repoRoot, 'test', 'fixtures', 'transcripts', 'loadord');
const read = (name: string): string => readFileSync(path.join(dir, name), 'utf8');
const diagnose = (text: string): Diagnostic[] => loadOrdFeatures.diagnostics({ uri: 'file:///l.loadord', text, ctx: isolatedContext() });
const msg = (d: Diagnostic | undefined): string => (d ? (typeof d.message === 'string' ? d.message : d.message.value) : '');

describe('LoadOrd parser', () => {
  it('reads LoadOrdC aligned output with banner, separator and empty tag cells', () => {
    const l = parseLoadOrd(read('loadordc-bad-order.txt'));
    assert.equal(l.headerLine, 4);
    assert.equal(l.unparsed.length, 0);
    assert.equal(l.rows.length, 12);
    assert.deepEqual(
      l.rows.slice(0, 4).map((r) => [r.start, r.group, r.tag, r.name]),
      [
        ['boot', 'Boot Bus Extender', 1, 'ACPI'],
        ['boot', 'Boot Bus Extender', 2, 'PCI'],
        ['boot', 'System Bus Extender', 4, 'isapnp'],
        ['boot', 'SCSI miniport', undefined, 'sanbootconf'],
      ],
    );
    assert.equal(l.rows[10].name, 'i8042prt');
    assert.equal(l.rows[10].start, 'system');
    assert.equal(l.rows[11].driver, '\\SystemRoot\\system32\\DRIVERS\\netbt.sys');
  });

  it('reads TAB-separated and quoted CSV with CRLF the same way', () => {
    const tab = parseLoadOrd(read('loadord-good.loadord'));
    assert.equal(tab.rows.length, 10);
    assert.equal(tab.rows[3].name, 'E1000');
    assert.equal(tab.rows[3].group, 'NDIS');
    const csv = parseLoadOrd(read('loadord-not-boot.csv'));
    assert.equal(csv.rows.length, 5);
    assert.deepEqual(csv.rows.map((r) => r.start), ['boot', 'boot', 'demand', 'system', 'boot']);
    assert.equal(csv.rows[2].driver, '\\SystemRoot\\system32\\DRIVERS\\E1000325.sys');
  });

  it('headerless rows use LoadOrd column order; columns can be reordered by a header', () => {
    const l = parseLoadOrd('BOOT\tNDIS Wrapper\t\tNDIS\tndis.sys\n');
    assert.equal(l.rows[0].name, 'NDIS');
    const r = parseLoadOrd('Name\tDriver\tStart\tGroup\nTcpip\ttcpip.sys\t0\tPNP_TDI\n');
    assert.deepEqual([r.rows[0].name, r.rows[0].start, r.rows[0].group], ['Tcpip', 'boot', 'PNP_TDI']);
  });

  it('start types in every spelling', () => {
    for (const [t, v] of [['BOOT', 'boot'], ['0', 'boot'], ['SERVICE_BOOT_START', 'boot'], ['System', 'system'], ['manual', 'demand'], ['4', 'disabled'], ['soon', undefined]] as const) {
      assert.equal(parseStart(t), v, t);
    }
  });
});

describe('LoadOrd diagnostics', () => {
  it('a good listing has none', () => {
    assert.deepEqual(diagnose(read('loadord-good.loadord')), []);
  });

  it('NIC driver and Tcpip not in the Boot start group', () => {
    const ds = diagnose(read('loadord-not-boot.csv'));
    const nb = ds.filter((d) => d.code === 'loadord/not-boot-start');
    assert.deepEqual(nb.map((d) => d.range.start.line), [3, 4]);
    assert.match(msg(nb[0]), /E1000 \(NIC driver\) starts DEMAND/);
    assert.match(msg(nb[1]), /Tcpip.*SYSTEM/);
    assert.equal(nb[0].source, 'bootdbg');
    // the range is the Start cell
    const line = read('loadord-not-boot.csv').split('\r\n')[3];
    assert.equal(line.slice(nb[0].range.start.character, nb[0].range.end.character), 'DEMAND');
  });

  it('an order that cannot work: sanbootconf before the NIC driver', () => {
    const ds = diagnose(read('loadordc-bad-order.txt'));
    assert.deepEqual(ds.map((d) => d.code), ['loadord/order']);
    assert.equal(ds[0].range.start.line, 9);
    assert.match(msg(ds[0]), /sanbootconf loads before E1000 \(line 14\)/);
  });

  it('iSCSI initiator before Tcpip and NIC before NDIS', () => {
    const text = ['BOOT\tSCSI miniport\t\tiScsiPrt\tmsiscsi.sys', 'BOOT\tNDIS\t\tE1000\tE1000325.sys', 'BOOT\tNDIS Wrapper\t\tNDIS\tndis.sys', 'BOOT\tPNP_TDI\t\tTcpip\ttcpip.sys'].join('\n');
    const ds = diagnose(text);
    const order = ds.filter((d) => d.code === 'loadord/order').map(msg);
    assert.equal(order.length, 3, order.join('\n'));
    assert.ok(order.some((m) => /iScsiPrt loads before Tcpip/.test(m)));
    assert.ok(order.some((m) => /E1000 loads before NDIS/.test(m)));
    assert.ok(order.some((m) => /iScsiPrt loads before E1000/.test(m)));
  });

  it('missing roles are reported once each', () => {
    const ds = diagnose('BOOT\tBoot Bus Extender\t1\tACPI\tACPI.sys\n');
    const missing = ds.filter((d) => d.code === 'loadord/missing').map(msg);
    assert.equal(missing.length, 4);
    assert.ok(missing.some((m) => /no NIC driver/.test(m)));
    assert.ok(missing.some((m) => /no iSCSI boot driver/.test(m)));
  });

  it('an unknown NIC miniport in the NDIS group still counts as the NIC', () => {
    const ds = diagnose(['BOOT\tNDIS Wrapper\t\tNDIS\tndis.sys', 'DEMAND\tNDIS\t\tmynic\tmynic.sys', 'BOOT\tPNP_TDI\t\tTcpip\ttcpip.sys', 'BOOT\tSCSI miniport\t\tsanbootconf\tsanbootconf.sys'].join('\n'));
    assert.deepEqual(ds.map((d) => d.code), ['loadord/not-boot-start']);
  });

  it('hover and outline', () => {
    const text = read('loadord-good.loadord');
    const doc = { uri: 'file:///g.loadord', text, ctx: isolatedContext() };
    const h = loadOrdFeatures.hover?.(doc, { line: 5, character: 2 });
    const value = h && typeof h.contents === 'object' && 'kind' in h.contents ? h.contents.value : '';
    assert.match(value, /Tcpip/);
    assert.match(value, /BOOT \(0\)/);
    assert.equal(loadOrdFeatures.documentSymbols?.(doc).length, 10);
  });

  it('fuzz: 2,000 mutated listings never throw (seed 0x10ad)', () => {
    const rnd = prng(0x10ad);
    const seeds = [read('loadordc-bad-order.txt'), read('loadord-good.loadord'), read('loadord-not-boot.csv')];
    const pieces = ['\t', ',', '"', '  ', '\r\n', 'BOOT', '0', '\u0000', 'Name', '\\'];
    for (let i = 0; i < 2000; i++) {
      let t = seeds[i % seeds.length];
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) {
        const at = Math.floor(rnd() * (t.length + 1));
        t = rnd() < 0.5 ? t.slice(0, at) + pieces[Math.floor(rnd() * pieces.length)] + t.slice(at) : t.slice(0, at) + t.slice(at + Math.floor(rnd() * 30));
      }
      const doc = { uri: 'file:///f.loadord', text: t, ctx: isolatedContext() };
      const lines = t.split(/\r\n|\n|\r/).length;
      for (const d of loadOrdFeatures.diagnostics(doc)) assert.ok(d.range.start.line < lines, `case ${i}`);
      loadOrdFeatures.documentSymbols?.(doc);
      loadOrdFeatures.hover?.(doc, { line: 0, character: 0 });
    }
  });
});
