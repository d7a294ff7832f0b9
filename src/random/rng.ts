/**
 * Seeded randomness: xoshiro256** (Blackman & Vigna) on 32-bit halves for uniforms, and a ziggurat
 * sampler (Marsaglia & Tsang, 128 layers) for standard normals. Streams are derived from (seed,
 * stream) by SplitMix64, so seed s of a run is the same numbers whatever the number of workers.
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
const ZN = 128;
const ZR = 3.442619855899;
const ZV = 9.91256303526217e-3;
const KN = new Uint32Array(ZN);
const WN = new Float64Array(ZN);
const FN = new Float64Array(ZN);
(() => {
  const m1 = 2147483648.0;
  let dn = ZR;
  let tn = dn;
  const q = ZV / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  KN[1] = 0;
  WN[0] = q / m1;
  WN[ZN - 1] = dn / m1;
  FN[0] = 1;
  FN[ZN - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZN - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZV / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
})();

export class Rng {
  // xoshiro256** state as 8 uint32 halves (hi, lo) × 4
  private s0h = 0; private s0l = 0; private s1h = 0; private s1l = 0;
  private s2h = 0; private s2l = 0; private s3h = 0; private s3l = 0;

  constructor(seed: number, stream = 0) {
    let st = (BigInt(Math.floor(seed)) * 0x100000001b3n + BigInt(stream) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn) & MASK64;
    const words: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, z] = splitmix64(st);
      st = ns;
      words.push(z);
    }
    [this.s0h, this.s0l] = halves(words[0]);
    [this.s1h, this.s1l] = halves(words[1]);
    [this.s2h, this.s2l] = halves(words[2]);
    [this.s3h, this.s3l] = halves(words[3]);
  }

  /** next 32 random bits (the high half of xoshiro256** output), as an unsigned integer */
  nextU32(): number {
    // result = rotl(s1 * 5, 7) * 9, high 32 bits
    // s1*5 (64-bit) on halves
    const lo5 = this.s1l * 5;
    const l1 = lo5 >>> 0;
    const h1 = (Math.imul(this.s1h, 5) + Math.floor(lo5 / 4294967296)) >>> 0;
    // rotl 7
    const rh = ((h1 << 7) | (l1 >>> 25)) >>> 0;
    const rl = ((l1 << 7) | (h1 >>> 25)) >>> 0;
    // * 9: high half = rh*9 + carry(rl*9)
    const lo9 = rl * 9;
    const result = (Math.imul(rh, 9) + Math.floor(lo9 / 4294967296)) >>> 0;
    // state update
    const th = ((this.s1h << 17) | (this.s1l >>> 15)) >>> 0; // t = s1 << 17
    const tl = (this.s1l << 17) >>> 0;
    this.s2h ^= this.s0h; this.s2l ^= this.s0l;
    this.s3h ^= this.s1h; this.s3l ^= this.s1l;
    this.s1h ^= this.s2h; this.s1l ^= this.s2l;
    this.s0h ^= this.s3h; this.s0l ^= this.s3l;
    this.s2h ^= th; this.s2l ^= tl;
    // s3 = rotl(s3, 45) = rotl by 32 then by 13
    const a = this.s3l, b = this.s3h; // swapped halves = rotl 32
    this.s3h = ((a << 13) | (b >>> 19)) >>> 0;
    this.s3l = ((b << 13) | (a >>> 19)) >>> 0;
    this.s2h >>>= 0; this.s2l >>>= 0; this.s3h >>>= 0; this.s3l >>>= 0;
    this.s1h >>>= 0; this.s1l >>>= 0; this.s0h >>>= 0; this.s0l >>>= 0;
    return result;
  }

  /** uniform in [0, 1) with 53 random bits */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** standard normal by the ziggurat */
  normal(): number {
    for (;;) {
      const hz = this.nextU32() | 0;
      const iz = hz & 127;
      const ahz = hz < 0 ? -hz : hz;
      if (ahz < KN[iz]) return hz * WN[iz];
      if (iz === 0) {
        // tail beyond ZR
        let x: number, y: number;
        do {
          x = -Math.log(this.uniformPos()) / ZR;
          y = -Math.log(this.uniformPos());
        } while (y + y < x * x);
        return hz > 0 ? ZR + x : -ZR - x;
      }
      const x = hz * WN[iz];
      if (FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** fills a with standard normals */
  fillNormal(a: Float64Array, n = a.length): void {
    for (let i = 0; i < n; i++) a[i] = this.normal();
  }

  private uniformPos(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return u;
  }
}

function halves(x: bigint): [number, number] {
  return [Number((x >> 32n) & 0xffffffffn), Number(x & 0xffffffffn)];
}
