/**
 * WinDbg-style (MASM) expressions for the Watch/Debug Console: hex by default (`0x` optional,
 * `0n` for decimal), registers (`$eax`, `@eax`, `eax`), `poi(addr)` (pointer-sized read),
 * `module!symbol`, bare module names (their base), + - * / and parentheses.
 */

export interface ExpressionEnv {
  /** Register value, or undefined when `name` is not a register. */
  register(name: string): bigint | undefined;
  /** Reads a pointer-sized value; throws when unreadable. */
  readPointer(address: bigint): Promise<bigint>;
  /** Address of `module!symbol` or of a module, undefined when unknown. */
  symbol(name: string): Promise<bigint | undefined>;
  /** Pointer width in bits (32 on x86): results wrap to it. */
  bits: 32 | 64;
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token = { kind: 'num'; value: bigint } | { kind: 'reg'; name: string } | { kind: 'ident'; text: string } | { kind: 'op'; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ('+-*/()'.includes(c)) {
      out.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    if (c === '$' || c === '@') {
      const m = /^[$@]{1,2}([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
      if (!m) throw new ExpressionError(`expected a register name after '${c}' at column ${i + 1}`);
      out.push({ kind: 'reg', name: m[1].toLowerCase() });
      i += m[0].length;
      continue;
    }
    const num = /^(0x[0-9a-fA-F`]+|0n[0-9]+|0t[0-7]+|0y[01]+)/.exec(src.slice(i));
    if (num) {
      const t = num[1].replace(/`/g, '');
      const radix = t[1] === 'x' ? 16 : t[1] === 'n' ? 10 : t[1] === 't' ? 8 : 2;
      out.push({ kind: 'num', value: parseRadix(t.slice(2), radix) });
      i += num[1].length;
      continue;
    }
    const word = /^[A-Za-z0-9_.`]+(![A-Za-z0-9_@?$.]+)?/.exec(src.slice(i));
    if (word) {
      out.push({ kind: 'ident', text: word[0] });
      i += word[0].length;
      continue;
    }
    throw new ExpressionError(`unexpected '${c}' at column ${i + 1}`);
  }
  return out;
}

function parseRadix(digits: string, radix: number): bigint {
  let v = 0n;
  for (const d of digits) v = v * BigInt(radix) + BigInt(parseInt(d, radix));
  return v;
}

/** Evaluates `expr`; throws ExpressionError with a message for the user. */
export async function evaluateExpression(expr: string, env: ExpressionEnv): Promise<bigint> {
  const toks = tokenize(expr);
  if (toks.length === 0) throw new ExpressionError('empty expression');
  let pos = 0;
  const wrap = (v: bigint): bigint => BigInt.asUintN(env.bits, v);
  const peekOp = (t: string): boolean => pos < toks.length && toks[pos].kind === 'op' && (toks[pos] as { text: string }).text === t;
  const expectOp = (t: string): void => {
    if (!peekOp(t)) throw new ExpressionError(`expected '${t}'`);
    pos++;
  };

  async function parseSum(): Promise<bigint> {
    let v = await parseProduct();
    while (peekOp('+') || peekOp('-')) {
      const op = (toks[pos++] as { text: string }).text;
      const r = await parseProduct();
      v = wrap(op === '+' ? v + r : v - r);
    }
    return v;
  }
  async function parseProduct(): Promise<bigint> {
    let v = await parseUnary();
    while (peekOp('*') || peekOp('/')) {
      const op = (toks[pos++] as { text: string }).text;
      const r = await parseUnary();
      if (op === '/' && r === 0n) throw new ExpressionError('division by zero');
      v = wrap(op === '*' ? v * r : v / r);
    }
    return v;
  }
  async function parseUnary(): Promise<bigint> {
    if (peekOp('-')) {
      pos++;
      return wrap(-(await parseUnary()));
    }
    if (peekOp('+')) {
      pos++;
      return parseUnary();
    }
    return parsePrimary();
  }
  async function parsePrimary(): Promise<bigint> {
    const t = toks[pos];
    if (!t) throw new ExpressionError('unexpected end of expression');
    pos++;
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op') {
      if (t.text !== '(') throw new ExpressionError(`unexpected '${t.text}'`);
      const v = await parseSum();
      expectOp(')');
      return v;
    }
    if (t.kind === 'reg') {
      const v = env.register(t.name);
      if (v === undefined) throw new ExpressionError(`unknown register $${t.name}`);
      return v;
    }
    const text = t.text;
    const lower = text.toLowerCase();
    if ((lower === 'poi' || lower === 'dwo' || lower === 'by' || lower === 'wo') && peekOp('(')) {
      pos++;
      const addr = await parseSum();
      expectOp(')');
      const v = await env.readPointer(addr);
      const mask: Record<string, number> = { poi: env.bits, dwo: 32, wo: 16, by: 8 };
      return BigInt.asUintN(mask[lower], v);
    }
    if (text.includes('!')) {
      const a = await env.symbol(text);
      if (a === undefined) throw new ExpressionError(`unknown symbol ${text}`);
      return a;
    }
    const reg = env.register(lower);
    if (reg !== undefined) return reg;
    if (/^[0-9a-fA-F`]+$/.test(text)) return parseRadix(text.replace(/`/g, ''), 16);
    const mod = await env.symbol(text);
    if (mod !== undefined) return mod;
    throw new ExpressionError(`cannot evaluate '${text}': not a number, register, module or module!symbol`);
  }

  const v = await parseSum();
  if (pos !== toks.length) throw new ExpressionError(`unexpected text after the expression: '${expr.slice(0).trim()}'`);
  return wrap(v);
}
