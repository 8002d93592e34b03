//! The zset type. Placeholder until the zsets family lands; see issue 3.

/// A zset value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {}

impl ZSet {
    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}
