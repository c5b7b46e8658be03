import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeVmxEscapes, encodeVmxValue, entriesOf, parseVmx, valueOf } from '../../../language-server/vmx/vmxParser';

test('key = "value" with ranges of key and value', () => {
  const doc = parseVmx('  displayName = "XP iSCSI"\n');
  assert.equal(doc.entries.length, 1);
  const e = doc.entries[0];
  assert.equal(e.key, 'displayName');
  assert.equal(e.value, 'XP iSCSI');
  assert.deepEqual(e.keyRange, { start: { line: 0, character: 2 }, end: { line: 0, character: 13 } });
  assert.deepEqual(e.valueRange, { start: { line: 0, character: 17 }, end: { line: 0, character: 25 } });
  assert.equal(e.quoted, true);
  assert.equal(doc.problems.length, 0);
});

test('keys are case-insensitive for lookup, spelling is kept', () => {
  const doc = parseVmx('memSize = "512"\nMEMSIZE = "256"\n');
  assert.equal(entriesOf(doc, 'memsize').length, 2);
  assert.deepEqual([...doc.duplicates.keys()], ['memsize']);
  assert.equal(valueOf(doc, 'MemSize'), '256'); // the last one, like packer
  assert.equal(doc.entries[0].key, 'memSize');
});

test('unquoted values are tolerated and stop at whitespace or #', () => {
  const doc = parseVmx('config.version = 8\nscsi0:0.virtualSSD = 1 # comment\nnumvcpus=2#x\n');
  assert.deepEqual(doc.entries.map((e) => [e.key, e.value, e.quoted]), [
    ['config.version', '8', false],
    ['scsi0:0.virtualSSD', '1', false],
    ['numvcpus', '2', false],
  ]);
  assert.equal(doc.problems.length, 0);
  assert.equal(doc.comments.length, 2);
});

test('"#" inside quotes is data; after the quote it starts a comment', () => {
  const doc = parseVmx('annotation = "build #42" # note\n');
  assert.equal(doc.entries[0].value, 'build #42');
  assert.deepEqual(doc.comments[0], { start: { line: 0, character: 25 }, end: { line: 0, character: 31 } });
});

test('"name =" alone is an empty value', () => {
  const doc = parseVmx('workingDir =\nnvram = ""\n');
  assert.deepEqual(doc.entries.map((e) => e.value), ['', '']);
  assert.equal(doc.problems.length, 0);
});

test('|XX escapes are decoded, backslash is literal, bytes 0x80+ form UTF-8', () => {
  assert.equal(decodeVmxEscapes('say |22hi|22 |7C pipe|0Aline').value, 'say "hi" | pipe\nline');
  assert.equal(decodeVmxEscapes('\\\\.\\pipe\\com_1').value, '\\\\.\\pipe\\com_1');
  assert.equal(decodeVmxEscapes('|C3|A9t|C3|A9').value, 'été');
  const bad = decodeVmxEscapes('a|zz|1');
  assert.equal(bad.value, 'a|zz|1'); // kept literally, as VMware does
  assert.deepEqual(bad.invalidAt, [1, 4]);
  assert.equal(encodeVmxValue('a"b|c\nd\te'), 'a|22b|7Cc|0Ad\te');
  assert.equal(decodeVmxEscapes(encodeVmxValue('x"|\u0001y')).value, 'x"|\u0001y');
});

test('comments, #! first line, .encoding, blank lines, CRLF', () => {
  const doc = parseVmx('#!/usr/bin/vmware\r\n.encoding = "UTF-8"\r\n\r\n   # indented comment\r\nguestOS = "winXPPro"\r\n');
  assert.deepEqual(doc.entries.map((e) => e.key), ['.encoding', 'guestOS']);
  assert.equal(doc.entries[1].line, 4);
  assert.equal(doc.comments.length, 2);
  assert.equal(doc.problems.length, 0);
});

test('weird lines: VMware ignores them; each problem points at the span at fault', () => {
  const cases: [string, string, number][] = [
    ['memsize 512', 'missing-equals', 0],
    ['= "x"', 'missing-name', 0],
    ['displayName = "unterminated', 'unterminated-quote', 14],
    ['displayName = "a" "b"', 'text-after-value', 18],
    ['scsi0:0.fileName = c:\\my vms\\x.vmdk', 'text-after-value', 19],
    ['displayName = ab"c"', 'quote-in-value', 14],
    ['flag', 'missing-equals', 0],
  ];
  for (const [text, kind, at] of cases) {
    const doc = parseVmx(text);
    assert.equal(doc.entries.length, 0, text);
    assert.equal(doc.problems.length, 1, text);
    assert.equal(doc.problems[0].kind, kind, text);
    assert.equal(doc.problems[0].lineIgnored, true);
    assert.equal(doc.problems[0].range.start.character, at, text);
  }
});

test('typographic quotes, invalid escapes and a BOM are problems but the line still counts', () => {
  const doc = parseVmx('\uFEFFguestOS = \u201CwinXPPro\u201D\nannotation = "a|b"\n');
  assert.deepEqual(doc.problems.map((p) => p.kind).sort(), ['bom', 'invalid-escape', 'typographic-quotes']);
  assert.equal(doc.hasBom, true);
  assert.equal(doc.entries[0].key, 'guestOS'); // BOM not part of the key
  assert.equal(doc.entries.length, 2);
});
