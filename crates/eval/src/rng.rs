//! Counter-based randomness: every draw is a pure function of `(seed, a, b)`, so results
//! do not depend on thread count or on the order in which work is scheduled.

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijection on `u64` with good mixing.
#[inline]
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A well-mixed 64-bit value determined by `(seed, a, b)`.
#[inline]
pub(crate) fn mix(seed: u64, a: u64, b: u64) -> u64 {
    splitmix(splitmix(splitmix(seed) ^ a) ^ b)
}

/// A uniform index in `0..n` from a 64-bit hash (Lemire's multiply-shift; bias below
/// `n / 2^64`). `n` must be positive.
#[inline]
pub(crate) fn below(hash: u64, n: usize) -> usize {
    ((u128::from(hash) * n as u128) >> 64) as usize
}
