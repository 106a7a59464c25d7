//! Per-column statistics gathered while the Parquet snapshot is written: nulls, a bounded
//! distinct-count sketch, min/max and the most frequent values.

use std::collections::HashMap;
use std::hash::Hash;

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

pub struct StatsBuilder {
    nulls: u64,
    /// The smallest hashes seen, sorted (at most `KMV`).
    hashes: Vec<u64>,
    min: Option<Value>,
    max: Option<Value>,
    top: HashMap<String, u64, ahash::RandomState>,
    top_cap: usize,
    hasher: ahash::RandomState,
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
    /// `top_cap` bounds the values tracked for the top list (wide tables get fewer).
    pub fn new(top_cap: usize) -> Self {
        Self {
            nulls: 0,
            hashes: Vec::with_capacity(KMV),
            min: None,
            max: None,
            top: HashMap::default(),
            top_cap,
            hasher: ahash::RandomState::with_seeds(1, 2, 3, 4),
        }
    }

    fn see_hash(&mut self, h: u64) {
        // A sorted vector: a few hundred u64 are searched faster than a tree is walked, and
        // once full, almost every value is rejected by the first comparison.
        let full = self.hashes.len() >= KMV;
        if full && self.hashes.last().is_some_and(|&largest| h >= largest) {
            return;
        }
        if let Err(at) = self.hashes.binary_search(&h) {
            self.hashes.insert(at, h);
            if full {
                self.hashes.pop();
            }
        }
    }

    fn see<T: Hash>(&mut self, v: T) {
        let h = self.hasher.hash_one(v);
        self.see_hash(h);
    }

    fn extreme(&mut self, lo: Value, hi: Value) {
        if self.min.as_ref().is_none_or(|m| less(&lo, m)) {
            self.min = Some(lo);
        }
        if self.max.as_ref().is_none_or(|m| less(m, &hi)) {
            self.max = Some(hi);
        }
    }

    fn count_top(&mut self, key: &str) {
        if let Some(n) = self.top.get_mut(key) {
            *n += 1;
        } else if self.top.len() < self.top_cap {
            let mut k: String = key.chars().take(80).collect();
            k.shrink_to_fit();
            self.top.insert(k, 1);
        }
    }

    pub fn update(&mut self, array: &ArrayRef) {
        self.nulls += array.null_count() as u64;
        match array.data_type() {
            DataType::Int64 => {
                let a: &Int64Array = array.as_primitive();
                for v in a.iter().flatten() {
                    self.see(v);
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
                    self.see(v.to_bits());
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
                    self.see(v);
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
                    self.see(v);
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
                    self.see(v);
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
                for v in a.iter().flatten() {
                    self.see(v);
                    self.count_top(v);
                }
                let (lo, hi) = (
                    datafusion::arrow::compute::min_string(a),
                    datafusion::arrow::compute::max_string(a),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    let cut = |s: &str| Value::String(s.chars().take(80).collect());
                    self.extreme(cut(lo), cut(hi));
                }
            }
            _ => {}
        }
    }

    pub fn finish(self, kind: crate::column::ColumnType) -> ColumnStats {
        let exact = self.hashes.len() < KMV;
        let distinct = if exact {
            self.hashes.len() as u64
        } else {
            let kth = *self.hashes.last().unwrap_or(&u64::MAX) as f64 / u64::MAX as f64;
            ((KMV - 1) as f64 / kth.max(f64::MIN_POSITIVE)).round() as u64
        };
        let mut top: Vec<(String, u64)> = self.top.into_iter().collect();
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
