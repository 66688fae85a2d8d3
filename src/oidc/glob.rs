//! `*` / `?` globs of role conditions, matched against claims the token
//! holder chooses: the work depends on the claim's length alone.

/// `*` / `?` glob over chars.
pub(super) fn glob_match(pattern: &str, text: &str) -> bool {
    glob_match_counted(pattern, text).0
}

/// The glob as a set of states run over the claim in one pass (bit-parallel
/// NFA, as in shift-and): state `i` means "the first `i` pattern chars
/// matched". The claim is the token holder's to choose, so the work must not
/// depend on how it interacts with the pattern: a backtracking matcher costs
/// claim × pattern on `*aaa…ab`. Here each claim char costs one update of
/// (pattern length + 1) / 64 words, whatever the pattern's shape. Returns the
/// match and the words updated, for the tests.
fn glob_match_counted(pattern: &str, text: &str) -> (bool, usize) {
    // `**` matches what `*` does; collapsing runs means a star's successor
    // is never a star, so one step of closure below is enough.
    let mut p: Vec<char> = Vec::with_capacity(pattern.len());
    for c in pattern.chars() {
        if !(c == '*' && p.last() == Some(&'*')) {
            p.push(c);
        }
    }
    let m = p.len();
    let words = (m + 1).div_ceil(64);
    let bit = |i: usize| (i / 64, 1u64 << (i % 64));
    // Stars, the states `?` advances from, and per literal char the states it
    // advances from (sorted for binary search; a char not in the pattern
    // advances `?` states only).
    let mut stars = vec![0u64; words];
    let mut any = vec![0u64; words];
    let mut lits: Vec<(char, Vec<u64>)> = Vec::new();
    for (i, &c) in p.iter().enumerate() {
        let (w, b) = bit(i);
        match c {
            '*' => stars[w] |= b,
            '?' => any[w] |= b,
            _ => {
                let at = match lits.binary_search_by(|(k, _)| k.cmp(&c)) {
                    Ok(at) => at,
                    Err(at) => {
                        lits.insert(at, (c, vec![0u64; words]));
                        at
                    }
                };
                if let Some((_, mask)) = lits.get_mut(at) {
                    mask[w] |= b;
                }
            }
        }
    }
    for (_, mask) in &mut lits {
        for (m, a) in mask.iter_mut().zip(&any) {
            *m |= a;
        }
    }
    // A star matches the empty run: its successor is live whenever it is.
    let close = |d: &mut [u64]| {
        let mut carry = 0;
        for (x, s) in d.iter_mut().zip(&stars) {
            let live = *x & s;
            *x |= (live << 1) | carry;
            carry = live >> 63;
        }
    };
    let mut d = vec![0u64; words];
    d[0] = 1;
    close(&mut d);
    let mut steps = 0;
    for c in text.chars() {
        let adv = match lits.binary_search_by(|(k, _)| k.cmp(&c)) {
            Ok(at) => lits.get(at).map_or(&any, |(_, mask)| mask),
            Err(_) => &any,
        };
        // Advance every live state whose pattern char takes `c`; stars stay.
        let mut carry = 0;
        for ((x, a), s) in d.iter_mut().zip(adv).zip(&stars) {
            let moved = *x & a;
            *x = (moved << 1) | carry | (*x & s);
            carry = moved >> 63;
        }
        close(&mut d);
        steps += words;
        if d.iter().all(|&x| x == 0) {
            return (false, steps);
        }
    }
    let (w, b) = bit(m);
    (d.get(w).is_some_and(|x| x & b != 0), steps)
}

#[cfg(test)]
mod tests;
