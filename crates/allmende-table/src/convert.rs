//! Second pass: turns cells into typed Arrow arrays according to the inferred decision.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};

use crate::column::ColumnType;
use crate::infer::{Cell, Decision, Infer, NumberStyle};
use crate::values;
use crate::values::Reading;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

fn days(d: NaiveDate) -> i32 {
    (d - EPOCH).num_days() as i32
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// A trimmed integer in a column's notation (both ways of converting use this one).
fn integer(style: NumberStyle, s: &str) -> Option<i64> {
    match style {
        NumberStyle::German => values::parse_german_int(s),
        NumberStyle::Point => s.strip_prefix('+').unwrap_or(s).parse().ok(),
    }
}

/// A trimmed decimal in a column's notation.
fn decimal(style: NumberStyle, s: &str) -> Option<f64> {
    match style {
        NumberStyle::German => values::parse_german(s),
        NumberStyle::Point => s.strip_prefix('+').unwrap_or(s).parse().ok(),
    }
}

pub enum ColumnBuilder {
    Integer(Int64Builder, NumberStyle),
    Decimal(Float64Builder, NumberStyle),
    Boolean(BooleanBuilder, bool),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl ColumnBuilder {
    pub fn new(d: &Decision, capacity: usize) -> Self {
        match d.kind {
            ColumnType::Integer => Self::Integer(Int64Builder::with_capacity(capacity), d.numbers),
            ColumnType::Decimal => {
                Self::Decimal(Float64Builder::with_capacity(capacity), d.numbers)
            }
            ColumnType::Boolean => Self::Boolean(BooleanBuilder::with_capacity(capacity), d.ticks),
            ColumnType::Date => Self::Date(Date32Builder::with_capacity(capacity)),
            ColumnType::Timestamp => {
                Self::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity))
            }
            // (A geometry column is never converted from cells: `Plan` keeps it out.)
            ColumnType::Text | ColumnType::Geometry => {
                Self::Text(StringBuilder::with_capacity(capacity, capacity * 8))
            }
        }
    }

    /// Observes one value in `infer` and appends it: what `infer.observe(row, cell)` and then
    /// [`ColumnBuilder::push`] do, with the usual values of a settled number or timestamp
    /// column read once instead of twice.
    #[inline]
    pub fn push_observed(&mut self, cell: Cell<'_>, infer: &mut Infer, row: u64) -> bool {
        if let Cell::Text(raw) = cell
            && self.push_known(values::trim(raw), infer)
        {
            return true;
        }
        infer.observe(row, cell);
        self.push(cell)
    }

    /// Appends a trimmed value and observes it when its reading fits this column and `infer`
    /// can take it as known; `false` (nothing done) otherwise. The value is converted by the
    /// same function as in [`ColumnBuilder::push`].
    #[inline]
    fn push_known(&mut self, s: &str, infer: &mut Infer) -> bool {
        match self {
            Self::Integer(b, style) => {
                if values::known_number(s) == Some(Reading::Digits)
                    && let Some(v) = integer(*style, s)
                    && infer.observe_known(Reading::Digits)
                {
                    b.append_value(v);
                    return true;
                }
            }
            Self::Decimal(b, style) => {
                if let Some(reading) = values::known_number(s)
                    && let Some(v) = decimal(*style, s)
                    && infer.observe_known(reading)
                {
                    b.append_value(v);
                    return true;
                }
            }
            Self::Timestamp(b) => {
                if let Some(t) = values::parse_timestamp(s)
                    && infer.observe_known(Reading::Timestamp)
                {
                    b.append_value(micros(t));
                    return true;
                }
            }
            _ => {}
        }
        false
    }

    /// Appends one value; returns `false` if it had to become null although it was present
    /// (cannot happen after a full inference pass, counted to be safe).
    pub fn push(&mut self, cell: Cell<'_>) -> bool {
        match self {
            Self::Integer(b, style) => {
                let v = match cell {
                    Cell::Int(i) => Some(i),
                    Cell::Float(f) if f.fract() == 0.0 => Some(f as i64),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if values::is_missing_marker(s) {
                            b.append_null();
                            return true;
                        }
                        integer(*style, s)
                    }
                    Cell::Empty => {
                        b.append_null();
                        return true;
                    }
                    _ => None,
                };
                b.append_option(v);
                v.is_some()
            }
            Self::Decimal(b, style) => {
                let v = match cell {
                    Cell::Int(i) => Some(i as f64),
                    Cell::Float(f) => Some(f),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if values::is_missing_marker(s) {
                            b.append_null();
                            return true;
                        }
                        decimal(*style, s)
                    }
                    Cell::Empty => {
                        b.append_null();
                        return true;
                    }
                    _ => None,
                };
                b.append_option(v);
                v.is_some()
            }
            Self::Boolean(b, ticks) => {
                let v = match cell {
                    Cell::Bool(v) => Some(v),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if *ticks {
                            Some(s == "x" || s == "X")
                        } else if values::is_missing_marker(s) {
                            b.append_null();
                            return true;
                        } else {
                            values::parse_bool(s)
                        }
                    }
                    Cell::Empty if *ticks => Some(false),
                    Cell::Empty => {
                        b.append_null();
                        return true;
                    }
                    _ => None,
                };
                b.append_option(v);
                v.is_some()
            }
            Self::Date(b) => {
                let v = match cell {
                    Cell::Date(d) => Some(d),
                    Cell::DateTime(t) => Some(t.date()),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if values::is_missing_marker(s) {
                            b.append_null();
                            return true;
                        }
                        values::parse_date(s)
                    }
                    Cell::Empty => {
                        b.append_null();
                        return true;
                    }
                    _ => None,
                };
                b.append_option(v.map(days));
                v.is_some()
            }
            Self::Timestamp(b) => {
                let v = match cell {
                    Cell::Date(d) => Some(d.and_time(chrono::NaiveTime::MIN)),
                    Cell::DateTime(t) => Some(t),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if values::is_missing_marker(s) {
                            b.append_null();
                            return true;
                        }
                        values::parse_timestamp(s).or_else(|| {
                            values::parse_date(s).map(|d| d.and_time(chrono::NaiveTime::MIN))
                        })
                    }
                    Cell::Empty => {
                        b.append_null();
                        return true;
                    }
                    _ => None,
                };
                b.append_option(v.map(micros));
                v.is_some()
            }
            Self::Text(b) => {
                match cell {
                    Cell::Empty => b.append_null(),
                    Cell::Text(s) => {
                        let s = values::trim(s);
                        if s.is_empty() {
                            b.append_null()
                        } else {
                            b.append_value(s)
                        }
                    }
                    Cell::Int(i) => b.append_value(i.to_string()),
                    Cell::Float(f) => b.append_value(f.to_string()),
                    Cell::Bool(v) => b.append_value(if v { "true" } else { "false" }),
                    Cell::Date(d) => b.append_value(d.to_string()),
                    Cell::DateTime(t) => b.append_value(t.to_string()),
                }
                true
            }
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Integer(b, _) => Arc::new(b.finish()),
            Self::Decimal(b, _) => Arc::new(b.finish()),
            Self::Boolean(b, _) => Arc::new(b.finish()),
            Self::Date(b) => Arc::new(b.finish()),
            Self::Timestamp(b) => Arc::new(b.finish()),
            Self::Text(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
