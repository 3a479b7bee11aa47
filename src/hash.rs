//! FNV-1a, the one hash om computes itself: stable across builds,
//! platforms and versions, with no dependency. Its values are stored
//! outside om (the `com.opensvc.config` label, the ip resource's link
//! names and marker, the sync's records of what each node holds), so they
//! must never change: the tests pin them to the published FNV vectors and
//! to values computed by the copies this module replaced.

/// FNV-1a over 64 bits. Also a `Hasher`, for maps whose keys are om's own
/// (never a config's: it has no seed to resist crafted collisions).
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Fnv64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;

    pub fn new() -> Fnv64 {
        Fnv64(Self::OFFSET)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(Self::PRIME);
        }
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64::new()
    }
}

impl std::hash::Hasher for Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hasher builder for keys that are om's own.
pub type FnvBuild = std::hash::BuildHasherDefault<Fnv64>;

/// FNV-1a over 128 bits of `bytes`.
pub fn fnv1a_128(bytes: &[u8]) -> u128 {
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in bytes {
        h ^= u128::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fnv1a_64(bytes: &[u8]) -> u64 {
        let mut h = Fnv64::new();
        h.update(bytes);
        h.value()
    }

    #[test]
    fn fnv1a_64_gives_the_published_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        // fed in parts, the same as whole
        let mut h = Fnv64::new();
        h.update(b"foo");
        h.update(b"bar");
        assert_eq!(h.value(), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fnv1a_128_gives_the_published_vectors() {
        assert_eq!(fnv1a_128(b""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
        assert_eq!(
            fnv1a_128(b"foobar"),
            0x343e_1662_793c_64bf_6f0d_3597_ba44_6f18
        );
    }

    /// The values stored outside om, as the copies this module replaced
    /// computed them (a label, link names, a sync record).
    #[test]
    fn the_stored_values_never_change() {
        let uuid = "0b0d2a49-1d2f-4d0e-8f7e-1c2b3a4d5e6f";
        assert_eq!(
            crate::resource::ip::link_names(uuid, "ip#1"),
            ("omf6f1803dd95ah".to_string(), "omf6f1803dd95an".to_string())
        );
        assert_eq!(
            crate::resource::ip::link_names("a", "ip#1").0,
            "ome5514f513680h"
        );
        assert_eq!(
            crate::nodes::sync::digest("[DEFAULT]\nid = x\n"),
            "2bb91e20731a33ef869196b0bfacc640"
        );
    }
}
