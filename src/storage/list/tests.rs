//! Unit tests of the quicklist, and a model-based test against a plain `VecDeque`.

use super::*;
use std::collections::VecDeque;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// A value from a small alphabet (so LREM/LPOS/LINSERT find matches), sometimes an
/// integer, sometimes long and compressible, sometimes random bytes.
fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0..=3 => vec![b'a' + rng.below(4) as u8],
        4 | 5 => (rng.below(2000) as i64 - 1000).to_string().into_bytes(),
        6 => vec![b'x'; 1 + rng.below(300) as usize],
        7 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
        8 => i64::MIN.to_string().into_bytes(),
        _ => format!("value-{}", rng.below(50)).into_bytes(),
    }
}

fn model_remove(model: &mut VecDeque<Vec<u8>>, v: &[u8], count: i64) -> usize {
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let mut removed = 0;
    let mut items: Vec<Vec<u8>> = model.drain(..).collect();
    if count < 0 {
        items.reverse();
    }
    items.retain(|x| {
        if removed < limit && x.as_slice() == v {
            removed += 1;
            false
        } else {
            true
        }
    });
    if count < 0 {
        items.reverse();
    }
    model.extend(items);
    removed
}

fn run_model(seed: u64, fill: i64, depth: u64, ops: usize) {
    let mut rng = Rng(seed);
    let mut list = List::new(fill, depth);
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for step in 0..ops {
        let op = rng.below(14);
        match op {
            0 | 1 => {
                let v = value(&mut rng);
                list.push_back(&v);
                model.push_back(v);
            }
            2 | 3 => {
                let v = value(&mut rng);
                list.push_front(&v);
                model.push_front(v);
            }
            4 => assert_eq!(list.pop_front(), model.pop_front()),
            5 => assert_eq!(list.pop_back(), model.pop_back()),
            6 => {
                let i = rng.below(model.len() as u64 * 2 + 2) as i64 - model.len() as i64 - 1;
                let expect = list.resolve(i).map(|k| model[k].clone());
                assert_eq!(list.get(i), expect, "get {i}");
                let v = value(&mut rng);
                let ok = list.set(i, &v);
                assert_eq!(ok, expect.is_some());
                if let Some(k) = list.resolve(i) {
                    model[k] = v;
                }
            }
            7 => {
                if !model.is_empty() {
                    let i = rng.below(model.len() as u64) as usize;
                    let v = value(&mut rng);
                    let after = rng.below(2) == 0;
                    assert!(list.insert(i, &v, after));
                    model.insert(if after { i + 1 } else { i }, v);
                }
            }
            8 => {
                let start = rng.below(model.len() as u64 + 2) as usize;
                let count = rng.below(model.len() as u64 / 2 + 3) as usize;
                list.delete_range(start, count);
                let end = (start + count).min(model.len());
                if start < end {
                    model.drain(start..end);
                }
            }
            9 => {
                let v = value(&mut rng);
                let count = rng.below(7) as i64 - 3;
                assert_eq!(list.remove(&v, count), model_remove(&mut model, &v, count));
            }
            10 => {
                let start = rng.below(model.len() as u64 + 1) as usize;
                let count = rng.below(model.len() as u64 + 1) as usize;
                let reverse = rng.below(2) == 0;
                let mut got = Vec::new();
                list.for_range(start, count, reverse, |e| got.push(e.to_vec()));
                let end = (start + count).min(model.len());
                let mut want: Vec<Vec<u8>> = model
                    .iter()
                    .skip(start)
                    .take(end.saturating_sub(start))
                    .cloned()
                    .collect();
                if reverse {
                    want.reverse();
                }
                assert_eq!(got, want, "range {start} {count} {reverse}");
            }
            11 => {
                let v = value(&mut rng);
                assert_eq!(list.position(&v), model.iter().position(|x| *x == v));
            }
            _ => {
                // Bulk growth, so nodes fill up, split and compress.
                for _ in 0..rng.below(60) {
                    let v = value(&mut rng);
                    if rng.below(2) == 0 {
                        list.push_back(&v);
                        model.push_back(v);
                    } else {
                        list.push_front(&v);
                        model.push_front(v);
                    }
                }
            }
        }
        assert_eq!(list.len(), model.len(), "seed {seed} step {step} op {op}");
        list.check();
        if step % 50 == 0 {
            assert_eq!(list.to_vecs(), model.iter().cloned().collect::<Vec<_>>());
        }
    }
    assert_eq!(list.to_vecs(), model.into_iter().collect::<Vec<_>>());
}

#[test]
fn matches_a_vecdeque_model() {
    for (seed, fill, depth) in [
        (1, -2, 0),
        (2, 1, 0),
        (3, 2, 1),
        (4, 3, 2),
        (5, -1, 1),
        (6, 5, 0),
        (7, 0, 3),
        (8, -5, 1),
        (9, 4, 1),
        (10, 16, 2),
    ] {
        run_model(seed, fill, depth, 1500);
    }
}

