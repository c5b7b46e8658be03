/**
 * ARC paths as NTLDR reads them (KB Q102873, Q155222): `multi(W)disk(X)rdisk(Y)partition(Z)\dir`,
 * `scsi(...)`, `signature(8 hex)...`, `ramdisk(0)\dir`, and boot-sector/DOS-style `C:\...` entries.
 * Offsets are relative to the start of the path string.
 */

export type ArcPathKind = 'multi' | 'scsi' | 'signature' | 'ramdisk' | 'drive' | 'unknown';

export interface ArcComponent {
  name: string; // lower-case
  arg: string;
  start: number;
  end: number;
}

export interface ArcPathProblem {
  message: string;
  start: number;
  end: number;
  /** 'error' when NTLDR cannot boot it, 'warning' when it works but is fragile. */
  severity: 'error' | 'warning';
}

export interface ArcPath {
  kind: ArcPathKind;
  components: ArcComponent[];
  /** `\WINDOWS` etc. (with the leading backslash), or the file part of a drive path. */
  directory: string;
  problems: ArcPathProblem[];
}

/** The device sequence each controller type needs, and what each ordinal means. */
const DEVICE_SEQUENCES: Record<'multi' | 'scsi' | 'signature', readonly string[]> = {
  multi: ['multi', 'disk', 'rdisk', 'partition'],
  scsi: ['scsi', 'disk', 'rdisk', 'partition'],
  signature: ['signature', 'disk', 'rdisk', 'partition'],
};

export const COMPONENT_DOCS: Record<string, string> = {
  multi: 'multi(W): a disk the BIOS (INT 13h) can reach; W is the adapter ordinal, normally 0.',
  scsi: 'scsi(W): a disk reached through NTBOOTDD.SYS (a copy of the SCSI miniport in the system partition root); W is the ordinal among controllers of that driver.',
  signature: 'signature(XXXXXXXX): the disk with this 8-hex-digit MBR signature, through NTBOOTDD.SYS; Setup writes it when the boot partition is beyond INT 13h reach.',
  disk: 'disk(X): always 0 with multi(); with scsi()/signature() the SCSI target id (bus×32 + id).',
  rdisk: 'rdisk(Y): with multi() the BIOS disk ordinal (0 = first disk); with scsi() the LUN (almost always 0).',
  partition: 'partition(Z): partition number starting at 1 — primary partitions first, then logical drives; extended and empty entries are not counted.',
  ramdisk: 'ramdisk(0): the RAM disk loaded from /RDPATH= (XP Embedded SP1 / Server 2003 SP1, WinPE).',
};

const COMPONENT_RE = /^([A-Za-z]+)\(([^()]*)\)/;

