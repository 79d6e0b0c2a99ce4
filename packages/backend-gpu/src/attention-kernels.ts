/**
 * Attention on the gpu backend: gpu.js kernels with one output value per thread. Each thread
 * recomputes the scores it needs from Q and K (no N×N buffer); a first kernel gives every query
 * row its log-sum-exp, which the output and the three gradients read. Meta for all of them:
 * m = [H, Nq, Nk, d, dv, groups, scale, causal, hasMask, Hkv, mode]. Integer division is
 * corrected by one either way, as in kernels.ts. Mask entries below
 * −1e30 count as blocked (float32 textures do not keep −Infinity reliably); core has checked
 * that every query row sees a key.
 */
import type { KernelThis } from './kernels.js';

type F = Float32Array;

/** lse of query row r = (b·H + h)·Nq + i: log Σⱼ exp(scale·qᵢ·kⱼ + maskᵢⱼ) over visible j. */
export function attnLseKernel(this: KernelThis, q: F, k: F, mask: F, m: F): number {
  const r = this.thread.x + 0.5 - 0.5;
  const H = m[0]; const nq = m[1]; const nk = m[2]; const d = m[3];
  let bh = Math.floor(r / nq);
  if (r - bh * nq < 0) bh -= 1;
  if (r - bh * nq >= nq) bh += 1;
  const i = r - bh * nq;
  let b = Math.floor(bh / H);
  if (bh - b * H < 0) b -= 1;
  if (bh - b * H >= H) b += 1;
  const hh = bh - b * H;
  let grp = Math.floor(hh / m[5]);
  if (hh - grp * m[5] < 0) grp -= 1;
  if (hh - grp * m[5] >= m[5]) grp += 1;
  const kvh = b * m[9] + grp;
  let mx = -1e38;
  let l = 0.5 - 0.5;
  for (let j = 0; j < nk; j++) {
    let ok = 1.5 - 0.5;
    if (m[7] > 0.5 && j > i + nk - nq) ok = 0.5 - 0.5;
    let s = 0.5 - 0.5;
    if (ok > 0.5) {
      for (let t = 0; t < d; t++) s += q[r * d + t] * k[(kvh * nk + j) * d + t];
      s = s * m[6];
      if (m[8] > 0.5) {
        const mk = mask[i * nk + j];
        if (mk < -1e30) ok = 0.5 - 0.5;
        s += mk;
      }
    }
    if (ok > 0.5) {
      if (s > mx) {
        l = l * Math.exp(mx - s) + 1;
        mx = s;
      } else {
        l += Math.exp(s - mx);
      }
    }
  }
  return mx + Math.log(l);
}

/**
 * The backward pass's row statistics, two per query row r: lseᵣ at 2r and Dᵣ = dyᵣ·yᵣ at 2r + 1
 * (packed, so that the gradient kernels stay within WebGPU's 8 storage buffers per stage).
 */
export function attnStatsKernel(this: KernelThis, q: F, k: F, mask: F, y: F, dy: F, m: F):
  number {
  const x2 = this.thread.x + 0.5 - 0.5;
  let r = Math.floor(x2 / 2);
  if (x2 - r * 2 < 0) r -= 1;
  if (x2 - r * 2 >= 2) r += 1;
  if (x2 - r * 2 > 0.5) {
    let D = 0.5 - 0.5;
    for (let u = 0; u < m[4]; u++) D += dy[r * m[4] + u] * y[r * m[4] + u];
    return D;
  }
  const H = m[0]; const nq = m[1]; const nk = m[2]; const d = m[3];
  let bh = Math.floor(r / nq);
  if (r - bh * nq < 0) bh -= 1;
  if (r - bh * nq >= nq) bh += 1;
  const i = r - bh * nq;
  let b = Math.floor(bh / H);
  if (bh - b * H < 0) b -= 1;
  if (bh - b * H >= H) b += 1;
  const hh = bh - b * H;
  let grp = Math.floor(hh / m[5]);
  if (hh - grp * m[5] < 0) grp -= 1;
  if (hh - grp * m[5] >= m[5]) grp += 1;
  const kvh = b * m[9] + grp;
  let mx = -1e38;
  let l = 0.5 - 0.5;
  for (let j = 0; j < nk; j++) {
    let ok = 1.5 - 0.5;
    if (m[7] > 0.5 && j > i + nk - nq) ok = 0.5 - 0.5;
    let s = 0.5 - 0.5;
    if (ok > 0.5) {
      for (let t = 0; t < d; t++) s += q[r * d + t] * k[(kvh * nk + j) * d + t];
      s = s * m[6];
      if (m[8] > 0.5) {
        const mk = mask[i * nk + j];
        if (mk < -1e30) ok = 0.5 - 0.5;
        s += mk;
      }
    }
    if (ok > 0.5) {
      if (s > mx) {
        l = l * Math.exp(mx - s) + 1;
        mx = s;
      } else {
        l += Math.exp(s - mx);
      }
    }
  }
  return mx + Math.log(l);
}

