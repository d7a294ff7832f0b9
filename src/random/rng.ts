/**
 * Seeded randomness: xoshiro128** (Blackman & Vigna; 32-bit operations, which JavaScript runs
 * natively) for uniform bits, and the ziggurat (Marsaglia & Tsang, 128 layers) for standard normals.
 * Streams are derived from (seed, stream) by SplitMix64, so seed s of a run is the same sequence
 * whatever the number of workers. `fillNormal` keeps the generator state in locals for the hot loops.
 */

const MASK64 = (1n << 64n) - 1n;

function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

/** ziggurat tables for the standard normal, 128 layers */
const ZR = 3.442619855899;
const ZV = 9.91256303526217e-3;
const KN = new Int32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
(() => {
  const m1 = 2147483648.0;
  let dn = ZR;
  let tn = dn;
  const q = ZV / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  KN[1] = 0;
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZV / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
})();

/**
 * The ziggurat's layer boundaries 0 < x_1 < … < x_127 = R: layer i ≥ 1 draws |x| ≤ x_i and keeps
 * what falls in (x_{i−1}, x_i] after its wedge test; layer 0 is the base strip with the tail beyond R.
 * The bands between them are what a per-layer test of the sampler counts in.
 */
export function zigguratEdges(): number[] {
  return Array.from({ length: 127 }, (_, i) => WN[i + 1] * 2147483648.0);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    let st = (BigInt(Math.floor(seed)) * 0x100000001b3n + BigInt(stream) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn) & MASK64;
    const [a, x] = splitmix64(st);
    st = a;
    const [, y] = splitmix64(st);
    this.s0 = Number(x & 0xffffffffn) | 0;
    this.s1 = Number(x >> 32n) | 0;
    this.s2 = Number(y & 0xffffffffn) | 0;
    this.s3 = Number(y >> 32n) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** next 32 random bits as a signed 32-bit integer (xoshiro128**) */
  nextInt(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** uniform in [0, 1) with 53 random bits */
  uniform(): number {
    const a = this.nextInt() >>> 5;
    const b = this.nextInt() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** standard normal by the ziggurat */
  normal(): number {
    const hz = this.nextInt();
    const iz = hz & 127;
    if ((hz < 0 ? -hz : hz) < KN[iz]) return hz * WN[iz];
    return this.normalSlow(hz, iz);
  }

  /** fills a[0..n) with standard normals (state in locals: the hot path of the simulators) */
  fillNormal(a: Float64Array, n = a.length): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < n; i++) {
      const hz = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const iz = hz & 127;
      if ((hz < 0 ? -hz : hz) < KN[iz]) a[i] = hz * WN[iz];
      else {
        this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
        a[i] = this.normalSlow(hz, iz);
        s0 = this.s0; s1 = this.s1; s2 = this.s2; s3 = this.s3;
      }
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /** χ² with ν degrees of freedom (ν ≥ 1), by Marsaglia–Tsang gamma sampling. */
  chiSquare(nu: number): number {
    return 2 * this.gamma(nu / 2);
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (with the boost for shape < 1). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniformPos(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformPos();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  private normalSlow(hz: number, iz: number): number {
    for (;;) {
      if (iz === 0) {
        let x: number;
        let y: number;
        do {
          x = -Math.log(this.uniformPos()) / ZR;
          y = -Math.log(this.uniformPos());
        } while (y + y < x * x);
        return hz > 0 ? ZR + x : -ZR - x;
      }
      const x = hz * WN[iz];
      if (FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextInt();
      iz = hz & 127;
      if ((hz < 0 ? -hz : hz) < KN[iz]) return hz * WN[iz];
    }
  }

  private uniformPos(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return u;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
