//! A small streaming walk over an XML file for the KML and GPX readers: each element is
//! announced when it opens (with its attributes) and when it closes (with its own text), with
//! the names of the elements it is in. Namespace prefixes are dropped (`gx:Track` is `Track`).
//! Depth and text length are bounded; entities other than the five predefined ones and
//! character references are not expanded (no DTD, no external entities).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use allmende_core::i18n::Msg;
use quick_xml::events::{BytesStart, Event};

use crate::IngestError;

const MAX_DEPTH: usize = 256;

pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    /// The element's own text (CDATA included), trimmed; complete only when it closes.
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) enum Step<'a> {
    Open(&'a Element),
    Close(&'a Element),
}

fn bad(e: impl std::fmt::Display) -> IngestError {
    IngestError::Data(Msg::new("geo.xml_bad").arg("reason", e))
}

/// What the walk calls at each step, with the elements around it (the element itself last).
pub(crate) type Visit<'f> = dyn FnMut(Step<'_>, &[Element]) -> Result<(), IngestError> + 'f;

/// Walks the file; `f` gets each step and the elements around it.
pub(crate) fn walk(path: &Path, max_text: usize, f: &mut Visit<'_>) -> Result<(), IngestError> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(File::open(path)?));
    let mut buf = Vec::new();
    let mut stack: Vec<Element> = Vec::new();
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(bad)?;
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() >= MAX_DEPTH => {
                let _ = e;
                return Err(bad("elements nested too deeply"));
            }
            Event::Start(e) => {
                stack.push(element(&e)?);
                let (last, _) = stack.split_last().ok_or_else(|| bad("empty stack"))?;
                f(Step::Open(last), &stack)?;
            }
            Event::Empty(e) => {
                stack.push(element(&e)?);
                if let Some(last) = stack.last() {
                    f(Step::Open(last), &stack)?;
                    f(Step::Close(last), &stack)?;
                }
                stack.pop();
            }
            Event::End(_) => {
                if let Some(last) = stack.last_mut() {
                    let trimmed = last.text.trim();
                    if trimmed.len() != last.text.len() {
                        last.text = trimmed.to_string();
                    }
                }
                if let Some(last) = stack.last() {
                    f(Step::Close(last), &stack)?;
                }
                stack.pop();
            }
            Event::Text(t) => append(&mut stack, &t.xml10_content(), max_text)?,
            Event::CData(t) => append(&mut stack, &t.xml10_content(), max_text)?,
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(bad)? {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => format!("&{other};"),
                    },
                };
                append(&mut stack, &text, max_text)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

fn append(stack: &mut [Element], text: &str, max_text: usize) -> Result<(), IngestError> {
    if let Some(top) = stack.last_mut() {
        if top.text.len() + text.len() > max_text {
            return Err(IngestError::Data(
                Msg::new("ingest.json_record_too_large").arg("mb", max_text >> 20),
            ));
        }
        top.text.push_str(text);
    }
    Ok(())
}

fn element(e: &BytesStart<'_>) -> Result<Element, IngestError> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(bad)?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(bad)?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        text: String::new(),
    })
}
