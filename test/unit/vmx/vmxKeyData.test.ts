/** The committed key tables are derived from the reference JSON: regenerate them when this fails
 *  (`node scripts/gen-vmx-keys.mjs`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VMX_GUEST_OS, VMX_KEY_SPECS, VMX_OBSERVED_KEYS, VMX_VIRTUAL_HW } from '../../../language-server/vmx/vmxKeyData';
import { checkValue, isKnownKey, specFor, templateOf } from '../../../language-server/vmx/vmxKeys';
import { referencePath } from './vmxTestUtil';

const langDir = referencePath('lang');

interface RefKey {
  key: string;
  value: { type: string; values?: string[]; min?: number; max?: number; multipleOf?: number; default?: string | number; pattern?: string };
  description: string;
}

test('key specs, guestOS list and HW table match vmx-keys.json', { skip: langDir ? false : 'reference ../shared/reference/lang not found' }, () => {
  const ref = JSON.parse(readFileSync(path.join(langDir!, 'vmx-keys.json'), 'utf8')) as {
    keys: RefKey[];
    guestOS: { vmx: string; canonical: boolean; family: string; bits: number }[];
    virtualHW: { version: number; products: string[] }[];
  };
  assert.equal(VMX_KEY_SPECS.length, ref.keys.length);
  ref.keys.forEach((k, i) => {
    const ours = VMX_KEY_SPECS[i];
    assert.equal(ours.key, k.key);
    assert.equal(ours.description, k.description);
    assert.equal(ours.value.type, k.value.type, k.key);
    assert.deepEqual(ours.value.values, k.value.values, k.key);
    assert.equal(ours.value.min, k.value.min, k.key);
    assert.equal(ours.value.max, k.value.max, k.key);
    assert.equal(ours.value.multipleOf, k.value.multipleOf, k.key);
    assert.equal(ours.value.default, k.value.default === undefined ? undefined : String(k.value.default), k.key);
    assert.equal(ours.value.pattern, k.value.pattern, k.key);
  });
  assert.deepEqual(VMX_GUEST_OS.map((g) => [g.vmx, g.canonical, g.family, g.bits]), ref.guestOS.map((g) => [g.vmx, g.canonical, g.family, g.bits]));
  assert.deepEqual(VMX_VIRTUAL_HW.map((h) => [h.version, h.products]), ref.virtualHW.map((h) => [h.version, h.products]));
});

test('every spec pattern is reachable from a concrete key', () => {
  const concrete = (pattern: string): string[] =>
    pattern
      .split('|')
      .map((p, i, all) => (i === 0 || p.includes('.') ? p : all[0].slice(0, all[0].lastIndexOf('.') + 1) + p))
      .map((p) => p.replace('<device>', 'sound').replace(/N:M/, '1:2').replace(/N\./, '1.').replace(/N$/, '1').replace('.*', '.fileName'));
  for (const spec of VMX_KEY_SPECS) {
    for (const key of concrete(spec.key)) {
      assert.equal(specFor(key), spec, `${key} → ${spec.key}`);
      assert.equal(specFor(key.toUpperCase()), spec, `${key.toUpperCase()} (keys are case-insensitive)`);
    }
  }
  assert.equal(templateOf('pciBridge1:0.pxm'), 'pcibridgen:m.pxm');
  assert.ok(VMX_OBSERVED_KEYS.length > 200);
  assert.ok(isKnownKey('vmotion.checkpointFBSize') && isKnownKey('usb_xhci:4.deviceType'));
  assert.ok(!isKnownKey('ethernet0.virtualDevv'));
  // Every enum's own values pass its check, in any case.
  for (const spec of VMX_KEY_SPECS) {
    for (const v of spec.value.values ?? []) {
      if (v === '<integer>') continue;
      assert.equal(checkValue(spec.key, v.toLowerCase(), spec), undefined, `${spec.key} = ${v}`);
    }
  }
});
