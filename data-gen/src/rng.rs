//! Counter-based randomness: every random stream is keyed by (seed, purpose, entity), so
//! the output does not depend on how work is split across threads.
//!
//! [`mix`] is SplitMix64's finaliser (Steele, Lea, Flood 2014); [`Rng`] is xoshiro256++
//! (Blackman and Vigna 2018), seeded through SplitMix64 as its authors recommend.

/// SplitMix64's output function: a bijective 64-bit mixer with full avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a seed, a stream tag and up to two entity keys into one 64-bit value.
#[inline]
pub fn key(seed: u64, tag: Stream, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ (tag as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ a) ^ b.rotate_left(17))
}

/// A uniform draw in `[0, 1)` from a hash value (53 random bits).
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The purposes random streams are drawn for; each gets independent numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Person ids.
    Ids = 1,
    /// Person attributes (sociability, activity, account type).
    Person,
    /// Household and family layout.
    Households,
    /// Workplace and school assignment.
    Contexts,
    /// Ties formed inside one context.
    ContextTies,
    /// Triadic closure and long-range ties of one person.
    Closure,
    /// Followers of broadcasters and victims of spammers.
    Special,
    /// Per-tie attributes shared by both directions.
    Tie,
    /// Per-direction attributes of a tie.
    Direction,
    /// Per-person Dunbar layer sizes.
    Layers,
    /// Events of one directed tie.
    Events,
    /// Group chats.
    Groups,
    /// Observation sampling of events.
    Sampling,
    /// Per-person and per-day rhythms (chronotype, busy days, the shared calendar).
    Rhythm,
    /// Who evades, and the roles of an evader's ties.
    Evasion,
}

/// xoshiro256++: small, fast and statistically strong; one instance per entity.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for one (purpose, entity) pair.
    pub fn new(seed: u64, tag: Stream, a: u64, b: u64) -> Self {
        let mut z = key(seed, tag, a, b);
        let mut s = [0u64; 4];
        for slot in &mut s {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *slot = mix(z);
        }
        Self { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn f64(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform integer in `[0, n)` (Lemire's multiply-shift; `n > 0`).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Box–Muller; one value per call keeps streams simple).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Lognormal with median 1 scaled to have mean 1: `exp(σZ − σ²/2)`.
    pub fn lognormal_mean1(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal() - sigma * sigma / 2.0).exp()
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Poisson with mean `lambda` (inversion for small means, normal approximation above 60).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 60.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0u64;
        let mut p = self.f64();
        while p > limit {
            k += 1;
            p *= self.f64();
        }
        k
    }

    /// Geometric number of failures before the first success, success probability `p`.
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 0;
        }
        let u = 1.0 - self.f64();
        (u.ln() / (1.0 - p).ln()).floor().max(0.0) as u64
    }

    /// Pareto with minimum `xm` and tail index `alpha`.
    pub fn pareto(&mut self, xm: f64, alpha: f64) -> f64 {
        xm / (1.0 - self.f64()).powf(1.0 / alpha)
    }

    /// Index drawn with probability proportional to `weights` (non-empty, positive sum).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A keyed bijection on `[0, 2^63)`: distinct inputs give distinct outputs, so person ids
/// drawn through it never collide and reveal nothing about the internal index.
pub fn permute63(seed: u64, x: u64) -> u64 {
    const MASK: u64 = (1 << 63) - 1;
    let k = key(seed, Stream::Ids, 0, 0);
    let mut v = x & MASK;
    for round in 0..4u64 {
        // Each step is invertible modulo 2^63: xor with a constant, multiply by an odd
        // number, xorshift right.
        v ^= mix(k ^ round) & MASK;
        v = v.wrapping_mul(mix(k.wrapping_add(round)) | 1) & MASK;
        v ^= v >> 29;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = Rng::new(7, Stream::Events, 1, 2);
        let mut b = Rng::new(7, Stream::Events, 1, 2);
        let mut c = Rng::new(7, Stream::Events, 2, 1);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn distributions_have_their_means() {
        let mut r = Rng::new(1, Stream::Person, 0, 0);
        let n = 200_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / n as f64;
        let m = mean(&mut || r.poisson(3.5) as f64);
        assert!((m - 3.5).abs() < 0.05, "poisson {m}");
        let m = mean(&mut || r.poisson(100.0) as f64);
        assert!((m - 100.0).abs() < 0.3, "poisson {m}");
        let m = mean(&mut || r.exponential(2.0));
        assert!((m - 2.0).abs() < 0.03, "exp {m}");
        let m = mean(&mut || r.lognormal_mean1(0.5));
        assert!((m - 1.0).abs() < 0.02, "lognormal {m}");
        let m = mean(&mut || r.geometric(0.25) as f64);
        assert!((m - 3.0).abs() < 0.06, "geometric {m}");
        let m = mean(&mut || r.normal());
        assert!(m.abs() < 0.01, "normal {m}");
    }

    #[test]
    fn permutation_is_injective_on_a_sample() {
        let mut ids: Vec<u64> = (0..100_000).map(|i| permute63(3, i)).collect();
        assert!(ids.iter().all(|&v| v < (1 << 63)));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 100_000);
    }
}
