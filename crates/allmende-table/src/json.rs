//! JSON input: an array of objects (streamed element by element), an object holding one such
//! array (`{"data": [...]}`), or newline-delimited JSON. Keys become columns in the order they
//! first appear; nested values are kept as JSON text.

use std::cell::Cell as StdCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use allmende_core::i18n::Msg;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::IngestError;
use crate::infer::Cell;
use crate::source::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    Array,
    Lines,
}

pub struct JsonSource {
    path: PathBuf,
    layout: JsonLayout,
    max_record_bytes: usize,
    headers: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    /// A GeoJSON document's `crs` member, when it has one beside its records.
    pub(crate) crs: Option<Value>,
}

impl JsonSource {
    /// A source whose caller reads the records itself (with `each_object`), without the pass
    /// that collects their keys.
    pub(crate) fn records(path: &Path, layout: JsonLayout, max_record_bytes: usize) -> Self {
        Self {
            path: path.to_path_buf(),
            layout,
            max_record_bytes,
            headers: Vec::new(),
            index: Default::default(),
            crs: None,
        }
    }

    pub fn open(
        path: &Path,
        layout: JsonLayout,
        max_columns: usize,
        max_record_bytes: usize,
    ) -> Result<Self, IngestError> {
        let mut src = Self {
            path: path.to_path_buf(),
            layout,
            max_record_bytes,
            headers: Vec::new(),
            index: Default::default(),
            crs: None,
        };
        let mut headers = Vec::new();
        let mut index = std::collections::HashMap::new();
        src.each_object(&mut |obj| {
            for key in obj.keys() {
                if !index.contains_key(key) {
                    if headers.len() >= max_columns {
                        return Err(IngestError::Data(
                            Msg::new("ingest.json_too_many_keys").arg("max", max_columns),
                        ));
                    }
                    index.insert(key.clone(), headers.len());
                    headers.push(key.clone());
                }
            }
            Ok(())
        })?;
        if headers.is_empty() {
            return Err(IngestError::Data(Msg::new("ingest.json_no_records")));
        }
        src.headers = headers;
        src.index = index;
        Ok(src)
    }

    pub(crate) fn each_object(
        &mut self,
        f: &mut dyn FnMut(Map<String, Value>) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let bad = |e: Msg| IngestError::Data(Msg::new("ingest.json_invalid").msg("reason", e));
        let max = self.max_record_bytes;
        match self.layout {
            JsonLayout::Lines => {
                let mut reader = BufReader::new(File::open(&self.path)?);
                let mut line = Vec::new();
                let mut n = 0usize;
                loop {
                    line.clear();
                    n += 1;
                    // Never more than one record (plus its newline) in memory.
                    let read = (&mut reader)
                        .take(max as u64 + 1)
                        .read_until(b'\n', &mut line)?;
                    if read == 0 {
                        break;
                    }
                    if line.len() > max && line.last() != Some(&b'\n') {
                        return Err(IngestError::Data(
                            Msg::new("ingest.json_line_too_long")
                                .arg("line", n)
                                .arg("mb", max >> 20),
                        ));
                    }
                    let text = std::str::from_utf8(&line)
                        .map_err(|_| bad(Msg::new("ingest.json_line_not_utf8").arg("line", n)))?;
                    let text = text.trim().trim_start_matches('\u{feff}');
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(text) {
                        Ok(Value::Object(m)) => f(m)?,
                        Ok(_) => {
                            return Err(
                                bad(Msg::new("ingest.json_line_not_object").arg("line", n)),
                            );
                        }
                        Err(e) => {
                            return Err(bad(Msg::new("ingest.json_line_error")
                                .arg("line", n)
                                .arg("detail", e)));
                        }
                    }
                }
                Ok(())
            }
            JsonLayout::Array => {
                let mut reader = BufReader::new(File::open(&self.path)?);
                first_significant_byte(&mut reader)?;
                let counter = Rc::new(Counter::default());
                let limited = RecordLimit {
                    inner: reader,
                    counter: counter.clone(),
                    max: max as u64,
                };
                let mut failure = None;
                let mut found = false;
                let mut de = serde_json::Deserializer::from_reader(limited);
                let seed = TopLevel {
                    f,
                    failure: &mut failure,
                    counter: &counter,
                    found: &mut found,
                    crs: &mut self.crs,
                };
                let res = seed.deserialize(&mut de);
                if let Some(e) = failure {
                    return Err(e);
                }
                if let Err(e) = res {
                    if counter.exceeded.get() {
                        return Err(IngestError::Data(
                            Msg::new("ingest.json_record_too_large").arg("mb", max >> 20),
                        ));
                    }
                    return Err(bad(Msg::plain(e)));
                }
                if !found {
                    return Err(bad(Msg::new("ingest.json_no_array")));
                }
                Ok(())
            }
        }
    }
}

