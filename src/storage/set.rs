//! The set type. Placeholder until the sets family lands; see issue 3.

/// A set value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {}

impl Set {
    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        "intset"
    }
}
