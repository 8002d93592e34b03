//! The two sorts Redis 7.0 applies to search results, reproduced step for step because
//! points at the same distance (or at a NaN distance, which compares inconsistently) come
//! out in whatever order the algorithm leaves them:
//!
//! - [`merge_sort`]: glibc 2.36's `qsort`, a top-down merge sort (left half of `n / 2`
//!   elements, the left element taken on ties), used when every result is returned;
//! - [`partial_sort`]: Redis's `pqsort` (the Bentley-McIlroy quicksort of NetBSD's libc,
//!   skipping partitions outside the wanted range), used when COUNT keeps fewer results.
//!   Redis 7.0's copy has no switch to insertion sort after a swap-free partition (some
//!   later copies do): its answers on ties show it.
//!
//! Comparators return a C-style `i32` (negative, zero, positive).

/// Sort `v` as glibc's merge sort does.
pub fn merge_sort<T: Clone>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32) {
    let mut tmp: Vec<T> = Vec::with_capacity(v.len());
    msort(v, &mut tmp, cmp);
}

fn msort<T: Clone>(v: &mut [T], tmp: &mut Vec<T>, cmp: &impl Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut v[..n1], tmp, cmp);
    msort(&mut v[n1..], tmp, cmp);
    tmp.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) <= 0 {
            tmp.push(v[i].clone());
            i += 1;
        } else {
            tmp.push(v[j].clone());
            j += 1;
        }
    }
    tmp.extend_from_slice(&v[i..n1]);
    // What is left of the right half is already in place.
    let done = tmp.len();
    v[..done].clone_from_slice(tmp);
}

/// Order `v` so that positions `lo..=hi` hold what a full sort would put there, as
/// Redis's `pqsort(v, n, size, cmp, lo, hi)` does.
pub fn partial_sort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32, lo: usize, hi: usize) {
    pqsort(v, 0, v.len(), cmp, lo, hi);
}

fn insertion_sort<T>(v: &mut [T], a: usize, n: usize, cmp: &impl Fn(&T, &T) -> i32) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) > 0 {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> i32) -> usize {
    if cmp(&v[a], &v[b]) < 0 {
        if cmp(&v[b], &v[c]) < 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) > 0 {
        b
    } else if cmp(&v[a], &v[c]) < 0 {
        a
    } else {
        c
    }
}

/// Swap the `n` elements from `a` with the `n` from `b`, in increasing order.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Whether the partition `a..a + n` holds none of `lo..=hi` (then it is left unsorted).
fn outside(a: usize, n: usize, lo: usize, hi: usize) -> bool {
    (lo < a && hi < a) || (lo >= a + n && hi >= a + n)
}

fn pqsort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> i32,
    lo: usize,
    hi: usize,
) {
    loop {
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        // Pivot at `a`; equal keys gather at both ends (a+1..pa and pd+1..a+n), smaller
        // ones in pa..pb, larger ones in pc+1..=pd.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[a]);
                if r > 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[a]);
                if r < 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && !outside(a, left, lo, hi) {
            pqsort(v, a, left, cmp, lo, hi);
        }
        let right = pd - pc;
        if right > 1 {
            a = pn - right;
            n = right;
            if !outside(a, n, lo, hi) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    fn by_key(a: &(u32, usize), b: &(u32, usize)) -> i32 {
        match a.0.cmp(&b.0) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }
    }

    #[test]
    fn merge_sort_is_a_stable_sort() {
        let mut r = rng(7);
        for len in [0usize, 1, 2, 3, 10, 41, 200, 1000] {
            let v: Vec<(u32, usize)> = (0..len).map(|i| ((r() % 20) as u32, i)).collect();
            let mut got = v.clone();
            merge_sort(&mut got, &by_key);
            let mut want = v;
            want.sort_by_key(|x| x.0);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn partial_sort_places_the_wanted_range() {
        let mut r = rng(11);
        for len in [1usize, 5, 7, 8, 40, 41, 100, 1000] {
            for _ in 0..20 {
                let v: Vec<(u32, usize)> = (0..len).map(|i| ((r() % 50) as u32, i)).collect();
                let hi = (r() as usize) % len;
                let mut got = v.clone();
                partial_sort(&mut got, &by_key, 0, hi);
                let mut want = v.clone();
                want.sort_by_key(|x| x.0);
                let keys = |s: &[(u32, usize)]| s.iter().map(|x| x.0).collect::<Vec<_>>();
                assert_eq!(keys(&got[..=hi]), keys(&want[..=hi]));
                // A permutation of the input.
                let mut ids: Vec<usize> = got.iter().map(|x| x.1).collect();
                ids.sort_unstable();
                assert_eq!(ids, (0..len).collect::<Vec<_>>());
                // The full range sorts everything.
                let mut all = v.clone();
                partial_sort(&mut all, &by_key, 0, len - 1);
                assert_eq!(keys(&all), keys(&want));
            }
        }
    }

    #[test]
    fn inconsistent_comparators_do_not_panic() {
        // NaN distances compare as "less" both ways in Redis's comparator.
        let cmp = |a: &f64, b: &f64| {
            if a > b {
                1
            } else if a == b {
                0
            } else {
                -1
            }
        };
        let mut v: Vec<f64> = (0..100)
            .map(|i| {
                if i % 7 == 0 {
                    f64::NAN
                } else {
                    (i % 13) as f64
                }
            })
            .collect();
        merge_sort(&mut v, &cmp);
        partial_sort(&mut v, &cmp, 0, 10);
        assert_eq!(v.len(), 100);
    }
}