fn first_significant_byte(r: &mut BufReader<File>) -> Result<Option<u8>, IngestError> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if buf.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
            continue;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Bytes read since the current record began.
#[derive(Default)]
struct Counter {
    since_mark: StdCell<u64>,
    exceeded: StdCell<bool>,
}

impl Counter {
    fn mark(&self) {
        self.since_mark.set(0);
    }
}

/// Fails the read once one record has taken more than `max` bytes, so that a single huge
/// object (or string) is never built in memory.
struct RecordLimit<R> {
    inner: R,
    counter: Rc<Counter>,
    max: u64,
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.counter.since_mark.get() + n as u64;
        self.counter.since_mark.set(total);
        if total > self.max {
            self.counter.exceeded.set(true);
            return Err(std::io::Error::other("record too large"));
        }
        Ok(n)
    }
}

/// The document: an array of objects, or an object whose first array of objects holds the
/// records (`{"data": [...]}`, `{"meta": {...}, "records": [...]}`); other members are
/// skipped without being kept.
struct TopLevel<'a, 'f> {
    f: &'a mut dyn FnMut(Map<String, Value>) -> Result<(), IngestError>,
    failure: &'f mut Option<IngestError>,
    counter: &'f Counter,
    found: &'f mut bool,
    crs: &'f mut Option<Value>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of objects or an object holding one")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        *self.found = true;
        EachObject {
            f: self.f,
            failure: self.failure,
            counter: self.counter,
            first_decides: false,
            found: None,
        }
        .visit_seq(seq)
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            self.counter.mark();
            if key == "crs" {
                // Small, and bounded by the record limit like any record.
                *self.crs = Some(map.next_value::<Value>()?);
                continue;
            }
            if *self.found {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let mut found = false;
            map.next_value_seed(Member(EachObject {
                f: &mut *self.f,
                failure: &mut *self.failure,
                counter: self.counter,
                first_decides: true,
                found: Some(&mut found),
            }))?;
            *self.found = found;
        }
        Ok(())
    }
}

/// One member of the wrapper object: an array is read if its first element is an object,
/// anything else is skipped.
struct Member<'a, 'f>(EachObject<'a, 'f>);

impl<'de> DeserializeSeed<'de> for Member<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.visit_seq(seq)
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            self.0.counter.mark();
        }
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct EachObject<'a, 'f> {
    f: &'a mut dyn FnMut(Map<String, Value>) -> Result<(), IngestError>,
    failure: &'f mut Option<IngestError>,
    counter: &'f Counter,
    /// Inside a wrapper: an array whose first element is not an object is skipped.
    first_decides: bool,
    found: Option<&'f mut bool>,
}

impl<'de> Visitor<'de> for EachObject<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut first = true;
        loop {
            self.counter.mark();
            let Some(v) = seq.next_element::<Value>()? else {
                break;
            };
            match v {
                Value::Object(m) => {
                    if let Some(found) = self.found.as_deref_mut() {
                        *found = true;
                    }
                    if let Err(e) = (self.f)(m) {
                        *self.failure = Some(e);
                        return Err(A::Error::custom("stopped"));
                    }
                }
                Value::Null => {}
                _ if self.first_decides && first => {
                    // Not the records: skip the rest of this array without keeping it.
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        self.counter.mark();
                    }
                    return Ok(());
                }
                _ => return Err(A::Error::custom("array elements must be objects")),
            }
            first = false;
        }
        Ok(())
    }
}

/// A JSON value as a cell: numbers and booleans typed, nested objects and arrays as their JSON
/// text (`nested`, written by the caller).
pub(crate) fn cell<'a>(v: &'a Value, nested: &'a str) -> Cell<'a> {
    match v {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Cell::Text(s),
        Value::Object(_) | Value::Array(_) => Cell::Text(nested),
    }
}

impl Source for JsonSource {
    fn headers(&self) -> Vec<String> {
        self.headers.clone()
    }

    fn scan(
        &mut self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let width = self.headers.len();
        let index = std::mem::take(&mut self.index);
        let mut nested: Vec<String> = vec![String::new(); width];
        let result = self.each_object(&mut |obj| {
            let mut values: Vec<Option<&Value>> = vec![None; width];
            for (k, v) in &obj {
                if let Some(&i) = index.get(k) {
                    values[i] = Some(v);
                }
            }
            for (i, v) in values.iter().enumerate() {
                if let Some(v @ (Value::Object(_) | Value::Array(_))) = v {
                    nested[i] = v.to_string();
                }
            }
            let cells: Vec<Cell<'_>> = values
                .iter()
                .zip(&nested)
                .map(|(v, nested)| v.map_or(Cell::Empty, |v| cell(v, nested)))
                .collect();
            f(&cells)
        });
        self.index = index;
        result
    }
}
