use super::remaining_ms;

#[test]
fn remaining_budget() {
    assert_eq!(remaining_ms(3000, 1_000, 1_000), 3000);
    assert_eq!(remaining_ms(3000, 1_000, 2_200), 1800);
    assert_eq!(remaining_ms(3000, 1_000, 9_000), 1, "spent: still a (failing) read");
    assert_eq!(
        remaining_ms(3000, 9_000, 1_000),
        3000,
        "a clock going back spends nothing"
    );
    assert_eq!(remaining_ms(u32::MAX, i64::MIN, i64::MAX), 1);
}
