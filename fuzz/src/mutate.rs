//! A seeded random source and the byte- and JSON-level mutators.
//!
//! Everything here is deterministic in the seed: input `i` of a campaign is a pure function of
//! `(reader, seed, i)`, so a crash is reproduced by its index alone (and also saved as bytes).

use serde_json::Value;

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and good enough to drive mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for input `index` of the campaign `(name, seed)`.
    pub fn for_input(name: &str, seed: u64, index: u64) -> Self {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut r = Rng(h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.0 ^= r.next_u64() ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03);
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Bytes that matter to Parquet (magic, thrift field headers) and to text formats.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, b'P', b'A', b'R', b'1', 0x15, 0x16, 0x19, 0x1c, 0x2c, b',',
    b'\n', b'"', b'-', b'0', b'9', b':', b'{', b'}', b'[', b']', b' ', 0xef, 0xbb, 0xbf,
];

/// Applies 1 to 8 random byte-level mutations to `data`, taking splice material from
/// `other` (another seed of the same reader). Output is capped at `max_len` bytes.
pub fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8], max_len: usize) {
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(12) {
            // Bit flip.
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            // Random or interesting byte.
            2 if len > 0 => {
                let i = rng.below(len);
                data[i] = if rng.one_in(2) {
                    rng.byte()
                } else {
                    *rng.pick(INTERESTING_BYTES)
                };
            }
            // Insert bytes.
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    data.insert(i, rng.byte());
                }
            }
            // Delete a range.
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                data.drain(i..i + n);
            }
            // Duplicate a range in place.
            5 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let piece = data[i..i + n].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, piece);
            }
            // Truncate.
            6 if len > 0 => {
                data.truncate(rng.below(len));
            }
            // Integer extremes over 1, 2, 4 or 8 bytes, little-endian (Parquet's order).
            7 if len >= 8 => {
                let width = *rng.pick(&[1usize, 2, 4, 8]);
                let i = rng.below(len - width + 1);
                let v: u64 = *rng.pick(&[
                    0,
                    1,
                    u64::MAX,
                    i64::MAX as u64,
                    i64::MIN as u64,
                    i32::MAX as u64,
                    i32::MIN as i64 as u64,
                    u32::MAX as u64,
                    0x8000,
                    0x7fff,
                ]);
                data[i..i + width].copy_from_slice(&v.to_le_bytes()[..width]);
            }
            // Add or subtract a small amount from one byte (lengths, offsets, counts).
            8 if len > 0 => {
                let i = rng.below(len);
                let d = 1 + rng.below(16) as u8;
                data[i] = if rng.one_in(2) {
                    data[i].wrapping_add(d)
                } else {
                    data[i].wrapping_sub(d)
                };
            }
            // Splice: a piece of another seed over our tail or middle.
            9 if !other.is_empty() => {
                let from = rng.below(other.len());
                let n = 1 + rng.below(other.len() - from);
                let at = rng.below(len + 1);
                let end = (at + n).min(len);
                data.splice(at..end, other[from..from + n].iter().copied());
            }
            // Swap two ranges' bytes.
            10 if len > 1 => {
                let i = rng.below(len);
                let j = rng.below(len);
                data.swap(i, j);
            }
            _ => {
                if len > 0 {
                    let i = rng.below(len);
                    data[i] = data[i].wrapping_add(1);
                }
            }
        }
        if data.len() > max_len {
            data.truncate(max_len);
        }
    }
}

/// Adversarial JSON numbers: integer-type extremes, float extremes, subnormals, -0.
pub const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "1",
    "-1",
    "127",
    "-128",
    "255",
    "32767",
    "-32768",
    "65535",
    "2147483647",
    "-2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "-1e309",
    "5e-324",
    "2.2250738585072014e-308",
    "1e-400",
    "0.5",
    "1.0000000000000002",
    "0.9999999999999999",
];

/// Adversarial JSON strings.
const EXTREME_STRINGS: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "learned",
    "volume",
    "recency",
    "ppr",
    "top-k:3",
    "NaN",
    "inf",
    "ünïcødé ✓",
    "../../etc/passwd",
    "score:volume",
    "\u{feff}",
];

/// Replaces, removes or duplicates random nodes of a JSON document (1 to 4 edits).
pub fn mutate_json(rng: &mut Rng, value: &mut Value) {
    for _ in 0..1 + rng.below(4) {
        let count = count_nodes(value);
        let target = rng.below(count);
        let mut seen = 0;
        edit_nth(rng, value, target, &mut seen);
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn edit_nth(rng: &mut Rng, v: &mut Value, target: usize, seen: &mut usize) -> bool {
    if *seen == target {
        edit(rng, v);
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| edit_nth(rng, c, target, seen)),
        Value::Object(o) => o.values_mut().any(|c| edit_nth(rng, c, target, seen)),
        _ => false,
    }
}

fn extreme_number(rng: &mut Rng) -> Value {
    // Numbers out of f64 range do not parse into a Value; keep them finite here and let the
    // byte mutator and the text templates produce the rest.
    let text = rng.pick(EXTREME_NUMBERS);
    serde_json::from_str(text).unwrap_or(Value::from(0))
}

fn edit(rng: &mut Rng, v: &mut Value) {
    match rng.below(10) {
        0 => *v = Value::Null,
        1 => *v = extreme_number(rng),
        2 => *v = Value::String((*rng.pick(EXTREME_STRINGS)).to_owned()),
        3 => *v = Value::Bool(rng.one_in(2)),
        4 => *v = Value::Array(Vec::new()),
        5 => *v = Value::Object(serde_json::Map::new()),
        _ => match v {
            Value::Array(a) => match rng.below(5) {
                0 if !a.is_empty() => {
                    a.pop();
                }
                1 if !a.is_empty() => {
                    let i = rng.below(a.len());
                    let copy = a[i].clone();
                    a.insert(i, copy);
                }
                2 => a.reverse(),
                3 if !a.is_empty() && a.len() < 64 => {
                    let copy = a.clone();
                    a.extend(copy);
                }
                _ => a.push(extreme_number(rng)),
            },
            Value::Object(o) => {
                if !o.is_empty() && rng.one_in(2) {
                    let key = o.keys().nth(rng.below(o.len())).cloned();
                    if let Some(k) = key {
                        o.remove(&k);
                    }
                } else {
                    o.insert("unexpected".into(), extreme_number(rng));
                }
            }
            Value::Number(_) => *v = extreme_number(rng),
            Value::String(s) => match rng.below(3) {
                0 => s.clear(),
                1 => s.push_str(rng.pick::<&str>(EXTREME_STRINGS)),
                _ => *s = s.repeat(2 + rng.below(4)),
            },
            _ => *v = extreme_number(rng),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_a_function_of_name_seed_and_index() {
        let a: Vec<u64> = (0..3)
            .map(|i| Rng::for_input("x", 1, i).next_u64())
            .collect();
        let b: Vec<u64> = (0..3)
            .map(|i| Rng::for_input("x", 1, i).next_u64())
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        assert_ne!(
            Rng::for_input("x", 1, 0).next_u64(),
            Rng::for_input("y", 1, 0).next_u64()
        );
    }

    #[test]
    fn byte_mutations_respect_the_length_cap() {
        let mut rng = Rng::for_input("cap", 0, 0);
        for _ in 0..1000 {
            let mut data = vec![7u8; 100];
            mutate_bytes(&mut rng, &mut data, &[1, 2, 3], 120);
            assert!(data.len() <= 120);
        }
    }
}
