/**
 * Constant folding for generated products: the numeric factors of a product, at any depth of ·, as one
 * leading constant, kept an exact rational when its denominator is small (2·(1/2) folds to 1).
 */
import { mul, neg, num, int, rat, type Expr } from './ir.ts';

/** A product with its numeric factors (at any depth of ·) folded into one leading constant. */
export function product(fs: Expr[]): Expr {
  let constant = 1;
  const rest: Expr[] = [];
  const visit = (f: Expr): void => {
    if (f.k === 'num' || f.k === 'int') constant *= f.v;
    else if (f.k === 'rat') constant *= f.n / f.d;
    else if (f.k === 'bin' && f.op === '*') {
      visit(f.a);
      visit(f.b);
    } else if (f.k === 'neg') {
      constant = -constant;
      visit(f.a);
    } else rest.push(f);
  };
  fs.forEach(visit);
  if (constant === 0) return num(0);
  const body = rest.reduce((a, b) => mul(a, b), int(1) as Expr);
  if (constant === -1) return neg(body);
  return mul(constantExpr(constant), body);
}

/** A constant as an exact rational when its denominator is small, else a float. */
export function constantExpr(x: number): Expr {
  for (const d of [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 16, 25, 36, 64, 100]) {
    const nn = x * d;
    if (Math.abs(nn - Math.round(nn)) < 1e-12 * Math.max(1, Math.abs(nn))) return rat(Math.round(nn), d);
  }
  return num(x);
}
