/** Least-squares line fits on log–log data, with confidence intervals from Student's t. */

export interface LineFit {
  slope: number;
  intercept: number;
  /** half-width of the 95 % confidence interval of the slope (NaN with fewer than 3 points) */
  slopeCI95: number;
  n: number;
  r2: number;
}

/** 97.5 % quantile of Student's t with ν degrees of freedom (table, then the normal limit). */
export function tQuantile975(nu: number): number {
  const table = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
  if (nu < 1) return NaN;
  if (nu < table.length) return table[nu];
  return 1.96 + 2.4 / nu;
}

export function fitLine(x: number[], y: number[]): LineFit {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const rss = Math.max(0, syy - slope * sxy);
  const se = n > 2 ? Math.sqrt(rss / (n - 2) / sxx) : NaN;
  return { slope, intercept, slopeCI95: n > 2 ? tQuantile975(n - 2) * se : NaN, n, r2: syy > 0 ? 1 - rss / syy : 1 };
}

/** log–log fit of y against x (natural logs; the slope is the exponent). */
export function fitPowerLaw(x: number[], y: number[]): LineFit {
  return fitLine(x.map(Math.log), y.map(Math.log));
}
