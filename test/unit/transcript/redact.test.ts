import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';
import { redactedFileName, redactTranscript } from '../../../language-server/transcript/redact';
import { fixture } from './fixtures';

const SECRETS = ['s3cr3t-Forward!', 'an0ther Secret', '0x1f2e3d4c5b6a7988', '0x9a8b7c6d5e4f3021'];
const NAMES = ['alice-initiator', 'bob-target'];

describe('redaction', () => {
  const text = fixture('mutual-chap-secrets.kdlog');

  it('removes every CHAP and reverse-CHAP secret by default and keeps names', () => {
    const r = redactTranscript(text);
    for (const s of SECRETS) assert.ok(!r.text.includes(s), `secret left: ${s}`);
    assert.ok(r.text.includes('alice-initiator'));
    assert.ok(r.text.includes('bob-target'));
    assert.equal(r.secrets, 7);
    assert.equal(r.names, 0);
    assert.match(r.text, /^ {2}CHAP secret = <redacted>$/m);
    assert.match(r.text, /^ {2}Reverse CHAP secret = <redacted>$/m);
    assert.match(r.text, /set reverse-password <redacted>$/m);
  });

  it('removes names too when asked', () => {
    const r = redactTranscript(text, { names: true });
    for (const s of [...SECRETS, ...NAMES]) assert.ok(!r.text.includes(s), `left: ${s}`);
    assert.equal(r.names, 5);
  });

  it('changes nothing else: same lines, same line breaks, the report still builds', () => {
    const crlf = text.replace(/\n/g, '\r\n');
    const r = redactTranscript(crlf, { names: true });
    assert.equal(r.text.split('\r\n').length, crlf.split('\r\n').length);
    const before = crlf.split('\r\n');
    const after = r.text.split('\r\n');
    const changed = before.filter((l, i) => l !== after[i]).length;
    assert.equal(changed, 10);
    const rep = buildReport(r.text);
    assert.equal(rep.targets[0].chapType, 'mutual');
    assert.equal(rep.targets[0].hasChapSecret, true);
    assert.equal(rep.targets[0].iqn, 'iqn.2026-11.test.bootdbg:disk1');
  });

  it('leaves "<omitted>" and empty secrets alone and is idempotent', () => {
    const t = '  CHAP secret = <omitted>\n  CHAP secret = \n  Reverse CHAP secret = <omitted>\n';
    assert.deepEqual(redactTranscript(t), { text: t, secrets: 0, names: 0 });
    const once = redactTranscript(text, { names: true }).text;
    assert.deepEqual(redactTranscript(once, { names: true }), { text: once, secrets: 0, names: 0 });
  });

  it('URL credentials and key=value forms', () => {
    const r = redactTranscript('root-path http://admin:hunter2@10.0.2.2/boot\nchap_secret: abc123\nRCHAPSecret=xyz\n');
    assert.ok(!/hunter2|abc123|xyz/.test(r.text), r.text);
    assert.equal(r.secrets, 3);
  });

  it('Linux-side logs pasted along: open-iscsi, tgtadm, the ibft sysfs dump', () => {
    const t = [
      'node.session.auth.username = alice',
      'node.session.auth.password = hunter2',
      'node.session.auth.password_in = back2you',
      'tgtadm --lld iscsi --op new --mode account --user alice --password t0ps3cret',
      '/sys/firmware/ibft/target0/chap-secret: s1s1s1',
      '/sys/firmware/ibft/target0/rev-chap-secret: r2r2r2',
    ].join('\n');
    const r = redactTranscript(t);
    assert.ok(!/hunter2|back2you|t0ps3cret|s1s1s1|r2r2r2/.test(r.text), r.text);
    assert.ok(r.text.includes('alice'));
    assert.equal(r.secrets, 5);
    const n = redactTranscript(t, { names: true });
    assert.ok(!n.text.includes('alice'), n.text);
    assert.equal(n.names, 2);
  });

  it('secrets inside KD-framed lines of a raw serial capture, spaces included', () => {
    const framed = 'ª0000\u0003\u0000\u001e\u0000\u0001\u0000\u00ad\u0004\u0000\u000002\u0000\u0000  Reverse CHAP secret = an0ther Secret\n';
    const r = redactTranscript(framed);
    assert.ok(!/an0ther|Secret\n/.test(r.text), JSON.stringify(r.text));
    assert.equal(r.secrets, 1);
    assert.ok(r.text.startsWith('ª0000\u0003'));
  });

  it('secret-free transcripts come back unchanged', () => {
    const t = fixture('sanbootconf-success.kdlog');
    assert.equal(redactTranscript(t, { names: true }).text, t);
  });

  it('names the shared copy', () => {
    assert.equal(redactedFileName('boot.kdlog'), 'boot.redacted.kdlog');
    assert.equal(redactedFileName('capture'), 'capture.redacted');
    assert.equal(redactedFileName('a.b.log'), 'a.b.redacted.log');
  });
});
