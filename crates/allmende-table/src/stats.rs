//! Per-column statistics gathered while the Parquet snapshot is written: nulls, a bounded
//! distinct-count sketch, min/max and the most frequent values.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use serde_json::Value;

use crate::column::ColumnStats;

/// Exact distinct counts up to this many values; a k-minimum-values estimate beyond.
const KMV: usize = 256;
const TOP: usize = 10;
/// Slots of one column's direct-mapped memory of kept hashes at most (several times `KMV`)…
const RECENT: usize = 1024;
/// … and bytes of all columns' together at most: a wide table gets fewer slots per column
/// (9 columns: 1,024 each; 2,000 columns: 8 each), so that they never weigh on its reader's
/// memory limit (8 KiB per column did, for 2,000 columns).
const RECENT_BYTES: usize = 128 << 10;

/// Slots of each column's memory of kept hashes for a table of `columns` columns: a power of
/// two, at least two (a slot starts with a value its low bits do not name).
fn recent_slots(columns: usize) -> usize {
    let per = (RECENT_BYTES / 8 / columns.max(1)).clamp(2, RECENT);
    1 << per.ilog2()
}

pub struct StatsBuilder {
    nulls: u64,
    /// The smallest hashes seen, sorted (at most `KMV`).
    hashes: Vec<u64>,
    /// The same hashes as a set. In a column of few values nearly every value's hash is one
    /// already kept, and looking it up here costs less than a binary search of `hashes` for
    /// every value (that search was ≈ 40 % of `SnapshotWriter::write_arrays`' own samples on
    /// the 1M-row benchmark file).
    kept: hashbrown::HashTable<u64>,
    /// A kept hash in the slot its low bits name: most values of a column of few values are
    /// answered by this one comparison, before the set is asked (`see_hash`). A slot may still
    /// hold a hash the sketch has dropped since: dropped hashes are larger than every kept one,
    /// and the sketch turns them away before this is asked.
    recent: Box<[u64]>,
    min: Option<Value>,
    max: Option<Value>,
    /// Values (their first `TOP_KEY_CHARS` characters) and how often they came, at most
    /// `top_cap` of them; looked up by the hash the distinct count computed already.
    top: hashbrown::HashTable<(Box<str>, u64)>,
    top_cap: usize,
    hasher: ahash::RandomState,
}

/// Where the set of kept hashes files `h`. The kept hashes are the smallest, so their high bits
/// are all zero, and the table places and tells entries apart by those bits too; multiplying
/// by an odd constant carries the low bits up (and no two hashes share a slot).
fn slot(h: u64) -> u64 {
    h.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash of a fixed-width value (a number, a date, a time stamp as its 64 bits): a
/// bijective mix of all its bits (the finaliser of SplitMix64), inlined where ahash's
/// `hash_one` was a call per value; spread evenly enough for the k-minimum-values estimate.
#[inline]
fn hash_bits(bits: u64) -> u64 {
    let mut z = bits.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Characters of a value that the top list keeps (and tells values apart by).
const TOP_KEY_CHARS: usize = 80;

/// A value as the top list keeps it: at most `TOP_KEY_CHARS` characters.
fn top_key(s: &str) -> &str {
    if s.len() <= TOP_KEY_CHARS {
        return s;
    }
    match s.char_indices().nth(TOP_KEY_CHARS) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

fn less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or_default() < y.as_f64().unwrap_or_default()
        }
        (Value::String(x), Value::String(y)) => x < y,
        (Value::Bool(x), Value::Bool(y)) => !x & y,
        _ => false,
    }
}

impl StatsBuilder {
    /// `top_cap` bounds the values tracked for the top list, and `columns` (the table's) the
    /// memory of kept hashes: wide tables get fewer of both.
    pub fn new(top_cap: usize, columns: usize) -> Self {
        Self {
            nulls: 0,
            hashes: Vec::with_capacity(KMV),
            kept: hashbrown::HashTable::new(),
            // No hash matches the value its slot starts with: its low bits name another slot.
            recent: (0..recent_slots(columns)).map(|i| (i ^ 1) as u64).collect(),
            min: None,
            max: None,
            top: hashbrown::HashTable::new(),
            top_cap,
            hasher: ahash::RandomState::with_seeds(1, 2, 3, 4),
        }
    }