function isDecimal(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function nonAscii(path: string, problems: ArcPathProblem[]): void {
  const m = /[^\x20-\x7e]/.exec(path);
  if (m) {
    problems.push({
      message: `The path contains the non-ASCII character "${m[0]}": NTLDR compares and opens paths as plain 8-bit text, so it will not find the directory. Use an ASCII name.`,
      start: m.index,
      end: m.index + 1,
      severity: 'warning',
    });
  }
}

export function parseArcPath(path: string): ArcPath {
  const result = parseArcPathUnclamped(path);
  // Keep every problem inside the path text (and at least one character wide when possible).
  for (const p of result.problems) {
    p.end = Math.min(Math.max(p.end, 0), path.length);
    p.start = Math.min(Math.max(p.start, 0), p.end);
    if (p.start === p.end && p.start > 0) p.start--;
  }
  return result;
}

function parseArcPathUnclamped(path: string): ArcPath {
  const problems: ArcPathProblem[] = [];
  const drive = /^([A-Za-z]):(\\.*)?$/.exec(path);
  if (drive) {
    if (drive[1].toUpperCase() !== 'C') {
      problems.push({
        message: `Boot-sector entries always use C: (even when NTLDR runs from another drive or a floppy); NTLDR does not look on ${drive[1]}:. Write C:${drive[2] ?? '\\'}.`,
        start: 0,
        end: 2,
        severity: 'warning',
      });
    }
    if (drive[2] === undefined) {
      problems.push({ message: 'A drive entry needs a backslash: write C:\\ (boots C:\\bootsect.dos) or C:\\<file>.', start: 0, end: path.length, severity: 'error' });
    }
    nonAscii(path, problems);
    return { kind: 'drive', components: [], directory: drive[2] ?? '', problems };
  }

  const components: ArcComponent[] = [];
  let pos = 0;
  for (;;) {
    const m = COMPONENT_RE.exec(path.slice(pos));
    if (!m) break;
    components.push({ name: m[1].toLowerCase(), arg: m[2], start: pos, end: pos + m[0].length });
    pos += m[0].length;
  }
  const rest = path.slice(pos);
  const first = components[0]?.name;

  if (!first) {
    problems.push({
      message: `"${path}" is not an ARC path: NTLDR expects multi(0)disk(0)rdisk(N)partition(N)\\<dir> (or scsi()/signature()/ramdisk(0), or C:\\ for a boot-sector entry), so this menu item cannot boot.`,
      start: 0,
      end: path.length,
      severity: 'error',
    });
    return { kind: 'unknown', components, directory: '', problems };
  }

  let kind: ArcPathKind;
  if (first === 'multi' || first === 'scsi' || first === 'signature') {
    kind = first;
    const want = DEVICE_SEQUENCES[first];
    for (let i = 0; i < want.length; i++) {
      const c = components[i];
      if (!c || c.name !== want[i]) {
        const at = c ?? { start: pos, end: path.length };
        problems.push({
          message: `Incomplete ARC path: after ${components
            .slice(0, i)
            .map((x) => `${x.name}(${x.arg})`)
            .join('')} NTLDR expects ${want
            .slice(i)
            .map((n) => `${n}(N)`)
            .join('')}\\<dir>; with ${c ? `${c.name}()` : `"${rest || 'nothing'}"`} it cannot find the boot disk ("could not read from the selected boot disk"). Write the full ${want.join('(N)')}(N)\\<dir> form.`,
          start: at.start,
          end: Math.max(at.end, at.start + 1),
          severity: 'error',
        });
        return { kind, components, directory: '', problems };
      }
    }
    if (components.length > want.length) {
      const c = components[want.length];
      problems.push({ message: `Unexpected ${c.name}() after partition(): NTLDR expects the system directory next and cannot boot this path. Remove ${c.name}() and end with \\<dir>, e.g. \\WINDOWS.`, start: c.start, end: c.end, severity: 'error' });
    }
    for (const c of components.slice(0, want.length)) checkOrdinal(kind, c, problems);
  } else if (first === 'ramdisk') {
    kind = 'ramdisk';
    const c = components[0];
    if (c.arg !== '0') problems.push({ message: 'Only ramdisk(0) exists: write ramdisk(0)\\<dir>.', start: c.start, end: c.end, severity: 'error' });
    if (components.length > 1) {
      const x = components[1];
      problems.push({ message: `Unexpected ${x.name}() after ramdisk(0): NTLDR expects \\<dir> next and cannot boot this path. Write ramdisk(0)\\<dir>.`, start: x.start, end: x.end, severity: 'error' });
    }
  } else {
    kind = 'unknown';
    const c = components[0];
    problems.push({
      message: `NTLDR on x86 only understands multi(), scsi(), signature() and ramdisk() devices, not ${c.name}(); this menu item cannot boot. Use multi(0)disk(0)rdisk(N)partition(N)\\<dir>.`,
      start: c.start,
      end: c.end,
      severity: 'error',
    });
    return { kind, components, directory: '', problems };
  }

  if (problems.some((p) => p.severity === 'error')) return { kind, components, directory: rest, problems };
  if (rest === '' || rest === '\\') {
    problems.push({
      message: 'The ARC path names no system directory: NTLDR then looks for \\system32\\ntoskrnl.exe in the partition root and fails. Append the Windows directory, e.g. \\WINDOWS (XP/2003) or \\WINNT (NT4/2000).',
      start: pos,
      end: path.length || 1,
      severity: 'error',
    });
  } else if (!rest.startsWith('\\')) {
    problems.push({
      message: `After the device NTLDR expects \\<dir>, not "${rest}": it cannot find the system directory. Write e.g. \\WINDOWS.`,
      start: pos,
      end: path.length,
      severity: 'error',
    });
  }
  nonAscii(path, problems);
  return { kind, components, directory: rest, problems };
}

function checkOrdinal(kind: ArcPathKind, c: ArcComponent, problems: ArcPathProblem[]): void {
  if (c.name === 'signature') {
    if (!/^[0-9A-Fa-f]{1,8}$/.test(c.arg)) {
      problems.push({ message: `signature() takes the disk's MBR signature as up to 8 hex digits, not "${c.arg}"; NTLDR finds no such disk. Write the signature shown by the disk tools, e.g. signature(8b5a2c10).`, start: c.start, end: c.end, severity: 'error' });
    }
    return;
  }
  if (!isDecimal(c.arg)) {
    problems.push({ message: `${c.name}() takes a decimal number, not "${c.arg}"; NTLDR cannot open this device. Write a number, e.g. ${c.name}(${c.name === 'partition' ? 1 : 0}).`, start: c.start, end: c.end, severity: 'error' });
    return;
  }
  const n = Number(c.arg);
  if (c.name === 'partition' && n === 0) {
    problems.push({
      message: 'Partition numbers start at 1 (partition(0) is the whole disk): NTLDR cannot find the system directory there. Use partition(1) for the first primary partition.',
      start: c.start,
      end: c.end,
      severity: 'error',
    });
  }
  if (c.name === 'disk' && kind === 'multi' && n !== 0) {
    problems.push({
      message: `With multi() disk() is always 0 (the BIOS disk is chosen by rdisk()); disk(${n}) makes NTLDR fail with "could not read from the selected boot disk". Write disk(0)rdisk(${n}) if you meant the ${ordinal(n + 1)} disk.`,
      start: c.start,
      end: c.end,
      severity: 'error',
    });
  }
}

function ordinal(n: number): string {
  return n === 1 ? 'first' : n === 2 ? 'second' : n === 3 ? 'third' : `#${n}`;
}
