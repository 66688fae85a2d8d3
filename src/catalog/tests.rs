use super::*;

#[test]
fn key_order_is_the_order_of_key_roots() {
    // `-` (0x2d) sorts before `/` (0x2f): "a-b/" < "a/", though "a" < "a-b".
    let names = ["a", "a-b", "a.b", "a0", "ab", "", "b", "a/"];
    for x in names {
        for y in names {
            assert_eq!(key_order(x, y), key_root(x).cmp(&key_root(y)), "{x:?} {y:?}");
        }
    }
}
