//! Longest common subsequence for the LCS command, with the match ranges reported in the
//! order and shape Redis reports them (walking back from the ends of both strings).

/// One contiguous run shared by both strings: inclusive byte ranges in `a` and `b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub a: (usize, usize),
    pub b: (usize, usize),
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcs {
    pub len: usize,
    pub sequence: Vec<u8>,
    pub matches: Vec<Match>,
}

/// Classic O(|a|·|b|) table, then a walk back that emits runs as Redis's `lcsCommand` does.
/// The caller bounds the table size before calling.
pub fn lcs(a: &[u8], b: &[u8]) -> Lcs {
    let (alen, blen) = (a.len(), b.len());
    let w = blen + 1;
    let mut t = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let total = t[alen * w + blen] as usize;
    let mut sequence = vec![0u8; total];
    let mut matches = Vec::new();
    let mut idx = total;
    // `a_start == alen` means no run is open.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0, 0, 0);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            sequence[idx - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            matches.push(Match {
                a: (a_start, a_end),
                b: (b_start, b_end),
                len: a_end - a_start + 1,
            });
            a_start = alen;
        }
    }
    Lcs {
        len: total,
        sequence,
        matches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_doc_example() {
        let r = lcs(b"ohmytext", b"mynewtext");
        assert_eq!(r.sequence, b"mytext");
        assert_eq!(r.len, 6);
        assert_eq!(
            r.matches,
            vec![
                Match {
                    a: (4, 7),
                    b: (5, 8),
                    len: 4
                },
                Match {
                    a: (2, 3),
                    b: (0, 1),
                    len: 2
                },
            ]
        );
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(lcs(b"", b"abc").len, 0);
        assert_eq!(lcs(b"abc", b"").matches, vec![]);
    }
}
