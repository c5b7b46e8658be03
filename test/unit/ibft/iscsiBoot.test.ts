/**
 * `media: "iscsi"` launch configuration: validation messages, the generated #!ipxe script, and the
 * QEMU command line (loopback-only forward under restrict=on, no NIC ROM, TCG, no -net none).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseGdbConfig, DEFAULT_SECTION_BASES } from '../../../adapter/gdb/gdbConfig';
import { buildQemuArgs } from '../../../adapter/gdb/qemuLauncher';
import { ipxeScript, parseIscsiConfig, sanbootUri, writeIpxeScript, DEFAULT_IPXE_KERNEL } from '../../../adapter/ibft/iscsiBoot';
import { ConfigError } from '../../../adapter/target/target';

const IQN = 'iqn.2026-11.test.bootdbg:disk1';

function configError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ConfigError && re.test(e.message));
}

describe('media "iscsi" configuration', () => {
  it('defaults: loopback portal 3260, LUN 1, an initiator IQN', () => {
    const c = parseIscsiConfig({ targetIqn: IQN });
    assert.deepEqual(c, { portalHost: '127.0.0.1', portalPort: 3260, targetIqn: IQN, lun: 1, initiatorIqn: 'iqn.2010-04.org.ipxe:bootdbg', username: undefined, password: undefined, reverseUsername: undefined, reversePassword: undefined });
    assert.equal(sanbootUri(c), `iscsi:10.0.2.100::3260:1:${IQN}`);
  });

  it('clear errors for every mistake', () => {
    configError(() => parseIscsiConfig(undefined), /"media": "iscsi" needs "iscsi": \{ "targetIqn"/);
    configError(() => parseIscsiConfig({}), /"iscsi\.targetIqn" is required/);
    configError(() => parseIscsiConfig({ targetIqn: 'disk1' }), /"iscsi\.targetIqn" "disk1" is not an iSCSI name/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, portal: '192.168.1.10:3260' }), /must be on loopback \(127\.0\.0\.1\)/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, portal: '127.0.0.1' }), /must be host:port/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, portal: '127.0.0.1:70000' }), /must be host:port/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, lun: -1 }), /"iscsi\.lun" must be an integer/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, lun: '1' }), /"iscsi\.lun" must be an integer/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, username: 'u' }), /go together/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, reverseUsername: 'r', reversePassword: 'p' }), /mutual CHAP .* needs one-way CHAP/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, username: 'u', password: 'x\nshell' }), /control characters or line breaks/);
    configError(() => parseIscsiConfig({ targetIqn: IQN, target: '1' }), /unknown attribute "iscsi\.target"; known: portal, targetIqn/);
  });

  it('the #!ipxe script: dhcp, initiator, CHAP, sanboot through the forward', () => {
    const c = parseIscsiConfig({ targetIqn: IQN, portal: 'localhost:13260', lun: 2, initiatorIqn: 'iqn.2026-11.test.bootdbg:i1', username: 'u', password: 'p w', reverseUsername: 'r', reversePassword: 'q' });
    assert.equal(
      ipxeScript(c),
      ['#!ipxe', 'dhcp net0', 'set initiator-iqn iqn.2026-11.test.bootdbg:i1', 'set username u', 'set password p w', 'set reverse-username r', 'set reverse-password q', `sanboot iscsi:10.0.2.100::13260:2:${IQN}`, ''].join('\n'),
    );
    const file = writeIpxeScript(c);
    try {
      assert.equal(readFileSync(file.path, 'utf8'), ipxeScript(c));
      assert.equal(statSync(file.path).mode & 0o777, 0o600, 'CHAP secrets are not world-readable');
    } finally {
      file.dispose();
    }
    assert.equal(existsSync(file.path), false);
  });

  it('gdb-remote launch: ipxe.lkrn by default, QEMU args loopback-only', () => {
    const cfg = parseGdbConfig({ request: 'launch', media: 'iscsi', iscsi: { targetIqn: IQN, portal: '127.0.0.1:13260' } }, '/');
    assert.equal(cfg.request, 'launch');
    if (cfg.request !== 'launch') return;
    assert.equal(cfg.image, DEFAULT_IPXE_KERNEL);
    assert.equal(cfg.iscsi?.portalPort, 13260);
    const args = buildQemuArgs(cfg, 'tcp:127.0.0.1:1234', '/tmp/boot.ipxe');
    const joined = args.join(' ');
    assert.match(joined, /-kernel \/usr\/lib\/ipxe\/ipxe\.lkrn/);
    assert.match(joined, /-initrd \/tmp\/boot\.ipxe/);
    assert.match(joined, /-netdev user,id=n0,restrict=on,guestfwd=tcp:10\.0\.2\.100:13260-tcp:127\.0\.0\.1:13260/);
    assert.ok(args.includes('e1000,netdev=n0,romfile='), 'no NIC option ROM in the way');
    assert.match(joined, /-machine pc,accel=tcg/);
    assert.doesNotMatch(joined, /-net none/);
    assert.deepEqual(DEFAULT_SECTION_BASES.iscsi['.text'], [0x7c00n]);
  });

  it('gdb-remote launch errors', () => {
    configError(() => parseGdbConfig({ request: 'launch', media: 'iscsi' }, '/'), /needs "iscsi"/);
    configError(() => parseGdbConfig({ request: 'launch', media: 'floppy', image: '/etc/hostname', iscsi: { targetIqn: IQN } }, '/'), /"iscsi" is only used with "media": "iscsi"/);
    configError(() => parseGdbConfig({ request: 'launch', media: 'iscsi', image: '/nonexistent/ipxe.lkrn', iscsi: { targetIqn: IQN } }, '/'), /boots iPXE from \/nonexistent\/ipxe\.lkrn, which does not exist/);
  });
});
