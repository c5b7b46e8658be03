// Draws media/icon.png (128x128 RGBA) from shapes, with a minimal PNG encoder (zlib from node),
// so the marketplace icon is reproducible without image tools: `node scripts/make-icon.mjs`.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const SIZE = 128;
const SAMPLES = 4; // supersampling per axis, for smooth edges

/** Shapes painted in order; each is a coverage test on a point in icon units (0..128). */
const roundedRect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
/** A thick line segment (capsule). */
const stroke = (ax, ay, bx, by, w) => (x, y) => {
  const vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  const px = ax + t * vx - x, py = ay + t * vy - y;
  return px * px + py * py <= (w / 2) ** 2;
};

const LAYERS = [
  { color: [0x1b, 0x26, 0x3b], hit: roundedRect(4, 4, 124, 124, 22) }, // background
  { color: [0x2e, 0xc4, 0x8a], hit: stroke(26, 40, 52, 62, 11) }, // prompt chevron ">"
  { color: [0x2e, 0xc4, 0x8a], hit: stroke(52, 62, 26, 84, 11) },
  { color: [0xe8, 0xee, 0xf4], hit: roundedRect(60, 79, 96, 89, 4) }, // cursor "_"
  { color: [0x3a, 0x4d, 0x6b], hit: roundedRect(24, 100, 104, 106, 3) }, // network cable
  { color: [0x3a, 0x4d, 0x6b], hit: roundedRect(61, 89, 67, 104, 2) },
  { color: [0xe5, 0x1e, 0x3c], hit: circle(96, 34, 15) }, // breakpoint dot
];

function pixel(px, py) {
  const acc = [0, 0, 0, 0];
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = px + (sx + 0.5) / SAMPLES, y = py + (sy + 0.5) / SAMPLES;
      let rgba = [0, 0, 0, 0];
      for (const l of LAYERS) if (l.hit(x, y)) rgba = [...l.color, 255];
      for (let i = 0; i < 4; i++) acc[i] += rgba[i];
    }
  }
  const n = SAMPLES * SAMPLES, a = acc[3] / n;
  // Un-premultiply colour so edges don't darken.
  return a === 0 ? [0, 0, 0, 0] : [acc[0] / n * 255 / a, acc[1] / n * 255 / a, acc[2] / n * 255 / a, a].map(Math.round);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

const raw = Buffer.alloc(SIZE * (1 + SIZE * 4));
for (let y = 0; y < SIZE; y++) {
  raw[y * (1 + SIZE * 4)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) Buffer.from(pixel(x, y)).copy(raw, y * (1 + SIZE * 4) + 1 + x * 4);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0); ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync('media', { recursive: true });
writeFileSync('media/icon.png', png);
console.log(`media/icon.png: ${SIZE}x${SIZE}, ${png.length} bytes`);
