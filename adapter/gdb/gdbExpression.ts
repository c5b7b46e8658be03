/**
 * The Watch/Debug Console expression language of the gdb-remote debugger:
 *   `$eax` `$ax` `$al` `$cs` `$eflags` `$cr0` (registers, `$` optional for register names),
 *   `07c0:0005`, `$ds:$si`, `cs:ip` (segment:offset → linear address),
 *   `*(u8*)addr`, `*(u16*)addr`, `*(u32*)addr` (memory),
 *   symbol names (linear address of the label), `0x1f`, `1fh`, `42`, `+ - * / % & | ^ << >> ~ ( )`,
 *   and for breakpoint conditions `== != < <= > >= && || !`.
 * Parsing is separate from evaluation so bad input gives a clear message without touching the target.
 */

export type Expr =
  | { kind: 'num'; value: bigint; raw?: string }
  | { kind: 'reg'; name: string }
  | { kind: 'sym'; name: string }
  | { kind: 'segoff'; seg: Expr; off: Expr }
  | { kind: 'deref'; size: 1 | 2 | 4; addr: Expr }
  | { kind: 'unary'; op: '-' | '~' | '!'; arg: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr };

export class ExpressionError extends Error {}

const DEREF_SIZES: Record<string, 1 | 2 | 4> = { u8: 1, u16: 2, u32: 4, uint8_t: 1, uint16_t: 2, uint32_t: 4, byte: 1, word: 2, dword: 4 };

/** Precedence climbing table (higher binds tighter). */
const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

type Token = { t: 'num'; v: bigint; raw: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(0x[0-9a-f]+|[0-9][0-9a-f]*h?(?![\w$]))|(\$?[A-Za-z_.][\w.$@]*)|(<<|>>|==|!=|<=|>=|&&|\|\||[-+*/%&|^~():<>!]))/giy;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new ExpressionError(`unexpected ${JSON.stringify(text.slice(pos).trim().slice(0, 10))} at column ${pos + 1}`);
    pos = re.lastIndex;
    if (m[1]) {
      const s = m[1].toLowerCase();
      const v = s.startsWith('0x') ? BigInt(s) : s.endsWith('h') ? BigInt('0x' + s.slice(0, -1)) : /[a-f]/.test(s) ? BigInt('0x' + s) : BigInt(s);
      tokens.push({ t: 'num', v, raw: s });
    } else if (m[2]) tokens.push({ t: 'id', v: m[2] });
    else tokens.push({ t: 'op', v: m[3] });
  }
  return tokens;
}

function asHex(e: Expr): Expr {
  return e.kind === 'num' && e.raw !== undefined && /^\d+$/.test(e.raw) ? { kind: 'num', value: BigInt('0x' + e.raw), raw: e.raw } : e;
}

export function parseExpression(text: string, isRegister: (name: string) => boolean): Expr {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ExpressionError('empty expression');
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (v: string): boolean => peek()?.t === 'op' && peek()!.v === v;
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new ExpressionError(`expected "${v}"`);
    i++;
  };

  const primary = (): Expr => {
    const tok = peek();
    if (!tok) throw new ExpressionError('expression ends too early');
    if (tok.t === 'num') {
      i++;
      return { kind: 'num', value: tok.v, raw: tok.raw };
    }
    if (tok.t === 'id') {
      i++;
      const bare = tok.v.replace(/^\$/, '');
      if (tok.v.startsWith('$') || isRegister(bare.toLowerCase())) {
        if (!isRegister(bare.toLowerCase())) throw new ExpressionError(`unknown register $${bare}`);
        return { kind: 'reg', name: bare.toLowerCase() };
      }
      return { kind: 'sym', name: tok.v };
    }
    if (tok.v === '(') {
      // `*(u16*)addr` cast or a parenthesised expression
      i++;
      const inner = expr(0);
      expectOp(')');
      return inner;
    }
    if (tok.v === '*') {
      i++;
      if (isOp('(') && tokens[i + 1]?.t === 'id' && DEREF_SIZES[(tokens[i + 1] as { v: string }).v.toLowerCase()] && tokens[i + 2]?.t === 'op' && tokens[i + 2].v === '*') {
        const size = DEREF_SIZES[(tokens[i + 1] as { v: string }).v.toLowerCase()];
        i += 3;
        expectOp(')');
        return { kind: 'deref', size, addr: unary() };
      }
      return { kind: 'deref', size: 1, addr: unary() };
    }
    if (tok.v === '-' || tok.v === '~' || tok.v === '!') {
      i++;
      return { kind: 'unary', op: tok.v, arg: unary() };
    }
    if (tok.v === '+') {
      i++;
      return unary();
    }
    throw new ExpressionError(`unexpected "${tok.v}"`);
  };
  const unary = (): Expr => primary();
  // seg:off binds looser than arithmetic: `07c0:0005+1` is 07c0:(0005+1).
  const expr = (minPrec: number): Expr => {
    let left = unary();
    for (;;) {
      const tok = peek();
      if (!tok || tok.t !== 'op') break;
      const prec = BINARY_PRECEDENCE[tok.v];
      if (prec === undefined || prec < minPrec) break;
      i++;
      const right = expr(prec + 1);
      left = { kind: 'binary', op: tok.v, left, right };
    }
    return left;
  };
  const top = (): Expr => {
    const first = expr(0);
    if (isOp(':')) {
      i++;
      // Real-mode convention: both halves of `seg:off` are hex (`07c0:0010`).
      return { kind: 'segoff', seg: asHex(first), off: asHex(expr(0)) };
    }
    return first;
  };
  const result = top();
  if (i < tokens.length) throw new ExpressionError(`unexpected "${(tokens[i] as { v: unknown }).v}" after the expression`);
  return result;
}