/** out[r, t] = Σⱼ exp(sᵢⱼ − lseᵣ) v[j, t], thread x = r·dv + t. */
export function attnOutKernel(this: KernelThis, q: F, k: F, v: F, mask: F, lse: F, m: F): number {
  const x = this.thread.x + 0.5 - 0.5;
  const H = m[0]; const nq = m[1]; const nk = m[2]; const d = m[3]; const dv = m[4];
  let r = Math.floor(x / dv);
  if (x - r * dv < 0) r -= 1;
  if (x - r * dv >= dv) r += 1;
  const t = x - r * dv;
  let bh = Math.floor(r / nq);
  if (r - bh * nq < 0) bh -= 1;
  if (r - bh * nq >= nq) bh += 1;
  const i = r - bh * nq;
  let b = Math.floor(bh / H);
  if (bh - b * H < 0) b -= 1;
  if (bh - b * H >= H) b += 1;
  const hh = bh - b * H;
  let grp = Math.floor(hh / m[5]);
  if (hh - grp * m[5] < 0) grp -= 1;
  if (hh - grp * m[5] >= m[5]) grp += 1;
  const kvh = b * m[9] + grp;
  let acc = 0.5 - 0.5;
  for (let j = 0; j < nk; j++) {
    let ok = 1.5 - 0.5;
    if (m[7] > 0.5 && j > i + nk - nq) ok = 0.5 - 0.5;
    if (ok > 0.5) {
      let s = 0.5 - 0.5;
      for (let u = 0; u < d; u++) s += q[r * d + u] * k[(kvh * nk + j) * d + u];
      s = s * m[6];
      if (m[8] > 0.5) {
        const mk = mask[i * nk + j];
        if (mk < -1e30) ok = 0.5 - 0.5;
        s += mk;
      }
      if (ok > 0.5) acc += Math.exp(s - lse[r]) * v[(kvh * nk + j) * dv + t];
    }
  }
  return acc;
}

/** dq[r, t] = scale Σⱼ pᵢⱼ (dyᵣ·vⱼ − Dᵣ) k[j, t], thread x = r·d + t. */
export function attnDqKernel(this: KernelThis, q: F, k: F, v: F, mask: F, st: F, dy: F, m: F):
  number {
  const x = this.thread.x + 0.5 - 0.5;
  const H = m[0]; const nq = m[1]; const nk = m[2]; const d = m[3]; const dv = m[4];
  let r = Math.floor(x / d);
  if (x - r * d < 0) r -= 1;
  if (x - r * d >= d) r += 1;
  const t = x - r * d;
  let bh = Math.floor(r / nq);
  if (r - bh * nq < 0) bh -= 1;
  if (r - bh * nq >= nq) bh += 1;
  const i = r - bh * nq;
  let b = Math.floor(bh / H);
  if (bh - b * H < 0) b -= 1;
  if (bh - b * H >= H) b += 1;
  const hh = bh - b * H;
  let grp = Math.floor(hh / m[5]);
  if (hh - grp * m[5] < 0) grp -= 1;
  if (hh - grp * m[5] >= m[5]) grp += 1;
  const kvh = b * m[9] + grp;
  const D = st[2 * r + 1];
  let acc = 0.5 - 0.5;
  for (let j = 0; j < nk; j++) {
    let ok = 1.5 - 0.5;
    if (m[7] > 0.5 && j > i + nk - nq) ok = 0.5 - 0.5;
    if (ok > 0.5) {
      let s = 0.5 - 0.5;
      for (let u = 0; u < d; u++) s += q[r * d + u] * k[(kvh * nk + j) * d + u];
      s = s * m[6];
      if (m[8] > 0.5) {
        const mk = mask[i * nk + j];
        if (mk < -1e30) ok = 0.5 - 0.5;
        s += mk;
      }
      if (ok > 0.5) {
        let dp = 0.5 - 0.5;
        for (let u = 0; u < dv; u++) dp += dy[r * dv + u] * v[(kvh * nk + j) * dv + u];
        acc += Math.exp(s - st[2 * r]) * (dp - D) * k[(kvh * nk + j) * d + t];
      }
    }
  }
  return acc * m[6];
}

/**
 * The key and value gradients, summed over the query heads of the group and their rows; thread
 * x = ((b·Hkv + g)·Nk + j)·w + t with w = d (m[10] = 0: dk) or dv (m[10] = 1: dv).
 */
export function attnDkvKernel(this: KernelThis, q: F, k: F, v: F, mask: F, st: F, dy: F, m: F):
  number {
  const x = this.thread.x + 0.5 - 0.5;
  const H = m[0]; const nq = m[1]; const nk = m[2]; const d = m[3]; const dv = m[4];
  const groups = m[5]; const hk = m[9];
  let w = d;
  if (m[10] > 0.5) w = dv;
  let kr = Math.floor(x / w);
  if (x - kr * w < 0) kr -= 1;
  if (x - kr * w >= w) kr += 1;
  const t = x - kr * w;
  let kvh = Math.floor(kr / nk);
  if (kr - kvh * nk < 0) kvh -= 1;
  if (kr - kvh * nk >= nk) kvh += 1;
  const j = kr - kvh * nk;
  let b = Math.floor(kvh / hk);
  if (kvh - b * hk < 0) b -= 1;
  if (kvh - b * hk >= hk) b += 1;
  const g = kvh - b * hk;
  let acc = 0.5 - 0.5;
  for (let e = 0; e < groups; e++) {
    const bh = b * H + g * groups + e;
    for (let i = 0; i < nq; i++) {
      let ok = 1.5 - 0.5;
      if (m[7] > 0.5 && j > i + nk - nq) ok = 0.5 - 0.5;
      if (ok > 0.5) {
        const r = bh * nq + i;
        let s = 0.5 - 0.5;
        for (let u = 0; u < d; u++) s += q[r * d + u] * k[kr * d + u];
        s = s * m[6];
        if (m[8] > 0.5) {
          const mk = mask[i * nk + j];
          if (mk < -1e30) ok = 0.5 - 0.5;
          s += mk;
        }
        if (ok > 0.5) {
          const p = Math.exp(s - st[2 * r]);
          if (m[10] > 0.5) {
            acc += p * dy[r * dv + t];
          } else {
            let dp = 0.5 - 0.5;
            for (let u = 0; u < dv; u++) dp += dy[r * dv + u] * v[kr * dv + u];
            acc += p * (dp - st[2 * r + 1]) * q[r * d + t] * m[6];
          }
        }
      }
    }
  }
  return acc;
}
