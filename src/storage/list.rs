//! The list type. Placeholder until the lists family lands; see issue 3.

/// A list value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {}

impl List {
    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }
}
