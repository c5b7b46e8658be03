/**
 * File-name resolution of line tables: absolute-path tests and joins, checked against the plain
 * definitions (a regular expression for Windows absolute paths, node's path.posix.normalize) on
 * hand-picked and seeded random paths.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as posixPath from 'node:path/posix';
import { isAbsolutePath, joinPath } from '../../../adapter/symbols/dwarfLineTable';

const WINDOWS_ABSOLUTE = /^[A-Za-z]:[\\/]|^\\\\/;

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const HAND = ['', '/', '.', '..', 'a', 'C:', 'C:\\x', 'c:/x', 'Z:\\', '1:\\x', '@:\\x', '[:/x', '\\\\srv\\share', '\\x', '/a/b', 'a/b',
  './a', 'a/./b', 'a/../b', 'a//b', 'a/b/', '.hidden', 'a/.hidden', 'é:\\x', '/tmp/x.S'];

function randomPaths(n: number): string[] {
  const rnd = lcg(7);
  const alphabet = ['a', 'B', 'z', '.', '/', '\\', ':', 'C', '1', 'é'];
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(rnd() * 8) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
}

describe('line-table paths', () => {
  const paths = [...HAND, ...randomPaths(3000)];

  test('isAbsolutePath: "/" or a Windows drive or UNC path', () => {
    for (const p of paths) assert.equal(isAbsolutePath(p), p.startsWith('/') || WINDOWS_ABSOLUTE.test(p), JSON.stringify(p));
  });

  test('joinPath: POSIX joins are normalised exactly like path.posix.normalize', () => {
    for (const name of paths) {
      if (WINDOWS_ABSOLUTE.test(name)) continue;
      const expected = name.startsWith('/') ? posixPath.normalize(name) : posixPath.normalize(`/src/${name}`);
      assert.equal(joinPath('/src', name), expected, JSON.stringify(name));
      assert.equal(joinPath(undefined, name), posixPath.normalize(name), JSON.stringify(name));
    }
  });

  test('joinPath: Windows paths keep their separators', () => {
    assert.equal(joinPath('C:\\src\\', 'a.c'), 'C:\\src\\a.c');
    assert.equal(joinPath('/src', 'D:/x/a.c'), 'D:/x/a.c');
    assert.equal(joinPath('\\\\srv\\share', 'a.c'), '\\\\srv\\share\\a.c');
  });
});