    #[inline]
    fn see_hash(&mut self, h: u64) {
        // The sorted vector knows the largest hash kept: once full, almost every value is
        // turned away by this comparison, and `recent` answers for most of the rest.
        if self.hashes.len() >= KMV && self.hashes.last().is_some_and(|&largest| h >= largest) {
            return;
        }
        if self.recent[self.recent_slot(h)] != h {
            self.keep_hash(h);
        }
    }

    /// Where `recent` files `h`: its low bits.
    #[inline]
    fn recent_slot(&self, h: u64) -> usize {
        (h as usize) & (self.recent.len() - 1)
    }

    /// A hash smaller than the largest kept (or the sketch not full yet) that `recent` did not
    /// know: kept already (the set says), or kept now in its place.
    #[inline(never)]
    fn keep_hash(&mut self, h: u64) {
        let remembered = self.recent_slot(h);
        self.recent[remembered] = h;
        if self.kept.find(slot(h), |&k| k == h).is_some() {
            return;
        }
        let full = self.hashes.len() >= KMV;
        // Not kept yet: its place in the sorted vector.
        let at = self.hashes.partition_point(|&k| k < h);
        self.hashes.insert(at, h);
        self.kept.insert_unique(slot(h), h, |&k| slot(k));
        if full
            && let Some(gone) = self.hashes.pop()
            && let Ok(entry) = self.kept.find_entry(slot(gone), |&k| k == gone)
        {
            entry.remove();
        }
    }

    #[inline]
    fn see_bits(&mut self, bits: u64) {
        self.see_hash(hash_bits(bits));
    }

    fn extreme(&mut self, lo: Value, hi: Value) {
        if self.min.as_ref().is_none_or(|m| less(&lo, m)) {
            self.min = Some(lo);
        }
        if self.max.as_ref().is_none_or(|m| less(m, &hi)) {
            self.max = Some(hi);
        }
    }

    fn count_top(&mut self, key: &str) -> bool {
        let key = top_key(key);
        let h = self.hasher.hash_one(key);
        self.count_top_hashed(h, key)
    }

    /// Counts `key` (already cut to its top-list form, `h` its hash); `false` when the list is
    /// full without it.
    fn count_top_hashed(&mut self, h: u64, key: &str) -> bool {
        if let Some((_, n)) = self.top.find_mut(h, |(k, _)| **k == *key) {
            *n += 1;
            return true;
        }
        if self.top.len() >= self.top_cap {
            return false;
        }
        let hasher = &self.hasher;
        self.top
            .insert_unique(h, (key.into(), 1), |(k, _)| hasher.hash_one(&**k));
        true
    }

