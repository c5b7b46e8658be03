// Where each debugger's adapter runs (extension/adapterHost.ts) and the setting that overrides it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ADAPTER_HOST_BY_TYPE, DEBUG_TYPES, adapterHostFor } from '../../../extension/adapterHost';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

test('auto: gdb-remote inline in the extension host, windows-kd in its own process', () => {
  assert.equal(adapterHostFor('gdb-remote', 'auto'), 'extensionHost');
  assert.equal(adapterHostFor('windows-kd', 'auto'), 'process');
  assert.equal(adapterHostFor('gdb-remote', undefined), 'extensionHost');
});

test('the setting overrides the per-debugger default both ways', () => {
  for (const type of DEBUG_TYPES) {
    assert.equal(adapterHostFor(type, 'process'), 'process');
    assert.equal(adapterHostFor(type, 'extensionHost'), 'extensionHost');
  }
});

test('unknown setting values mean auto; unknown debug types run as a process', () => {
  assert.equal(adapterHostFor('gdb-remote', 'inline'), 'extensionHost');
  assert.equal(adapterHostFor('windows-kd', ''), 'process');
  assert.equal(adapterHostFor('cppdbg', 'auto'), 'process');
});

test('every debug type has a host and a reason; package.json declares both types and the setting', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { debuggers: { type: string }[]; configuration: { properties: Record<string, { enum?: string[]; default?: string }> } };
  };
  assert.deepEqual(pkg.contributes.debuggers.map((d) => d.type).sort(), [...DEBUG_TYPES].sort());
  for (const t of DEBUG_TYPES) assert.ok(ADAPTER_HOST_BY_TYPE[t].why.length > 10);
  const setting = pkg.contributes.configuration.properties['bootdbg.debugAdapter.host'];
  assert.deepEqual(setting.enum, ['auto', 'extensionHost', 'process']);
  assert.equal(setting.default, 'auto');
});
