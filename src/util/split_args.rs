//! TEMPORARY stand-in until the real split_args lands.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    Some(line.split(|b| *b == b' ').filter(|s| !s.is_empty()).map(|s| s.to_vec()).collect())
}
