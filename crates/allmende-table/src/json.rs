//! JSON input: an array of objects (streamed element by element), an object holding one such
//! array (`{"data": [...]}`), or newline-delimited JSON. Keys become columns in the order they
//! first appear; nested values are kept as JSON text.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::IngestError;
use crate::infer::Cell;
use crate::source::Source;

const MAX_WRAPPED_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    Array,
    Lines,
}

pub struct JsonSource {
    path: PathBuf,
    layout: JsonLayout,
    headers: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl JsonSource {
    pub fn open(path: &Path, layout: JsonLayout, max_columns: usize) -> Result<Self, IngestError> {
        let mut src = Self {
            path: path.to_path_buf(),
            layout,
            headers: Vec::new(),
            index: Default::default(),
        };
        let mut headers = Vec::new();
        let mut index = std::collections::HashMap::new();
        src.each_object(&mut |obj| {
            for key in obj.keys() {
                if !index.contains_key(key) {
                    if headers.len() >= max_columns {
                        return Err(IngestError::Data(format!(
                            "Die Objekte haben mehr als {max_columns} verschiedene Schlüssel."
                        )));
                    }
                    index.insert(key.clone(), headers.len());
                    headers.push(key.clone());
                }
            }
            Ok(())
        })?;
        if headers.is_empty() {
            return Err(IngestError::Data(
                "Die JSON-Datei enthält keine Datensätze (Objekte).".into(),
            ));
        }
        src.headers = headers;
        src.index = index;
        Ok(src)
    }

    fn each_object(
        &self,
        f: &mut dyn FnMut(Map<String, Value>) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let bad = |e: String| IngestError::Data(format!("Ungültiges JSON: {e}"));
        match self.layout {
            JsonLayout::Lines => {
                let reader = BufReader::new(File::open(&self.path)?);
                for (n, line) in reader.lines().enumerate() {
                    let line = line.map_err(|e| bad(format!("Zeile {}: {e}", n + 1)))?;
                    let line = line.trim().trim_start_matches('\u{feff}');
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(line) {
                        Ok(Value::Object(m)) => f(m)?,
                        Ok(_) => return Err(bad(format!("Zeile {} ist kein Objekt", n + 1))),
                        Err(e) => return Err(bad(format!("Zeile {}: {e}", n + 1))),
                    }
                }
                Ok(())
            }
            JsonLayout::Array => {
                let mut reader = BufReader::new(File::open(&self.path)?);
                let first = first_significant_byte(&mut reader)?;
                if first == Some(b'{') {
                    // A wrapper object: small enough to read whole.
                    let size = std::fs::metadata(&self.path)?.len();
                    if size > MAX_WRAPPED_BYTES {
                        return Err(bad(
                            "große Dateien müssen ein Array von Objekten oder NDJSON sein".into(),
                        ));
                    }
                    let mut text = String::new();
                    BufReader::new(File::open(&self.path)?)
                        .read_to_string(&mut text)
                        .map_err(|e| bad(e.to_string()))?;
                    let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
                        .map_err(|e| bad(e.to_string()))?;
                    let items = v
                        .as_object()
                        .and_then(|o| {
                            o.values().find(|v| {
                                v.as_array().is_some_and(|a| a.iter().any(Value::is_object))
                            })
                        })
                        .and_then(Value::as_array)
                        .ok_or_else(|| bad("kein Array von Objekten gefunden".into()))?;
                    for item in items {
                        if let Value::Object(m) = item {
                            f(m.clone())?;
                        }
                    }
                    return Ok(());
                }
                let mut failure = None;
                let mut de = serde_json::Deserializer::from_reader(reader);
                let seed = EachObject {
                    f,
                    failure: &mut failure,
                };
                let res = seed.deserialize(&mut de);
                if let Some(e) = failure {
                    return Err(e);
                }
                res.map_err(|e| bad(e.to_string()))?;
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

struct EachObject<'a, 'f> {
    f: &'a mut dyn FnMut(Map<String, Value>) -> Result<(), IngestError>,
    failure: &'f mut Option<IngestError>,
}

impl<'de> DeserializeSeed<'de> for EachObject<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EachObject<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            match v {
                Value::Object(m) => {
                    if let Err(e) = (self.f)(m) {
                        *self.failure = Some(e);
                        return Err(A::Error::custom("stopped"));
                    }
                }
                Value::Null => {}
                _ => return Err(A::Error::custom("Array-Elemente müssen Objekte sein")),
            }
        }
        Ok(())
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
        let index = &self.index;
        let mut nested: Vec<String> = vec![String::new(); width];
        self.each_object(&mut |obj| {
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
                .enumerate()
                .map(|(i, v)| match v {
                    None | Some(Value::Null) => Cell::Empty,
                    Some(Value::Bool(b)) => Cell::Bool(*b),
                    Some(Value::Number(n)) => match n.as_i64() {
                        Some(i) => Cell::Int(i),
                        None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
                    },
                    Some(Value::String(s)) => Cell::Text(s),
                    Some(_) => Cell::Text(&nested[i]),
                })
                .collect();
            f(&cells)
        })
    }
}
