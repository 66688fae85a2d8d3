//! Sorting through one instantiation of the standard library's sort for the
//! whole crate (wasm size: each element type and comparator sorted with
//! `sort*` otherwise brings its own ~4 KB copy of the algorithm).
//!
//! The sort works on positions (`usize`) and calls the element comparison
//! through `dyn`; the result is then applied to the slice in place. It is
//! stable, and keeps the standard sort's O(n) behaviour on input made of a few
//! already sorted runs (a listing page: keys, then common prefixes).

use std::cmp::Ordering;

/// The positions `0..n` ordered by `cmp`, equal ones in their original order.
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut at: Vec<usize> = (0..n).collect();
    at.sort_by(|&a, &b| cmp(a, b));
    at
}

/// Stable sort of `v` by `cmp`, as `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut at = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    // Position i takes the element now at at[i]: follow each cycle of the
    // permutation once, marking each visited position as done (at[i] = i).
    for start in 0..at.len() {
        let mut i = start;
        loop {
            let j = std::mem::replace(&mut at[i], i);
            if j == start {
                break;
            }
            v.swap(i, j);
            i = j;
        }
    }
}

/// Sorts `v` ascending (stable), as `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests;
