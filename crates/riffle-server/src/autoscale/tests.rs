use super::*;

const QUARTER: u128 = u128::MAX / 4 + 1;

fn policy() -> Policy {
    Policy { split_after: 2, merge_after: 3, min_shards: 2, ..Policy::default() }
}

/// Four equal shards with these loads; samples spread evenly over each shard's range.
fn shards(loads: [f64; 4]) -> Vec<OpenShard> {
    (0..4u32)
        .map(|i| {
            let start = QUARTER * u128::from(i);
            let end = if i == 3 { u128::MAX } else { start + QUARTER - 1 };
            let samples = (0..100u128).map(|k| start + (QUARTER / 100) * k).collect();
            OpenShard { index: i, start, end, load: loads[i as usize], samples }
        })
        .collect()
}

#[test]
fn a_shard_hot_for_split_after_windows_is_split_at_its_traffic_median() {
    let p = policy();
    let mut streaks = Streaks::default();
    let open = shards([0.5, 3.0, 0.5, 0.5]);
    assert_eq!(p.decide(&open, &mut streaks), None, "one hot window is not enough");
    match p.decide(&open, &mut streaks) {
        Some(Action::Split { shard: 1, at }) => {
            assert_eq!(at, open[1].samples[50], "the median sample");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_short_burst_is_not_sustained_load_but_bursty_heavy_traffic_is() {
    let p = Policy { split_after: 3, ..policy() };
    let mut streaks = Streaks::default();
    for loads in [[0.5, 3.0, 0.5, 0.5], [0.5, 0.0, 0.5, 0.5], [0.5, 0.0, 0.5, 0.5], [0.5, 0.0, 0.5, 0.5]] {
        assert_eq!(p.decide(&shards(loads), &mut streaks), None, "an average of 1.0 at most");
    }
    // Writes every other window, 2.5 times the limit on average.
    let mut streaks = Streaks::default();
    let mut got = None;
    for loads in [[0.5, 5.0, 0.5, 0.5], [0.5, 0.0, 0.5, 0.5], [0.5, 5.0, 0.5, 0.5]] {
        got = p.decide(&shards(loads), &mut streaks);
    }
    assert!(matches!(got, Some(Action::Split { shard: 1, .. })), "{got:?}");
}

#[test]
fn the_split_point_follows_a_hot_key_range() {
    // All traffic in the top few keys of the shard: the split lands among them.
    let mut s = shards([2.0; 4]).remove(0);
    let hot_from = s.end - 1000;
    s.samples = (0..200).map(|k| hot_from + k * 5).collect();
    let at = split_point(&s).unwrap();
    assert!(at > hot_from && at < s.end, "{at}");
    let below = s.samples.iter().filter(|&&k| k < at).count();
    assert!((90..=110).contains(&below), "{below} of 200 below the split");
}

#[test]
fn a_single_hot_key_is_not_split() {
    let mut s = shards([5.0; 4]).remove(2);
    s.samples = vec![s.start + 12345; 100];
    assert_eq!(split_point(&s), None);
    let p = policy();
    let mut streaks = Streaks::default();
    let mut open = shards([0.5; 4]);
    open[2] = s;
    for _ in 0..5 {
        assert_eq!(p.decide(&open, &mut streaks), None);
    }
}

#[test]
fn a_hot_key_at_the_bottom_of_the_samples_splits_above_it() {
    let mut s = shards([5.0; 4]).remove(1);
    let key = s.start + 1000;
    s.samples = [vec![key; 80], vec![key + 7; 20]].concat();
    assert_eq!(split_point(&s), Some(key + 7), "the hot key alone on the low side");
}

#[test]
fn cold_adjacent_pairs_merge_after_merge_after_windows_but_not_below_min_shards() {
    let p = policy();
    let mut streaks = Streaks::default();
    let open = shards([0.01, 0.01, 0.5, 0.5]);
    assert_eq!(p.decide(&open, &mut streaks), None);
    assert_eq!(p.decide(&open, &mut streaks), None);
    assert_eq!(p.decide(&open, &mut streaks), Some(Action::Merge { shard: 0, adjacent: 1 }));

    let two: Vec<_> = shards([0.0; 4]).into_iter().take(2).collect();
    let mut streaks = Streaks::default();
    for _ in 0..10 {
        assert_eq!(p.decide(&two, &mut streaks), None, "already at min_shards");
    }
}

#[test]
fn hot_shards_split_before_anything_merges() {
    let p = Policy { split_after: 1, merge_after: 1, ..policy() };
    let mut streaks = Streaks::default();
    let got = p.decide(&shards([0.0, 0.0, 0.0, 4.0]), &mut streaks);
    assert!(matches!(got, Some(Action::Split { shard: 3, .. })), "{got:?}");
}

#[test]
fn demand_keeps_a_bounded_sample_of_every_record_offered() {
    let d = Demand::default();
    let shard = ShardKey::new(1, 0);
    let records: Vec<_> = (0..10_000u128).map(|k| (shard, k, 100)).collect();
    d.offer(&records);
    let taken = d.take();
    let got = &taken[&shard];
    assert_eq!((got.records, got.bytes), (10_000, 1_000_000));
    assert_eq!(got.samples.len(), SAMPLES);
    // Reservoir sampling keeps late records too, not only the first SAMPLES.
    assert!(got.samples.iter().any(|&k| k >= 5_000));
    assert!(d.take().is_empty(), "take starts a new window");
}
