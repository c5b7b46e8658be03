// The typed switch table agrees with the reference research it was derived from
// (../shared/reference/lang/bootini-switches.json): same switches, value kinds, enum values, ranges.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findSwitch, SWITCHES } from '../../../language-server/bootini/switchTable';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const jsonPath = [resolve(repoRoot, '..'), resolve(repoRoot, '..', '..')].map((d) => join(d, 'shared', 'reference', 'lang', 'bootini-switches.json')).find(existsSync);

interface RefSwitch {
  name: string;
  value: { kind: string; values?: Array<string | number>; min?: number; max?: number; optional?: boolean };
  scope: string;
  aliases?: string[];
}

describe('boot.ini switch table', () => {
  it('names are upper-case, unique, and found case-insensitively', () => {
    const names = SWITCHES.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    for (const s of SWITCHES) {
      assert.equal(s.name, s.name.toUpperCase());
      assert.equal(findSwitch(s.name.toLowerCase()), s);
      assert.ok(s.description.length > 10 && s.versions.length > 2, s.name);
    }
    assert.equal(findSwitch('MININIT')?.name, 'MININT');
    assert.equal(findSwitch('nosuchswitch'), undefined);
  });

  it('requirements and conflicts name switches that exist', () => {
    for (const s of SWITCHES) {
      for (const r of s.requires ?? []) if ('switch' in r) assert.ok(findSwitch(r.switch), `${s.name} requires ${r.switch}`);
      for (const c of s.conflicts ?? []) assert.ok(findSwitch(c), `${s.name} conflicts ${c}`);
      for (const i of s.implies ?? []) assert.ok(findSwitch(i), `${s.name} implies ${i}`);
    }
  });

  it('matches bootini-switches.json', { skip: jsonPath ? false : 'reference ../shared/reference/lang/bootini-switches.json not found' }, () => {
    const ref = JSON.parse(readFileSync(jsonPath!, 'utf8')) as { switches: RefSwitch[] };
    assert.deepEqual(SWITCHES.map((s) => s.name).sort(), ref.switches.map((s) => s.name.replace(/^\//, '')).sort());
    for (const r of ref.switches) {
      const s = findSwitch(r.name.slice(1))!;
      assert.equal(s.value.kind, r.value.kind, r.name);
      assert.equal(s.scope, r.scope, r.name);
      if (s.value.kind === 'enum') assert.deepEqual([...s.value.values], (r.value.values ?? []).map(String), r.name);
      if (s.value.kind === 'integer') {
        assert.equal(s.value.min, r.value.min, `${r.name} min`);
        assert.equal(s.value.max, r.value.max, `${r.name} max`);
      }
    }
  });
});
