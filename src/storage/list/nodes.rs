//! The quicklist's sequence of nodes: a `VecDeque`, except that a list of one node (every
//! small list) keeps it inline, saving an allocation per list. Only the operations the
//! quicklist uses are provided.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut, Range};

#[derive(Debug, Clone, Default)]
pub(super) enum Nodes<T> {
    #[default]
    Empty,
    One(T),
    Many(VecDeque<T>),
}

pub(super) type Iter<'a, T> = std::iter::Chain<std::slice::Iter<'a, T>, std::slice::Iter<'a, T>>;

impl<T> Nodes<T> {
    pub fn len(&self) -> usize {
        match self {
            Nodes::Empty => 0,
            Nodes::One(_) => 1,
            Nodes::Many(d) => d.len(),
        }
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        match self {
            Nodes::Empty => None,
            Nodes::One(x) => (i == 0).then_some(x),
            Nodes::Many(d) => d.get(i),
        }
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        match self {
            Nodes::Empty => None,
            Nodes::One(x) => (i == 0).then_some(x),
            Nodes::Many(d) => d.get_mut(i),
        }
    }

    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn back(&self) -> Option<&T> {
        self.get(self.len().checked_sub(1)?)
    }

    pub fn front_mut(&mut self) -> Option<&mut T> {
        self.get_mut(0)
    }

    pub fn back_mut(&mut self) -> Option<&mut T> {
        let last = self.len().checked_sub(1)?;
        self.get_mut(last)
    }

    pub fn iter(&self) -> Iter<'_, T> {
        let (a, b): (&[T], &[T]) = match self {
            Nodes::Empty => (&[], &[]),
            Nodes::One(x) => (std::slice::from_ref(x), &[]),
            Nodes::Many(d) => d.as_slices(),
        };
        a.iter().chain(b.iter())
    }

    /// The deque form, converting from the inline forms (when a second node arrives).
    fn deque(&mut self) -> &mut VecDeque<T> {
        if !matches!(self, Nodes::Many(_)) {
            let mut d = VecDeque::with_capacity(4);
            if let Nodes::One(x) = std::mem::take(self) {
                d.push_back(x);
            }
            *self = Nodes::Many(d);
        }
        match self {
            Nodes::Many(d) => d,
            _ => unreachable!("converted just above"),
        }
    }

    /// Back to the inline forms once at most one node is left.
    fn settle(&mut self) {
        if let Nodes::Many(d) = self
            && d.len() <= 1
        {
            *self = match d.pop_front() {
                Some(x) => Nodes::One(x),
                None => Nodes::Empty,
            };
        }
    }

    pub fn push_back(&mut self, x: T) {
        if matches!(self, Nodes::Empty) {
            *self = Nodes::One(x);
        } else {
            self.deque().push_back(x);
        }
    }

    pub fn push_front(&mut self, x: T) {
        if matches!(self, Nodes::Empty) {
            *self = Nodes::One(x);
        } else {
            self.deque().push_front(x);
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        self.remove(0)
    }

    pub fn pop_back(&mut self) -> Option<T> {
        let last = self.len().checked_sub(1)?;
        self.remove(last)
    }

    /// Insert at `i` (<= len).
    pub fn insert(&mut self, i: usize, x: T) {
        if matches!(self, Nodes::Empty) {
            *self = Nodes::One(x);
        } else {
            self.deque().insert(i, x);
        }
    }

    pub fn remove(&mut self, i: usize) -> Option<T> {
        let out = match self {
            Nodes::Empty => None,
            Nodes::One(_) if i == 0 => match std::mem::take(self) {
                Nodes::One(x) => Some(x),
                _ => None,
            },
            Nodes::One(_) => None,
            Nodes::Many(d) => d.remove(i),
        };
        self.settle();
        out
    }

    /// Remove the nodes in `r`.
    pub fn remove_range(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        match self {
            Nodes::Empty => {}
            Nodes::One(_) => *self = Nodes::Empty,
            Nodes::Many(d) => {
                d.drain(r);
            }
        }
        self.settle();
    }

    pub fn retain(&mut self, f: impl FnMut(&T) -> bool) {
        let mut f = f;
        match self {
            Nodes::Empty => {}
            Nodes::One(x) => {
                if !f(x) {
                    *self = Nodes::Empty;
                }
            }
            Nodes::Many(d) => d.retain(f),
        }
        self.settle();
    }
}

impl<T> Index<usize> for Nodes<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(x) => x,
            None => panic!("node index {i} out of range (len {})", self.len()),
        }
    }
}

impl<T> IndexMut<usize> for Nodes<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len();
        match self.get_mut(i) {
            Some(x) => x,
            None => panic!("node index {i} out of range (len {len})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vecdeque_and_stays_inline_when_small() {
        let mut n: Nodes<u32> = Nodes::default();
        let mut m: VecDeque<u32> = VecDeque::new();
        let mut s = 0x9e37_79b9_u64;
        for step in 0..5000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (s >> 8) as u32;
            match s % 9 {
                0 | 1 => {
                    n.push_back(v);
                    m.push_back(v);
                }
                2 => {
                    n.push_front(v);
                    m.push_front(v);
                }
                3 => assert_eq!(n.pop_front(), m.pop_front()),
                4 => assert_eq!(n.pop_back(), m.pop_back()),
                5 => {
                    let i = (v as usize) % (m.len() + 1);
                    n.insert(i, v);
                    m.insert(i, v);
                }
                6 if !m.is_empty() => {
                    let i = (v as usize) % m.len();
                    assert_eq!(n.remove(i), m.remove(i));
                }
                7 => {
                    let a = (v as usize) % (m.len() + 1);
                    let b = a + ((v >> 4) as usize) % (m.len() - a + 1);
                    n.remove_range(a..b);
                    m.drain(a..b);
                }
                _ => {
                    n.retain(|x| x % 3 != 0);
                    m.retain(|x| x % 3 != 0);
                }
            }
            assert_eq!(n.len(), m.len(), "step {step}");
            assert!(n.iter().eq(m.iter()));
            assert!(n.iter().rev().eq(m.iter().rev()));
            assert_eq!(n.front(), m.front());
            assert_eq!(n.back(), m.back());
            match n.len() {
                0 => assert!(matches!(n, Nodes::Empty)),
                1 => assert!(matches!(n, Nodes::One(_))),
                _ => assert!(matches!(n, Nodes::Many(_))),
            }
        }
    }
}
