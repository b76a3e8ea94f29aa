//! A tiny deterministic pseudo-random generator (SplitMix64) and helpers.

/// SplitMix64: fast, good enough statistically, and trivially reproducible.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

/// Mixes a 64-bit value (the SplitMix64 finaliser); also used as a hash step.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of a string (FNV-1a followed by a mix), used to
/// derive per-entity seeds such as file hashes or device ids.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            state: mix64(seed ^ 0x5851_f42d_4c95_7f2d),
        }
    }

    /// A generator for a named sub-stream of `seed`.
    pub fn derive(seed: u64, name: &str) -> Self {
        Rng::new(seed ^ hash_str(name))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    /// A uniform value in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[lo, hi]` (inclusive).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// A uniform index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// One element of a non-empty slice (the first when empty is impossible).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len());
        &items[i]
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// A Windows process id (a multiple of 4).
    pub fn pid(&mut self) -> i64 {
        self.range(300, 15_000) * 4
    }
}

/// `n` lower-case hex digits derived deterministically from `seed`.
pub fn hex(seed: u64, n: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(n);
    let mut state = seed;
    while out.len() < n {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut v = mix64(state);
        for _ in 0..16 {
            if out.len() == n {
                break;
            }
            out.push(char::from(DIGITS[(v & 15) as usize]));
            v >>= 4;
        }
    }
    out
}

/// A GUID-shaped string derived from `seed`.
pub fn guid(seed: u64) -> String {
    let h = hex(seed, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Deterministic (SHA1, SHA256, MD5) hex strings for a file identified by `key`.
pub fn file_hashes(key: &str) -> (String, String, String) {
    let h = hash_str(key);
    (hex(h ^ 1, 40), hex(h ^ 2, 64), hex(h ^ 3, 32))
}