    pub fn update(&mut self, array: &ArrayRef) {
        self.nulls += array.null_count() as u64;
        match array.data_type() {
            DataType::Int64 => {
                let a: &Int64Array = array.as_primitive();
                for v in a.iter().flatten() {
                    self.see_bits(v as u64);
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min(a),
                    datafusion::arrow::compute::max(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    self.extreme(lo.into(), hi.into());
                }
            }
            DataType::Float64 => {
                let a: &Float64Array = array.as_primitive();
                for v in a.iter().flatten() {
                    self.see_bits(v.to_bits());
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min(a),
                    datafusion::arrow::compute::max(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    self.extreme(lo.into(), hi.into());
                }
            }
            DataType::Boolean => {
                let a: &BooleanArray = array.as_boolean();
                for v in a.iter().flatten() {
                    self.see_bits(u64::from(v));
                    self.count_top(if v { "true" } else { "false" });
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min_boolean(a),
                    datafusion::arrow::compute::max_boolean(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    self.extreme(lo.into(), hi.into());
                }
            }
            DataType::Date32 => {
                let a: &Date32Array = array.as_primitive();
                for v in a.iter().flatten() {
                    self.see_bits(v as u64);
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min(a),
                    datafusion::arrow::compute::max(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    let day = |d: i32| {
                        chrono::NaiveDate::from_num_days_from_ce_opt(d + 719_163)
                            .map(|d| Value::String(d.to_string()))
                            .unwrap_or(Value::Null)
                    };
                    self.extreme(day(lo), day(hi));
                }
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                let a: &TimestampMicrosecondArray = array.as_primitive();
                for v in a.iter().flatten() {
                    self.see_bits(v as u64);
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min(a),
                    datafusion::arrow::compute::max(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    let ts = |t: i64| {
                        chrono::DateTime::from_timestamp_micros(t)
                            .map(|t| {
                                Value::String(t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
                            })
                            .unwrap_or(Value::Null)
                    };
                    self.extreme(ts(lo), ts(hi));
                }
            }
            DataType::Utf8 => {
                let a: &StringArray = array.as_string();
                // One hash per value serves the distinct count and the top list (nearly every
                // value is shorter than a top-list key).
                let mut untracked = false;
                for v in a.iter().flatten() {
                    let h = self.hasher.hash_one(v);
                    self.see_hash(h);
                    let key = top_key(v);
                    let key_hash = if key.len() == v.len() {
                        h
                    } else {
                        self.hasher.hash_one(key)
                    };
                    untracked |= !self.count_top_hashed(key_hash, key);
                }
                // Cutting a value keeps its order, so min and max of the cut values are the cut
                // min and max. Values in the top list count at the end; a batch with others
                // is compared now.
                if untracked
                    && let (Some(lo), Some(hi)) = (
                        datafusion::arrow::compute::min_string(a),
                        datafusion::arrow::compute::max_string(a),
                    )
                {
                    self.extreme(
                        Value::String(top_key(lo).into()),
                        Value::String(top_key(hi).into()),
                    );
                }
            }
            _ => {}
        }
    }

    pub fn finish(mut self, kind: crate::column::ColumnType) -> ColumnStats {
        // A text column's values in the top list owe their part of min and max.
        if kind == crate::column::ColumnType::Text {
            let keys = || self.top.iter().map(|(k, _)| &**k);
            if let (Some(lo), Some(hi)) = (keys().min(), keys().max()) {
                let (lo, hi) = (Value::String(lo.into()), Value::String(hi.into()));
                self.extreme(lo, hi);
            }
        }
        let exact = self.hashes.len() < KMV;
        let distinct = if exact {
            self.hashes.len() as u64
        } else {
            let kth = *self.hashes.last().unwrap_or(&u64::MAX) as f64 / u64::MAX as f64;
            ((KMV - 1) as f64 / kth.max(f64::MIN_POSITIVE)).round() as u64
        };
        let mut top: Vec<(String, u64)> = self
            .top
            .into_iter()
            .map(|(k, n)| (k.into_string(), n))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP);
        // Top values only say something when values repeat.
        let top = if top.first().is_some_and(|t| t.1 > 1) {
            top.into_iter()
                .map(|(k, n)| {
                    let v = match kind {
                        crate::column::ColumnType::Integer => k
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(k)),
                        crate::column::ColumnType::Boolean => Value::Bool(k == "true"),
                        _ => Value::String(k),
                    };
                    (v, n)
                })
                .collect()
        } else {
            Vec::new()
        };
        ColumnStats {
            nulls: self.nulls,
            distinct,
            distinct_exact: exact,
            min: self.min,
            max: self.max,
            top,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::column::ColumnType;

    fn text_stats(batches: &[Vec<Option<String>>], top_cap: usize) -> ColumnStats {
        let mut b = StatsBuilder::new(top_cap, 1);
        for batch in batches {
            let a: ArrayRef = Arc::new(StringArray::from(batch.clone()));
            b.update(&a);
        }
        b.finish(ColumnType::Text)
    }

    /// The distinct count is exact while fewer than `KMV` hashes are kept, and beyond that
    /// estimated from the `KMV`-th smallest of all values' hashes: the sketch keeps exactly
    /// those, its set beside it no more, however often the values repeat.
    #[test]
    fn the_distinct_count_comes_from_the_smallest_hashes() {
        // A narrow table's columns remember 1,024 kept hashes, a very wide one's two.
        for (n, columns) in [1i64, 7, 255, 256, 257, 400, 5000]
            .into_iter()
            .flat_map(|n| [(n, 9), (n, 100_000)])
        {
            // Each value three times, in rotation, as in a column of measurements.
            let values: Vec<i64> = (0..3).flat_map(|_| (0..n).map(|v| v * 7919)).collect();
            let mut b = StatsBuilder::new(20, columns);
            for chunk in values.chunks(1000) {
                b.update(&(Arc::new(Int64Array::from(chunk.to_vec())) as ArrayRef));
            }
            assert_eq!(b.kept.len(), b.hashes.len(), "{n} values");
            let mut all: Vec<u64> = (0..n).map(|v| hash_bits((v * 7919) as u64)).collect();
            all.sort_unstable();
            all.dedup();
            let s = b.finish(ColumnType::Integer);
            if all.len() < KMV {
                assert!(s.distinct_exact, "{n} values");
                assert_eq!(s.distinct, all.len() as u64);
            } else {
                assert!(!s.distinct_exact, "{n} values");
                let kth = all[KMV - 1] as f64 / u64::MAX as f64;
                assert_eq!(s.distinct, ((KMV - 1) as f64 / kth).round() as u64);
            }
        }
    }

    /// The estimate is near the truth for the columns a portal sees: counters, measurements
    /// with one decimal, days, time stamps a quarter of an hour apart (a k-minimum-values
    /// sketch of 256 hashes errs by about 6 %; a hash that spread such values unevenly would
    /// err by far more).
    #[test]
    fn distinct_estimates_of_regular_values_are_near_the_truth() {
        let n = 100_000i64;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("counter", Arc::new(Int64Array::from_iter_values(0..n))),
            (
                "tenths",
                Arc::new(Float64Array::from_iter_values(
                    (0..n).map(|v| v as f64 / 10.0),
                )),
            ),
            (
                "days",
                Arc::new(Date32Array::from_iter_values(
                    (0..n).map(|v| v as i32 - 50_000),
                )),
            ),
            (
                "quarter hours",
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    (0..n).map(|v| 1_704_067_200_000_000 + v * 900_000_000),
                )),
            ),
            // Text values alike but for a few bytes, short and long: identifiers, numbers as
            // text, addresses.
            (
                "identifiers",
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|v| format!("DE-{v:07}")),
                )),
            ),
            (
                "numbers as text",
                Arc::new(StringArray::from_iter_values((0..n).map(|v| v.to_string()))),
            ),
            (
                "addresses",
                Arc::new(StringArray::from_iter_values((0..n).map(|v| {
                    format!("Hauptstraße {}, 7343{} Aalen", v / 10, v % 10)
                }))),
            ),
        ];
        for (name, array) in columns {
            let mut b = StatsBuilder::new(20, 9);
            for at in (0..array.len()).step_by(8192) {
                b.update(&array.slice(at, 8192.min(array.len() - at)));
            }
            let kind = if array.data_type() == &DataType::Utf8 {
                ColumnType::Text
            } else {
                ColumnType::Integer
            };
            let s = b.finish(kind);
            let error = (s.distinct as f64 - n as f64).abs() / n as f64;
            assert!(error < 0.2, "{name}: {} for {n}", s.distinct);
        }
    }

