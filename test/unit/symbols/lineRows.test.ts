/**
 * The row store's file column starts 16 bits wide and must widen, keeping the rows already
 * decoded, as soon as a program has more than 65536 files: checked on a line program built
 * here byte by byte (no toolchain writes one that large quickly).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readLineTables, ROW_END_SEQUENCE } from '../../../adapter/symbols/dwarfLineTable';

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

const SPECIAL_ROW = 13 + 5 + 14; // opcode_base 13, line_base -5, line_range 14: address +1, line +0

/** A DWARF 3 line unit with files f1..f`files` and `program` after the header. */
function lineUnit(files: number, program: number[]): Buffer {
  const header: number[] = [1, 1, 0xfb /* -5 */, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0 /* no include dirs */];
  for (let i = 1; i <= files; i++) header.push(...Buffer.from(`f${i}\0`), 0, 0, 0);
  header.push(0);
  const body = [3, 0, ...u32(header.length), ...header, ...program];
  return Buffer.from([...u32(body.length), ...body]);
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

describe('line rows: the file column', () => {
  test('stays 16-bit for small programs', () => {
    const t = readLineTables(lineUnit(2, [0, 5, 2, ...u32(0x1000), SPECIAL_ROW, 0, 1, 1]), new Map(), [], {});
    assert.deepEqual(t.errors, []);
    assert.ok(t.rows.file instanceof Uint16Array);
    assert.equal(t.files[t.rows.file[0]], 'f1');
  });

  test('widens when a program has more than 65536 files, from the header or from DW_LNE_define_file', () => {
    const files = 0x10000; // ids 0..65535 still fit; define_file adds id 65536
    const defineFile = [...Buffer.from('extra.S\0'), 0, 0, 0];
    const program = [
      0, 5, 2, ...u32(0x1000), // set_address
      SPECIAL_ROW, // row 0: f1
      4, ...uleb(files), SPECIAL_ROW, // row 1: the last header file, id 65535
      0, ...uleb(defineFile.length + 1), 3, ...defineFile, // define_file: index 65537, id 65536
      4, ...uleb(files + 1), SPECIAL_ROW, // row 2: extra.S
      0, 1, 1, // end_sequence (row 3)
    ];
    const t = readLineTables(lineUnit(files, program), new Map(), [], {});
    assert.deepEqual(t.errors, []);
    assert.ok(t.rows.file instanceof Uint32Array);
    assert.equal(t.rows.count, 4);
    assert.deepEqual(Array.from({ length: 4 }, (_, i) => t.files[t.rows.file[i]]), ['f1', `f${files}`, 'extra.S', 'extra.S']);
    assert.deepEqual(Array.from(t.rows.address.subarray(0, 4)), [0x1001, 0x1002, 0x1003, 0x1003]);
    assert.equal(t.rows.flags[3], ROW_END_SEQUENCE);
    assert.equal(t.sequences.length, 1);
  });
});
