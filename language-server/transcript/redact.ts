/**
 * Redaction for sharing transcripts on public mailing lists: CHAP and reverse-CHAP secrets always,
 * CHAP user names on request. Pure: text in, text out, line breaks and everything else untouched.
 *
 * Where secrets show up in what people paste:
 * - sanbootconf's iBFT dump "  CHAP secret = …" / "  Reverse CHAP secret = …" (newer versions
 *   print "<omitted>"; older ones and other decoders print the secret),
 * - iPXE scripts / console: "set password …", "set reverse-password …" (names: username,
 *   reverse-username), also the "${…}" form in "iscsi:" root paths built from settings,
 * - iSCSI login text keys in traces: CHAP_R / CHAP_C (response and challenge allow an offline
 *   dictionary attack on the secret) and CHAP_N (the name),
 * - Linux-side logs pasted along: open-iscsi `node.session.auth.password = …`, tgtadm
 *   `--password …`, /sys/firmware/ibft `chap-secret`,
 * - generic "chap secret: …", "CHAPSecret=…", "mutual chap password = …" and URL credentials.
 */

export interface RedactOptions {
  /** Also replace CHAP and reverse-CHAP user names. Default false. */
  names?: boolean;
  /** Replacement text. Default "<redacted>". */
  marker?: string;
}

export interface RedactResult {
  text: string;
  /** How many values were replaced, by kind. */
  secrets: number;
  names: number;
}

interface RedactRule {
  kind: 'secret' | 'name';
  /** Group 1: kept prefix (key and separator); group 2: the value to replace. */
  re: RegExp;
}

/** Values that are not secrets even where a secret would be (nothing to hide). */
const NOT_A_VALUE = /^(?:<omitted>|<redacted>|<none>|\(none\)|none|\(null\)|"")$/i;

const RULES: readonly RedactRule[] = [
  // sanbootconf / iBFT decoders: "  CHAP secret = x", "  Reverse CHAP secret = x"
  // (not anchored at the line start: in a raw serial capture KD framing bytes precede the text)
  { kind: 'secret', re: /(\b(?:Reverse[^\S\r\n]+|Mutual[^\S\r\n]+)?CHAP[^\S\r\n]+(?:secret|password)[^\S\r\n]*[=:][^\S\r\n]*)([^\r\n]*?)[^\S\r\n]*$/gim },
  { kind: 'name', re: /(\b(?:Reverse[^\S\r\n]+|Mutual[^\S\r\n]+)?CHAP[^\S\r\n]+(?:name|user(?:name)?|id)[^\S\r\n]*[=:][^\S\r\n]*)([^\r\n]*?)[^\S\r\n]*$/gim },
  // iPXE: "set password x", "set reverse-password x", "set username x", "set reverse-username x"
  { kind: 'secret', re: /(\bset[^\S\r\n]+(?:reverse-)?password[^\S\r\n]+)([^\r\n]*?)[^\S\r\n]*$/gim },
  { kind: 'name', re: /(\bset[^\S\r\n]+(?:reverse-)?username[^\S\r\n]+)([^\r\n]*?)[^\S\r\n]*$/gim },
  // iSCSI login keys: CHAP_R=0x…, CHAP_C=0x… (secrets), CHAP_N=name
  { kind: 'secret', re: /(\bCHAP_[RC][^\S\r\n]*=[^\S\r\n]*)([^\s,;"']+)/g },
  { kind: 'name', re: /(\bCHAP_N[^\S\r\n]*=[^\S\r\n]*)([^\s,;"']+)/g },
  // key=value / key: value forms anywhere on a line: CHAPSecret=…, chap_secret: …, RCHAPSecret …
  {
    kind: 'secret',
    re: /(\b(?:reverse[-_ ]?|mutual[-_ ]?|target[-_ ]?|initiator[-_ ]?|r)?chap[-_ ]?(?:secret|password|passwd)\b["']?[^\S\r\n]*[=:][^\S\r\n]*["']?)([^\s"',;]+)/gi,
  },
  {
    kind: 'name',
    re: /(\b(?:reverse[-_ ]?|mutual[-_ ]?|target[-_ ]?|initiator[-_ ]?|r)?chap[-_ ]?(?:name|username|user|id)\b["']?[^\S\r\n]*[=:][^\S\r\n]*["']?)([^\s"',;]+)/gi,
  },
  // open-iscsi (iscsiadm / iscsid.conf): node.session.auth.password[_in] = …, username[_in] = …
  { kind: 'secret', re: /(\b(?:node\.session|discovery\.sendtargets)\.auth\.password(?:_in)?[^\S\r\n]*=[^\S\r\n]*)([^\s]+)/g },
  { kind: 'name', re: /(\b(?:node\.session|discovery\.sendtargets)\.auth\.username(?:_in)?[^\S\r\n]*=[^\S\r\n]*)([^\s]+)/g },
  // tgtadm accounts: --password …, --user …
  { kind: 'secret', re: /(\btgtadm\b[^\r\n]*?--password[^\S\r\n]+)([^\s]+)/g },
  { kind: 'name', re: /(\btgtadm\b[^\r\n]*?--user[^\S\r\n]+)([^\s]+)/g },
  // URL credentials: scheme://user:password@host
  { kind: 'secret', re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(?=@)/gi },
];

export function redactTranscript(text: string, options: RedactOptions = {}): RedactResult {
  const marker = options.marker ?? '<redacted>';
  let secrets = 0;
  let names = 0;
  let out = text;
  for (const rule of RULES) {
    if (rule.kind === 'name' && !options.names) continue;
    out = out.replace(rule.re, (whole: string, prefix: string, value: string) => {
      if (value.length === 0 || NOT_A_VALUE.test(value.trim()) || value === marker) return whole;
      if (rule.kind === 'secret') secrets++;
      else names++;
      return whole.replace(prefix + value, () => prefix + marker);
    });
  }
  return { text: out, secrets, names };
}

/** The file name for a shared copy: "boot.kdlog" → "boot.redacted.kdlog". */
export function redactedFileName(fileName: string): string {
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(fileName);
  const base = m?.[1] ?? fileName;
  const ext = m?.[2] ?? '';
  if (base.length === 0) return `${fileName}.redacted`;
  return `${base}.redacted${ext}`;
}
