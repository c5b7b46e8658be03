/**
 * A tolerant reader for saved Sysinternals LoadOrd listings (the boot-driver load order people
 * save before imaging a disk for iSCSI boot).
 *
 * Accepted format (one driver per line, in load order; see test/fixtures/transcripts/loadord/):
 * - Columns separated by TABs (LoadOrd's copy/save), by two or more spaces (LoadOrdC console
 *   output, aligned columns) or by commas (CSV, optionally quoted).
 * - An optional header line names the columns, case-insensitive: `Start`, `Group`, `Tag`, `Name`
 *   (or `Service`), `Driver` (or `Path`/`Image`/`ImagePath`); extra columns are ignored. Without a
 *   header the order is LoadOrd's: Start, Group, Tag, Name, Driver.
 * - Start: `BOOT`/`SYSTEM`/`AUTO`/`DEMAND` (`MANUAL`)/`DISABLED`, their numbers 0–4, or the
 *   `SERVICE_BOOT_START` style names, any case. Tag: a number, `-` or empty.
 * - Blank lines, separator lines (`----`, `====`) and banner lines (`LoadOrd v…`, copyright,
 *   Sysinternals URLs) are skipped; anything else that does not look like a row is reported.
 */

export type StartType = 'boot' | 'system' | 'auto' | 'demand' | 'disabled';

export const START_TYPES: readonly StartType[] = ['boot', 'system', 'auto', 'demand', 'disabled'];

export type ColumnKey = 'start' | 'group' | 'tag' | 'name' | 'driver';

export interface LoadOrdRow {
  /** 0-based line in the document. */
  line: number;
  /** Position in load order among the rows (0 = first loaded). */
  order: number;
  start?: StartType;
  /** The start column as written (for messages when it is not understood). */
  startText: string;
  group: string;
  tag?: number;
  name: string;
  driver: string;
  /** Column ranges in the line, for diagnostics on a single cell. */
  cells: Partial<Record<ColumnKey, { start: number; end: number }>>;
}

export interface LoadOrdListing {
  rows: LoadOrdRow[];
  headerLine?: number;
  columns: ColumnKey[];
  /** Lines that were neither rows, header, blank nor banner. */
  unparsed: Array<{ line: number; text: string }>;
}

const DEFAULT_COLUMNS: readonly ColumnKey[] = ['start', 'group', 'tag', 'name', 'driver'];

const HEADER_WORDS: Readonly<Record<string, ColumnKey>> = {
  start: 'start',
  'start type': 'start',
  starttype: 'start',
  group: 'group',
  'load order group': 'group',
  tag: 'tag',
  name: 'name',
  service: 'name',
  'service name': 'name',
  driver: 'driver',
  path: 'driver',
  image: 'driver',
  imagepath: 'driver',
  'image path': 'driver',
};

const START_WORDS: Readonly<Record<string, StartType>> = {
  boot: 'boot',
  '0': 'boot',
  service_boot_start: 'boot',
  boot_start: 'boot',
  system: 'system',
  '1': 'system',
  service_system_start: 'system',
  system_start: 'system',
  auto: 'auto',
  automatic: 'auto',
  '2': 'auto',
  service_auto_start: 'auto',
  auto_start: 'auto',
  demand: 'demand',
  manual: 'demand',
  '3': 'demand',
  service_demand_start: 'demand',
  demand_start: 'demand',
  disabled: 'disabled',
  '4': 'disabled',
  service_disabled: 'disabled',
};

export function parseStart(text: string): StartType | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, '_');
  return START_WORDS[t] ?? START_WORDS[t.replace(/^(\d)\b.*$/, '$1')];
}

const BANNER = /^(?:loadord(?:c)?\b|sysinternals|copyright|\(c\)|www\.|https?:\/\/|driver load order|loading order)/i;
const SEPARATOR = /^[\s\-=_*+|]+$/;

interface Cell {
  text: string;
  start: number;
  end: number;
}

/** Splits a line into cells with their positions: TABs, then CSV, then runs of 2+ spaces. */
function splitCells(line: string): Cell[] {
  const cells: Cell[] = [];
  if (line.includes('\t')) {
    let pos = 0;
    for (const part of line.split('\t')) {
      cells.push(trimCell(part, pos));
      pos += part.length + 1;
    }
    return cells;
  }
  if (/^[^,]*(?:,[^,]*){3,}$/.test(line) || /^\s*"[^"]*"\s*,/.test(line)) return splitCsv(line);
  const re = /\S(?:.*?\S)??(?=\s{2,}|\s*$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) cells.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return cells;
}

