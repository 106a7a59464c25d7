//! Column type inference over every row (a late `N/A` must not break a load), and the
//! matching conversion of values once the type is decided.

use chrono::{NaiveDate, NaiveDateTime};

use allmende_core::i18n::Msg;

use crate::column::ColumnType;
use crate::values::{self, NumberShape, Reading};

/// One value as a reader delivers it: text from CSV, typed cells from spreadsheets and JSON.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl<'a> Cell<'a> {
    /// The cell without its borrow: a typed value as it is, text handed back to be owned.
    pub fn detach(self) -> Result<Cell<'static>, &'a str> {
        Ok(match self {
            Cell::Text(s) => return Err(s),
            Cell::Empty => Cell::Empty,
            Cell::Int(v) => Cell::Int(v),
            Cell::Float(v) => Cell::Float(v),
            Cell::Bool(v) => Cell::Bool(v),
            Cell::Date(v) => Cell::Date(v),
            Cell::DateTime(v) => Cell::DateTime(v),
        })
    }
}

/// How numbers in a column are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberStyle {
    /// `1.234,56`
    German,
    /// `1234.56`
    Point,
}

/// What a column's values allow so far.
#[derive(Debug, Clone)]
pub struct Infer {
    present: u64,
    int: bool,
    de: bool,
    en: bool,
    de_only: bool,
    de_fraction: bool,
    en_fraction: bool,
    boolean: bool,
    seen_tick: bool,
    /// Only `x` and empties: a tick column.
    ticks: bool,
    date: bool,
    timestamp: bool,
    fits: [u64; 4],
    /// Values tested per family (all while still possible, and the first 1,000 regardless, so
    /// a text column can still say which reading most values had).
    tested: [u64; 4],
    first_misfit: [Option<(u64, String)>; 4],
}

const NUM: usize = 0;
const BOOL: usize = 1;
const DATE: usize = 2;
const INT: usize = 3;

impl Default for Infer {
    fn default() -> Self {
        Self {
            present: 0,
            int: true,
            de: true,
            en: true,
            de_only: false,
            de_fraction: false,
            en_fraction: false,
            boolean: true,
            seen_tick: false,
            ticks: true,
            date: true,
            timestamp: true,
            fits: [0; 4],
            tested: [0; 4],
            first_misfit: Default::default(),
        }
    }
}

/// The decision for one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub kind: ColumnType,
    pub numbers: NumberStyle,
    /// `x`/empty columns: empty means `false`.
    pub ticks: bool,
    pub reason: Option<Msg>,
}

impl Infer {
    pub fn observe(&mut self, row: u64, cell: Cell<'_>) {
        match cell {
            Cell::Empty => {}
            Cell::Int(_) => self.typed(true, true, false, false, false),
            Cell::Float(f) => {
                let integral = f.fract() == 0.0 && f.abs() < 9.0e15;
                if !integral {
                    self.de_fraction = true;
                    self.en_fraction = true;
                }
                self.typed(integral, true, false, false, false)
            }
            Cell::Bool(_) => self.typed(false, false, true, false, false),
            Cell::Date(_) => self.typed(false, false, false, true, true),
            Cell::DateTime(dt) => {
                let midnight = dt.time() == chrono::NaiveTime::MIN;
                self.typed(false, false, false, midnight, true)
            }
            Cell::Text(raw) => self.text(row, values::trim(raw)),
        }
    }

    /// Observes a trimmed text value whose reading the caller has established (one of the
    /// usual numbers, or a point in time), exactly as [`Infer::observe`] would, without
    /// reading it again. Only where this column's state makes that certain: past the first
    /// 1,000 values (which test every reading) and with the readings the value does not have
    /// already ruled out; otherwise `false`, and nothing is observed.
    #[inline]
    pub fn observe_known(&mut self, reading: Reading) -> bool {
        if self.present < 1000 || self.boolean || self.date {
            return false;
        }
        let number = self.int || self.de || self.en;
        match reading {
            // What `text` does with `number_shape` saying int, de and en (digits) or de with a
            // decimal comma; no date or timestamp reading is left to test.
            Reading::Digits | Reading::CommaDecimal => {
                if self.timestamp {
                    return false;
                }
                if number {
                    self.tested[NUM] += 1;
                    self.tested[INT] += 1;
                    self.fits[NUM] += 1;
                    if reading == Reading::Digits {
                        self.fits[INT] += 1;
                    } else {
                        self.int = false;
                        self.en = false;
                        self.de_only = true;
                        self.de_fraction = true;
                    }
                }
            }
            // What `text` does with a value `parse_timestamp` reads, once dates are ruled out
            // and no number reading is left to test.
            Reading::Timestamp => {
                if number || !self.timestamp {
                    return false;
                }
                self.tested[DATE] += 1;
                self.fits[DATE] += 1;
            }
        }
        // None of these values is `x` or a missing marker.
        self.ticks = false;
        self.present += 1;
        true
    }

