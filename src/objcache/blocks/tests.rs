use super::*;

fn br(start: u64, end: u64) -> ByteRange {
    ByteRange { start, end }
}

#[test]
fn layouts() {
    let small = Layout::new(10, 16, 4);
    assert!(small.whole);
    assert_eq!((small.count(), small.block(0)), (1, br(0, 9)));
    let big = Layout::new(10, 8, 4);
    assert!(!big.whole);
    assert_eq!(big.count(), 3);
    assert_eq!(
        [big.block(0), big.block(1), big.block(2)],
        [br(0, 3), br(4, 7), br(8, 9)]
    );
    assert_eq!(big.span(br(3, 8)), (0, 2));
    assert_eq!(big.within(1, br(3, 8)), Some(br(0, 3)));
    assert_eq!(big.within(2, br(3, 8)), Some(br(0, 0)));
    assert_eq!(Layout::new(0, 8, 4).count(), 0);
}

#[test]
fn plan_mixes_stored_and_fetched() {
    let l = Layout::new(20, 0, 4); // blocks 0..=4
    let steps = plan(&l, br(2, 17), &[true, false, false, true, false]);
    assert_eq!(
        steps,
        vec![
            Step::Stored {
                index: 0,
                within: br(2, 3)
            },
            Step::Fetch {
                first: 1,
                last: 2,
                emit: br(4, 11)
            },
            Step::Stored {
                index: 3,
                within: br(0, 3)
            },
            Step::Fetch {
                first: 4,
                last: 4,
                emit: br(16, 17)
            },
        ]
    );
}

#[test]
fn too_many_runs_become_one() {
    let l = Layout::new(20, 0, 4);
    let steps = plan(&l, br(0, 19), &[false, true, false, true, false]);
    assert_eq!(
        steps,
        vec![Step::Fetch {
            first: 0,
            last: 4,
            emit: br(0, 19)
        }]
    );
}

#[test]
fn byte_slice() {
    let mut s = ByteSlice::new(br(3, 7));
    assert_eq!(s.feed(2), None);
    assert_eq!(s.feed(4), Some(1..4));
    assert!(!s.done());
    assert_eq!(s.feed(10), Some(0..2));
    assert!(s.done());
}

#[test]
fn cutter_splits_chunks() {
    let l = Layout::new(10, 0, 4);
    let mut c = Cutter::new(l, 1, 2, br(5, 8));
    assert_eq!(c.run(), br(4, 9));
    let cut = c.feed(3); // 4..=6
    assert_eq!(cut.to_entries, vec![(1, 0..3, false)]);
    assert_eq!(cut.to_answer, Some(1..3));
    let cut = c.feed(10); // 7..=9, then nothing
    assert_eq!(cut.to_entries, vec![(1, 0..1, true), (2, 1..3, true)]);
    assert_eq!(cut.to_answer, Some(0..2));
    assert!(c.done());
    assert_eq!(c.feed(5), Cut::default());
}

#[test]
fn entries_inside_a_run() {
    let l = Layout::new(10, 0, 4); // [0,3] [4,7] [8,9]
    assert_eq!(l.inside(br(0, 9)), Some((0, 2)));
    assert_eq!(l.inside(br(4, 7)), Some((1, 1)));
    assert_eq!(l.inside(br(1, 8)), Some((1, 1)));
    assert_eq!(l.inside(br(1, 6)), None);
    assert_eq!(
        l.inside(br(6, 9)),
        Some((2, 2)),
        "the short last block ends at the object's end"
    );
    assert_eq!(l.inside(br(8, 100)), Some((2, 2)));
    assert_eq!(l.inside(br(10, 12)), None);
    let whole = Layout::new(10, 16, 4);
    assert_eq!(whole.inside(br(0, 9)), Some((0, 0)));
    assert_eq!(whole.inside(br(0, 8)), None);
    assert_eq!(whole.inside(br(1, 9)), None);
}

#[test]
fn a_cutter_over_an_unaligned_run_fills_only_whole_entries() {
    let l = Layout::new(10, 0, 4);
    // Bytes 2..=9 (a suffix read): entry 0 is cut off, entries 1 and 2 are whole.
    let mut c = Cutter::over(l, br(2, 9), br(3, 9));
    assert_eq!(c.entries(), Some((1, 2)));
    let cut = c.feed(3); // 2..=4
    assert_eq!(cut.to_entries, vec![(1, 2..3, false)]);
    assert_eq!(cut.to_answer, Some(1..3));
    let cut = c.feed(5); // 5..=9
    assert_eq!(cut.to_entries, vec![(1, 0..3, true), (2, 3..5, true)]);
    assert_eq!(cut.to_answer, Some(0..5));
    assert!(c.done());
    let mut none = Cutter::over(l, br(1, 6), br(1, 6));
    assert_eq!(none.entries(), None);
    let cut = none.feed(6);
    assert!(cut.to_entries.is_empty());
    assert_eq!(cut.to_answer, Some(0..6));
    assert!(none.done());
}

#[test]
fn exact_when_the_body_is_one_entry_and_the_whole_answer() {
    let l = Layout::new(10, 0, 4);
    assert!(Cutter::new(l, 1, 1, br(4, 7)).exact());
    assert!(Cutter::over(l, br(8, 9), br(8, 9)).exact(), "the short last block");
    assert!(!Cutter::new(l, 1, 1, br(4, 6)).exact(), "the answer takes part of it");
    assert!(!Cutter::new(l, 1, 2, br(4, 9)).exact(), "two entries");
    assert!(!Cutter::over(l, br(3, 7), br(3, 7)).exact(), "byte 3 is no entry's");
    let whole = Layout::new(10, 16, 4);
    assert!(Cutter::over(whole, br(0, 9), br(0, 9)).exact());
}
