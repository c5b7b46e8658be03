/**
 * Which output section a line of a GNU as source belongs to, read from the source's own
 * `.section`/`.text`/`.data`/`.pushsection`/`.popsection`/`.previous` directives.
 *
 * iPXE links every section at VMA 0, so a DWARF line address alone is ambiguous (0x7 is code in
 * .prefix and in .text16); the directives in the .S file say which section the line is in.
 */
import { readFileSync } from 'node:fs';

const DIRECTIVES: { re: RegExp; apply(m: RegExpExecArray, st: SectionState): void }[] = [
  { re: /^\s*\.section\s+"?([.\w$-]+)"?/, apply: (m, st) => st.switchTo(m[1]) },
  { re: /^\s*\.pushsection\s+"?([.\w$-]+)"?/, apply: (m, st) => st.push(m[1]) },
  { re: /^\s*\.popsection\b/, apply: (_m, st) => st.pop() },
  { re: /^\s*\.previous\b/, apply: (_m, st) => st.previousSection() },
  { re: /^\s*\.(text|data|bss)\b/, apply: (m, st) => st.switchTo(`.${m[1]}`) },
];

class SectionState {
  current: string | undefined = '.text';
  private previous: string | undefined;
  private readonly stack: (string | undefined)[] = [];
  switchTo(name: string): void {
    this.previous = this.current;
    this.current = name;
  }
  push(name: string): void {
    this.stack.push(this.current);
    this.switchTo(name);
  }
  pop(): void {
    if (this.stack.length) this.switchTo(this.stack.pop()!);
  }
  previousSection(): void {
    const p = this.previous;
    this.previous = this.current;
    this.current = p;
  }
}

/** Section for each 1-based line (index 0 unused). */
export function sectionsByLine(text: string): (string | undefined)[] {
  const st = new SectionState();
  const out: (string | undefined)[] = [undefined];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\*.*?\*\//g, '').replace(/[#;].*$/, (c) => (c.startsWith('#') && /^#\s*\d/.test(c) ? '' : c.startsWith(';') ? '' : c));
    for (const d of DIRECTIVES) {
      const m = d.re.exec(line);
      if (m) {
        d.apply(m, st);
        break;
      }
    }
    out.push(st.current);
  }
  return out;
}

const cache = new Map<string, (string | undefined)[] | null>();

/** Section of `path:line`, or undefined when the file cannot be read or is not assembly. */
export function asmSectionAt(path: string, line: number): string | undefined {
  if (!/\.(S|s|asm|inc)$/.test(path)) return undefined;
  let table = cache.get(path);
  if (table === undefined) {
    try {
      table = sectionsByLine(readFileSync(path, 'utf8'));
    } catch {
      table = null;
    }
    cache.set(path, table);
  }
  return table?.[line];
}