#[test]
fn node_sizes_follow_the_fill() {
    let mut l = List::new(3, 0);
    for i in 0..10 {
        l.push_back(i.to_string().as_bytes());
    }
    assert_eq!(l.node_count(), 4);
    let mut l = List::new(-1, 0);
    for _ in 0..100 {
        l.push_back(&[b'a'; 100]);
    }
    // 4 KB nodes of ~103-byte entries: 39 per node.
    assert_eq!(l.node_count(), 3);
    // Clamped as Redis clamps: fill -9 behaves as -5, fill 0 as one entry per node.
    let mut l = List::new(-9, 0);
    for _ in 0..1000 {
        l.push_back(&[b'a'; 100]);
    }
    assert_eq!(l.node_count(), 2);
    let mut l = List::new(0, 0);
    for _ in 0..5 {
        l.push_front(b"a");
    }
    assert_eq!(l.node_count(), 5);
    // A positive fill never lets a node pass 8 KB.
    let mut l = List::new(1000, 0);
    for _ in 0..100 {
        l.push_back(&[b'z'; 1000]);
    }
    assert!(l.node_count() >= 12, "{}", l.node_count());
}

#[test]
fn inner_nodes_are_compressed_and_still_readable() {
    let mut l = List::new(16, 1);
    for i in 0..1600 {
        l.push_back(format!("element number {i} of a compressible list").as_bytes());
    }
    l.check();
    assert_eq!(l.node_count(), 100);
    assert_eq!(l.compressed_nodes(), 98);
    assert_eq!(
        l.get(800).unwrap(),
        b"element number 800 of a compressible list"
    );
    assert!(l.set(801, b"changed"));
    assert!(l.insert(802, b"inserted", true));
    l.check();
    assert_eq!(l.compressed_nodes(), l.node_count() - 2);
    let mut got = Vec::new();
    l.for_range(800, 4, false, |e| got.push(e.to_vec()));
    assert_eq!(got[1], b"changed");
    assert_eq!(got[3], b"inserted");
    // Popping down to the end nodes decompresses what becomes an end.
    while l.len() > 20 {
        l.pop_front();
    }
    l.check();
    assert_eq!(l.compressed_nodes(), 0);
    // Depth 2 keeps two plain nodes at each end.
    let mut l = List::new(4, 2);
    for i in 0..100 {
        l.push_front(format!("{i:0>60}").as_bytes());
    }
    l.check();
    assert_eq!(l.compressed_nodes(), 21);
}

#[test]
fn incompressible_nodes_stay_plain() {
    let mut rng = Rng(99);
    let mut l = List::new(4, 1);
    for _ in 0..40 {
        let v: Vec<u8> = (0..30).map(|_| rng.next() as u8).collect();
        l.push_back(&v);
    }
    l.check();
    assert_eq!(l.compressed_nodes(), 0);
}

#[test]
fn integers_and_binary_round_trip() {
    let mut l = List::default();
    for v in [
        &b"0"[..],
        b"-0",
        b"007",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"9223372036854775808",
        b"",
        b"\x00\xff\r\n",
        b" 1",
    ] {
        l.push_back(v);
    }
    assert_eq!(l.get(0).unwrap(), b"0");
    assert_eq!(l.get(1).unwrap(), b"-0");
    assert_eq!(l.get(2).unwrap(), b"007");
    assert_eq!(l.get(4).unwrap(), b"-9223372036854775808");
    assert_eq!(l.get(6).unwrap(), b"");
    assert_eq!(l.get(-1).unwrap(), b" 1");
    assert_eq!(l.get(-10), None);
    assert_eq!(l.get(9), None);
    assert_eq!(l.get(i64::MIN), None);
    assert_eq!(l.position(b"-0"), Some(1));
    assert_eq!(l.position(b"0"), Some(0));
    assert_eq!(l.remove(b"007", 0), 1);
    assert_eq!(l.len(), 8);
}

#[test]
fn node_stays_small() {
    assert!(
        std::mem::size_of::<Node>() <= 32,
        "{}",
        std::mem::size_of::<Node>()
    );
}

#[test]
fn heap_bytes_follow_the_contents() {
    let mut l = List::new(-2, 0);
    l.push_back(b"a");
    l.shrink_ends();
    let one = l.heap_bytes();
    assert!(one >= l.listpack_bytes() && one < 64, "{one}");
    for i in 0..10_000 {
        l.push_back(format!("element {i}").as_bytes());
    }
    let plain = l.heap_bytes();
    assert!(plain >= l.listpack_bytes());
    // The same data with compressed inner nodes takes less.
    let mut c = List::new(-2, 1);
    for i in 0..10_000 {
        c.push_back(format!("element {i}").as_bytes());
    }
    assert!(c.compressed_nodes() > 0);
    assert!(c.heap_bytes() < plain / 2, "{} vs {plain}", c.heap_bytes());
}