/** One CSV line: fields separated by commas, optionally in double quotes ("" = a quote). */
function splitCsv(line: string): Cell[] {
  const cells: Cell[] = [];
  let i = 0;
  while (i <= line.length) {
    while (i < line.length && line[i] === ' ') i++;
    let text = '';
    let start = i;
    if (line[i] === '"') {
      start = i + 1;
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          text += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else text += line[i++];
      }
      while (i < line.length && line[i] !== ',') i++;
    } else {
      while (i < line.length && line[i] !== ',') text += line[i++];
    }
    const trimmed = text.trim();
    cells.push({ text: trimmed, start, end: start + trimmed.length });
    i++; // the comma (or past the end)
  }
  return cells;
}

function trimCell(part: string, pos: number): Cell {
  const lead = part.length - part.trimStart().length;
  const text = part.trim();
  return { text, start: pos + lead, end: pos + lead + text.length };
}

function headerColumns(cells: Cell[]): ColumnKey[] | undefined {
  const keys = cells.map((c) => HEADER_WORDS[c.text.toLowerCase().replace(/[:#]/g, '').trim()]);
  const known = keys.filter((k) => k !== undefined);
  if (known.length < 3 || !keys.includes('name') && !keys.includes('driver')) return undefined;
  return keys.map((k) => k ?? ('' as ColumnKey));
}

/**
 * Space-aligned output with an empty cell (no tag) has fewer cells than columns: place each cell
 * under the header column whose start is nearest.
 */
function alignToHeader(cells: Cell[], headerCells: Cell[]): Array<Cell | undefined> {
  const out: Array<Cell | undefined> = new Array(headerCells.length).fill(undefined);
  for (const c of cells) {
    let best = 0;
    for (let i = 0; i < headerCells.length; i++) {
      if (Math.abs(headerCells[i].start - c.start) < Math.abs(headerCells[best].start - c.start)) best = i;
    }
    if (out[best] === undefined) out[best] = c;
    else {
      const free = out.findIndex((x, i) => x === undefined && i > best);
      if (free >= 0) out[free] = c;
    }
  }
  return out;
}

export function parseLoadOrd(text: string): LoadOrdListing {
  const lines = text.split(/\r\n|\n|\r/);
  const listing: LoadOrdListing = { rows: [], columns: [...DEFAULT_COLUMNS], unparsed: [] };
  let headerCells: Cell[] | undefined;
  for (let line = 0; line < lines.length; line++) {
    // eslint-disable-next-line no-control-regex
    const raw = lines[line].replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/g, ' ');
    if (raw.trim().length === 0 || SEPARATOR.test(raw)) continue;
    if (BANNER.test(raw.trim())) continue;
    const cells = splitCells(raw).slice(0, 16);
    if (listing.headerLine === undefined && listing.rows.length === 0) {
      const cols = headerColumns(cells);
      if (cols) {
        listing.headerLine = line;
        listing.columns = cols;
        headerCells = cells;
        continue;
      }
    }
    const placed: Array<Cell | undefined> =
      headerCells && !raw.includes('\t') && !raw.includes(',') && cells.length < listing.columns.length ? alignToHeader(cells, headerCells) : cells;
    const get = (key: ColumnKey): Cell | undefined => {
      const i = listing.columns.indexOf(key);
      return i >= 0 ? placed[i] : undefined;
    };
    const startCell = get('start');
    const nameCell = get('name');
    const driverCell = get('driver');
    const start = startCell ? parseStart(startCell.text) : undefined;
    // A row needs a name or a driver file, and either a known start type or a driver path.
    const looksLikeDriver = driverCell !== undefined && /\.(sys|dll|exe)\b|\\|\//i.test(driverCell.text);
    if ((!nameCell && !driverCell) || (start === undefined && !looksLikeDriver)) {
      listing.unparsed.push({ line, text: raw.trim() });
      continue;
    }
    const tagText = get('tag')?.text ?? '';
    const cellsOut: LoadOrdRow['cells'] = {};
    for (const key of listing.columns) {
      const c = key ? get(key) : undefined;
      if (c) cellsOut[key] = { start: c.start, end: c.end };
    }
    listing.rows.push({
      line,
      order: listing.rows.length,
      start,
      startText: startCell?.text ?? '',
      group: get('group')?.text ?? '',
      tag: /^\d+$/.test(tagText) ? Number(tagText) : undefined,
      name: nameCell?.text ?? driverBaseName(driverCell?.text ?? ''),
      driver: driverCell?.text ?? '',
      cells: cellsOut,
    });
  }
  return listing;
}

/** "\SystemRoot\System32\DRIVERS\tcpip.sys" → "tcpip" */
export function driverBaseName(driver: string): string {
  const file = driver.replace(/^.*[\\/]/, '');
  return file.replace(/\.(sys|dll|exe)$/i, '');
}
