use super::*;

#[test]
fn glob_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        ("", "", true),
        ("", "a", false),
        ("*", "", true),
        ("*", "anything/at/all", true),
        ("**", "x", true),
        ("?", "", false),
        ("?", "é", true), // a char, not a byte
        ("??", "é", false),
        ("a*b", "ab", true),
        ("a*b", "axxb", true),
        ("a*b", "axxbc", false),
        ("a*b*c", "abbbc", true),
        ("a*b*c", "acb", false),
        ("*.csv", "x.csv.gz", false),
        ("*.csv*", "x.csv.gz", true),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("*a", "bbba", true),
        ("*a", "bbab", false),
        ("a*", "a", true),
        ("*x*", "abc", false),
        ("refs/heads/*", "refs/heads/feature/x", true),
        ("refs/heads/*", "refs/heads", false),
        ("mis*is*ip*i", "mississippi", true),
        ("mis*is*ip*?", "mississippi", true),
        ("mis*is*ip*x", "mississippi", false),
    ];
    for &(p, t, want) in cases {
        assert_eq!(glob_match(p, t), want, "{p:?} vs {t:?}");
    }
}

/// The reference: the textbook dynamic program over (pattern, claim) prefixes.
fn glob_reference(p: &[char], t: &[char]) -> bool {
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &c in p {
        let mut next = vec![false; t.len() + 1];
        next[0] = c == '*' && row[0];
        for j in 1..=t.len() {
            next[j] = match c {
                '*' => next[j - 1] || row[j],
                '?' => row[j - 1],
                _ => row[j - 1] && t[j - 1] == c,
            };
        }
        row = next;
    }
    row[t.len()]
}

/// Every pattern of up to 5 chars over `a b * ?` against every claim of up
/// to 6 chars over `a b`, and a few longer ones across the 64-state words.
#[test]
fn glob_agrees_with_the_reference_everywhere_small() {
    fn all(alphabet: &[char], max: usize) -> Vec<Vec<char>> {
        let mut out = vec![vec![]];
        let mut last = vec![vec![]];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s: &Vec<char>| alphabet.iter().map(move |&c| [s.as_slice(), &[c]].concat()))
                .collect();
            out.extend(last.iter().cloned());
        }
        out
    }
    let pats = all(&['a', 'b', '*', '?'], 5);
    let texts = all(&['a', 'b'], 6);
    for p in &pats {
        let ps: String = p.iter().collect();
        for t in &texts {
            let ts: String = t.iter().collect();
            assert_eq!(glob_match(&ps, &ts), glob_reference(p, t), "{ps:?} vs {ts:?}");
        }
    }
    // Across word boundaries (63, 64, 65 states and more).
    for n in [62, 63, 64, 65, 127, 128, 200] {
        let text: Vec<char> = "ab".repeat(n).chars().collect();
        for p in [
            format!("{}*", "ab".repeat(n / 2)),
            format!("*{}", "ab".repeat(n / 2)),
            format!("*{}?", "ab".repeat(n / 2)),
            format!("{}*b", "a?".repeat(n / 2)),
            format!("*{}*", "ba".repeat(n / 2)),
            format!("*{}a*", "ab".repeat(n / 2)),
            "?".repeat(2 * n),
            "?".repeat(2 * n - 1),
        ] {
            let pc: Vec<char> = p.chars().collect();
            let ts: String = text.iter().collect();
            assert_eq!(glob_match(&p, &ts), glob_reference(&pc, &text), "{p:?} ({n})");
        }
    }
}

/// Claim values are the token holder's to choose (up to the 20,000-character
/// token), patterns the operator's (at most 256 bytes). The work must grow
/// with the claim alone: one pass, a few word operations per character
/// (a 64-state word per 64 pattern characters), whatever the pattern's shape.
/// Backtracking matchers pay claim × pattern here (seconds for a role's
/// 256 conditions); exponential ones never finish.
#[test]
fn glob_work_is_linear_in_the_claim() {
    let long = "a".repeat(255);
    let worst: Vec<(String, String, bool)> = vec![
        // One star, then a literal that almost matches at every offset.
        (format!("*{}b", &long[1..]), "a".repeat(15_000), false),
        (format!("*{}", &long[1..]), "a".repeat(15_000), true),
        // Many stars, each followed by a char the claim is full of.
        (format!("{}b", "*a".repeat(127)), "a".repeat(15_000), false),
        (format!("{}*", "a*".repeat(127)), "a".repeat(15_000), true),
        ("*?".repeat(127), "x".repeat(15_000), true),
        (format!("*{}*c", "ab".repeat(127)), "ab".repeat(7_500), false),
        // Non-ASCII: chars, not bytes.
        (format!("*{}z", "é".repeat(127)), "é".repeat(15_000), false),
    ];
    for (p, t, want) in &worst {
        let (got, steps) = glob_match_counted(p, t);
        assert_eq!(got, *want, "{p:.20}…");
        let words = (p.chars().count() + 1).div_ceil(64);
        let bound = t.chars().count() * words;
        assert!(steps <= bound, "{p:.20}…: {steps} steps, bound {bound}");
    }
}