    /// Min and max of a text column are those of all its values (cut to the top list's length)
    /// whether the values fit in the top list or not; the top list counts long values by their
    /// first characters.
    #[test]
    fn text_extremes_and_top_values_match_a_plain_count() {
        let long = |c: char, tail: &str| format!("{}{tail}", c.to_string().repeat(90));
        let mut batches = Vec::new();
        for round in 0..4 {
            let mut batch: Vec<Option<String>> = Vec::new();
            for i in 0..50 {
                batch.push(Some(format!("Messstelle {}", i % 7)));
                if i % 9 == 0 {
                    batch.push(None);
                }
            }
            // Beyond a small top list: values that only show up later.
            batch.push(Some(format!("Ärztehaus {round}")));
            batch.push(Some(format!("aaa {round}")));
            batch.push(Some(long('ü', &round.to_string())));
            batches.push(batch);
        }
        for cap in [3, 1000] {
            let stats = text_stats(&batches, cap);
            let all: Vec<String> = batches.iter().flatten().flatten().cloned().collect();
            let cut = |s: &String| s.chars().take(80).collect::<String>();
            assert_eq!(
                stats.min,
                Some(Value::String(cut(all.iter().min().unwrap()))),
                "{cap}"
            );
            assert_eq!(
                stats.max,
                Some(Value::String(cut(all.iter().max().unwrap()))),
                "{cap}"
            );
            assert_eq!(stats.nulls, 24);
            assert!(stats.distinct_exact);
            assert_eq!(stats.distinct, 7 + 4 * 3);
            let top = &stats.top[0];
            assert_eq!(top.1, 4 * 8, "{cap}: {top:?}");
            if cap == 1000 {
                // The four long values share their first 80 characters.
                let z = Value::String("ü".repeat(80));
                assert!(
                    stats.top.iter().any(|(v, n)| *v == z && *n == 4),
                    "{:?}",
                    stats.top
                );
            }
        }
    }
}