    fn typed(&mut self, int: bool, num: bool, boolean: bool, date: bool, ts: bool) {
        self.present += 1;
        self.ticks = false;
        self.int &= int;
        self.de &= num;
        self.en &= num;
        self.boolean &= boolean;
        self.date &= date;
        self.timestamp &= ts;
        self.fits[NUM] += num as u64;
        self.fits[INT] += int as u64;
        self.fits[BOOL] += boolean as u64;
        self.fits[DATE] += ts as u64;
        for t in &mut self.tested {
            *t += 1;
        }
    }

    fn misfit(&mut self, family: usize, row: u64, value: &str) {
        if self.first_misfit[family].is_none() {
            let mut v: String = value.chars().take(40).collect();
            if v.len() < value.len() {
                v.push('…');
            }
            self.first_misfit[family] = Some((row, v));
        }
    }

    fn text(&mut self, row: u64, s: &str) {
        if s.is_empty() {
            return;
        }
        if s == "x" || s == "X" {
            self.seen_tick = true;
        } else {
            self.ticks = false;
        }
        if values::is_missing_marker(s) {
            return;
        }
        self.present += 1;
        // Test readings still possible (a column that broke once never becomes typed), and
        // every reading for the first values, for the reason a text column gives.
        let sample = self.present <= 1000;
        if self.int || self.de || self.en || sample {
            self.tested[NUM] += 1;
            self.tested[INT] += 1;
            let shape: NumberShape = values::number_shape(s);
            if shape.int {
                self.fits[INT] += 1;
            } else {
                self.int = false;
            }
            if shape.de || shape.en {
                self.fits[NUM] += 1;
                self.de &= shape.de;
                self.en &= shape.en;
                self.de_only |= shape.comma_decimal || (shape.de && !shape.en);
                self.de_fraction |= shape.comma_decimal;
                self.en_fraction |= !shape.int && shape.en;
            } else {
                self.de = false;
                self.en = false;
                self.misfit(NUM, row, s);
                self.misfit(INT, row, s);
            }
        }
        if self.boolean || sample {
            self.tested[BOOL] += 1;
            if values::parse_bool(s).is_some() {
                self.fits[BOOL] += 1;
            } else {
                self.boolean = false;
                self.misfit(BOOL, row, s);
            }
        }
        if self.date || self.timestamp || sample {
            self.tested[DATE] += 1;
            // A column of points in time reads each value once: the timestamp first once dates
            // alone are ruled out (a date still fits a timestamp column, as midnight).
            let (date, timestamp) = if self.date {
                let date = values::parse_date(s).is_some();
                (date, date || values::parse_timestamp(s).is_some())
            } else {
                let timestamp = values::parse_timestamp(s).is_some();
                (false, timestamp || values::parse_date(s).is_some())
            };
            if timestamp {
                self.date &= date;
                self.fits[DATE] += 1;
            } else {
                self.date = false;
                self.timestamp = false;
                self.misfit(DATE, row, s);
            }
        }
    }

    /// Decides the type. `prefer_german` breaks ties such as `1.234` (a thousand in a German
    /// file, one point two in an international one).
    pub fn decide(&self, prefer_german: bool) -> Decision {
        let mut d = Decision {
            kind: ColumnType::Text,
            numbers: if prefer_german {
                NumberStyle::German
            } else {
                NumberStyle::Point
            },
            ticks: false,
            reason: None,
        };
        if self.present == 0 {
            if self.ticks && self.seen_tick {
                d.kind = ColumnType::Boolean;
                d.ticks = true;
            }
            return d;
        }
        if self.int {
            d.kind = ColumnType::Integer;
            return d;
        }
        if self.de || self.en {
            let german = self.de && (!self.en || self.de_only || prefer_german);
            d.numbers = if german {
                NumberStyle::German
            } else {
                NumberStyle::Point
            };
            // German thousands dots without a decimal part are integers (`1.596.852.249`).
            let fraction = if german {
                self.de_fraction
            } else {
                self.en_fraction
            };
            d.kind = if fraction {
                ColumnType::Decimal
            } else {
                ColumnType::Integer
            };
            return d;
        }
        if self.boolean {
            d.kind = ColumnType::Boolean;
            return d;
        }
        if self.date {
            d.kind = ColumnType::Date;
            return d;
        }
        if self.timestamp {
            d.kind = ColumnType::Timestamp;
            return d;
        }
        // Stays text: say which typed reading most values had and where it broke.
        let (family, label) = [
            (NUM, "ingest.kind_number"),
            (DATE, "ingest.kind_date"),
            (BOOL, "ingest.kind_boolean"),
        ]
        .into_iter()
        .max_by_key(|(f, _)| self.fits[*f] * 1000 / self.tested[*f].max(1))
        .unwrap_or((NUM, "ingest.kind_number"));
        if self.fits[family] * 2 >= self.tested[family]
            && let Some((row, value)) = &self.first_misfit[family]
        {
            d.reason = Some(
                Msg::new("ingest.stays_text")
                    .arg("fits", self.fits[family])
                    .arg("tested", self.tested[family])
                    .msg("kind", Msg::new(label))
                    .arg("value", value)
                    .arg("row", row),
            );
        }
        d
    }
}
