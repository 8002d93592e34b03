//! The hash type. Placeholder until the hashes family lands; see issue 3.

/// A hash value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {}

impl Hash {
    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}
