//! Deterministic identifiers: Atlassian-style account ids and UUID-like SCIM and group ids.
//!
//! Every id comes from one seeded generator, drawn in creation order, so the same seed (and the same
//! sequence of create requests) always yields the same ids: tests can pin them, and two runs of a
//! scenario can be diffed.

/// SplitMix64: tiny, fast, and good enough for ids and fault dice; never used for secrets.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`, it never changes between Rust releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Mints ids in creation order from a seed.
#[derive(Debug, Clone)]
pub struct IdGen(SplitMix64);

impl IdGen {
    /// A generator keyed by the organization, so two orgs in one process get different ids.
    pub fn for_org(org_id: &str, scim_directory_id: &str) -> Self {
        let key = format!("{org_id}\0{scim_directory_id}");
        Self(SplitMix64::new(fnv1a(key.as_bytes())))
    }

    /// A 24-hex-digit account id, the shape of `5f3589458d89e30046317d34`.
    pub fn account_id(&mut self) -> String {
        let a = self.0.next_u64();
        let b = self.0.next_u64() as u32;
        format!("{a:016x}{b:08x}")
    }

    /// A version-4-shaped UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
    pub fn uuid(&mut self) -> String {
        let hi = (self.0.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (self.0.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        let mut a = IdGen::for_org("org", "dir");
        let mut b = IdGen::for_org("org", "dir");
        let (x, y) = (a.account_id(), b.account_id());
        assert_eq!(x, y);
        assert_eq!(x.len(), 24);
        assert!(x.chars().all(|c| c.is_ascii_hexdigit()));
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(IdGen::for_org("other", "dir").account_id(), x);
    }
}
