use super::*;
use crate::column::ColumnType;

/// Values of every kind a column meets, usual and not: numbers in both notations, codes with
/// leading zeros, points in time and dates, markers, ticks, words, padding, an overflow.
const MIXED: [&str; 30] = [
    "81",
    "-3",
    "+7",
    "0",
    "007",
    "81,5",
    "-0,5",
    "01,5",
    "1.234",
    "1.234,5",
    "12.5",
    "1e3",
    "x",
    "-",
    "k.A.",
    "",
    "  42 ",
    " 2,5",
    "01.01.2024 00:00",
    "31.12.2024 13:45",
    "2024-01-01T08:00:00Z",
    "2024-01-01",
    "31.12.2024",
    "ja",
    "99999999999999999999",
    "9007199254740993",
    "abc",
    "12:30",
    "1,5e3",
    "…",
];

/// A column's first values, before the ones compared: enough to settle it (the first 1,000
/// values are tested against every reading).
fn prefixes() -> Vec<Vec<String>> {
    let n = 1_200;
    vec![
        (0..n).map(|i| (i % 350).to_string()).collect(),
        (0..n).map(|i| format!("{},{}", i % 90, i % 10)).collect(),
        (0..n).map(|i| format!("{}.5", i % 90)).collect(),
        (0..n)
            .map(|i| format!("{:02}.01.2024 {:02}:00", i % 28 + 1, i % 24))
            .collect(),
        (0..n).map(|i| format!("Parkhaus {i}")).collect(),
        (0..n).map(|i| ["ja", "nein"][i % 2].to_string()).collect(),
        (0..n)
            .map(|i| format!("{:02}.01.2024", i % 28 + 1))
            .collect(),
        (0..n).map(|i| (i % 12).to_string()).take(999).collect(),
    ]
}

fn decisions() -> Vec<Decision> {
    let d = |kind, numbers| Decision {
        kind,
        numbers,
        ticks: false,
        reason: None,
    };
    vec![
        d(ColumnType::Integer, NumberStyle::German),
        d(ColumnType::Integer, NumberStyle::Point),
        d(ColumnType::Decimal, NumberStyle::German),
        d(ColumnType::Decimal, NumberStyle::Point),
        d(ColumnType::Timestamp, NumberStyle::German),
        d(ColumnType::Date, NumberStyle::German),
        d(ColumnType::Boolean, NumberStyle::German),
        d(ColumnType::Text, NumberStyle::German),
    ]
}

/// Observing and converting in one call gives what observing and then converting gives:
/// the same inference state (every flag and count), the same values and the same lost
/// values, for every column type and style after every kind of column start: each of the
/// mixed values on its own after the start, and all of them one after another.
#[test]
fn push_observed_is_observe_then_push() {
    let mut fast_taken = 0;
    for prefix in prefixes() {
        for decision in decisions() {
            let mut runs: Vec<Vec<&str>> = MIXED.iter().map(|v| vec![*v]).collect();
            runs.push(MIXED.to_vec());
            for run in runs {
                let values = prefix.iter().map(String::as_str).chain(run);
                fast_taken += compare(&decision, values, prefix.len() as u64);
            }
        }
    }
    // The settled number and timestamp columns take their usual values the one-read way.
    assert!(fast_taken > 10_000, "{fast_taken}");
}

/// Feeds `values` both ways, comparing the inference states from row `from` on (a difference
/// stays: counts only grow, flags only turn one way) and every value; how many took the
/// one-read way.
fn compare<'v>(decision: &Decision, values: impl Iterator<Item = &'v str>, from: u64) -> usize {
    let mut fast_taken = 0;
    let (mut infer_a, mut infer_b) = (Infer::default(), Infer::default());
    let mut a = ColumnBuilder::new(decision, 16);
    let mut b = ColumnBuilder::new(decision, 16);
    for (row, v) in (1u64..).zip(values) {
        let cell = if v.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(v)
        };
        // Whether the one-read path takes this value, asked of copies.
        if let Cell::Text(s) = cell {
            let mut probe = ColumnBuilder::new(decision, 1);
            fast_taken += usize::from(probe.push_known(values::trim(s), &mut infer_a.clone()));
        }
        let kept_a = a.push_observed(cell, &mut infer_a, row);
        infer_b.observe(row, cell);
        let kept_b = b.push(cell);
        assert_eq!(kept_a, kept_b, "{decision:?} {v:?} row {row}");
        if row < from {
            continue;
        }
        assert_eq!(
            format!("{infer_a:?}"),
            format!("{infer_b:?}"),
            "{decision:?} {v:?} row {row}"
        );
    }
    assert_eq!(a.finish().as_ref(), b.finish().as_ref(), "{decision:?}");
    fast_taken
}
