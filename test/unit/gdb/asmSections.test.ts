// Section of an assembly line from the source's own directives (iPXE links all sections at 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sectionsByLine } from '../../../adapter/gdb/asmSections';

test('section directives: .section, .text/.data, push/pop, .previous, comments', () => {
  const src = [
    '\t.code16', // 1
    '\t.section ".prefix", "ax", @progbits', // 2
    'start: nop', // 3
    '\t.section ".text16.early", "awx", @progbits', // 4
    'x: nop', // 5
    '\t.pushsection ".data16"', // 6
    'v: .word 0', // 7
    '\t.popsection', // 8
    'y: nop', // 9
    '\t.data', // 10
    '\t.previous', // 11
    'z: nop /* .section ".bogus" in a comment */', // 12
  ].join('\n');
  const t = sectionsByLine(src);
  assert.equal(t[1], '.text');
  assert.equal(t[3], '.prefix');
  assert.equal(t[5], '.text16.early');
  assert.equal(t[7], '.data16');
  assert.equal(t[9], '.text16.early');
  assert.equal(t[10], '.data');
  assert.equal(t[12], '.text16.early');
});