export interface EvalEnv {
  register(name: string): bigint;
  /** Base of a segment given by register name (`ds`) or selector value. */
  segmentBase(seg: { register: string } | { selector: bigint }): Promise<bigint>;
  symbol(name: string): bigint | undefined;
  readMemory(address: bigint, size: number): Promise<Buffer>;
}

export interface EvalValue {
  value: bigint;
  /** For seg:off and symbols: the value is a linear address. */
  isAddress: boolean;
  /** For memory reads: the size read. */
  size?: number;
}

const MASK32 = 0xffffffffn;

function applyBinary(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': if (b === 0n) throw new ExpressionError('division by zero'); return a / b;
    case '%': if (b === 0n) throw new ExpressionError('division by zero'); return a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return a << b;
    case '>>': return a >> b;
    case '==': return a === b ? 1n : 0n;
    case '!=': return a !== b ? 1n : 0n;
    case '<': return a < b ? 1n : 0n;
    case '<=': return a <= b ? 1n : 0n;
    case '>': return a > b ? 1n : 0n;
    case '>=': return a >= b ? 1n : 0n;
    case '&&': return a !== 0n && b !== 0n ? 1n : 0n;
    case '||': return a !== 0n || b !== 0n ? 1n : 0n;
  }
  throw new ExpressionError(`unknown operator ${op}`);
}

export async function evaluateExpr(e: Expr, env: EvalEnv): Promise<EvalValue> {
  switch (e.kind) {
    case 'num':
      return { value: e.value, isAddress: false };
    case 'reg':
      return { value: env.register(e.name), isAddress: false };
    case 'sym': {
      const v = env.symbol(e.name);
      if (v === undefined) throw new ExpressionError(`unknown symbol or register "${e.name}"`);
      return { value: v, isAddress: true };
    }
    case 'segoff': {
      const off = (await evaluateExpr(e.off, env)).value;
      const base = e.seg.kind === 'reg' && ['cs', 'ds', 'es', 'ss', 'fs', 'gs'].includes(e.seg.name)
        ? await env.segmentBase({ register: e.seg.name })
        : await env.segmentBase({ selector: (await evaluateExpr(e.seg, env)).value });
      return { value: (base + (off & MASK32)) & MASK32, isAddress: true };
    }
    case 'deref': {
      const addr = (await evaluateExpr(e.addr, env)).value & MASK32;
      const bytes = await env.readMemory(addr, e.size);
      if (bytes.length < e.size) throw new ExpressionError(`cannot read ${e.size} byte(s) at 0x${addr.toString(16)}`);
      return { value: BigInt(bytes.readUIntLE(0, e.size)), isAddress: false, size: e.size };
    }
    case 'unary': {
      const v = (await evaluateExpr(e.arg, env)).value;
      return { value: e.op === '-' ? -v : e.op === '!' ? (v === 0n ? 1n : 0n) : ~v & MASK32, isAddress: false };
    }
    case 'binary': {
      const l = await evaluateExpr(e.left, env);
      const r = await evaluateExpr(e.right, env);
      return { value: applyBinary(e.op, l.value, r.value), isAddress: l.isAddress && !r.isAddress && (e.op === '+' || e.op === '-') };
    }
  }
}
