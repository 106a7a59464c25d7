//! What is kept per table version: a snapshot never changes, so neither does a filter's row
//! count (paging through a filtered result — the OGC API's `numberMatched`, the records API's
//! `total`, a map's view — counts once instead of on every page) nor its overview image.
//! Bounded: when full, everything is dropped and keeping starts over.

use std::collections::HashMap;
use std::sync::Mutex;

/// Filtered row counts kept at most.
pub(crate) const MAX_COUNTS: usize = 4096;
/// Overview images (a few tens of kilobytes each) kept at most.
pub(crate) const MAX_IMAGES: usize = 128;

pub(crate) struct Kept<V> {
    map: Mutex<HashMap<String, V>>,
    max: usize,
}

impl<V: Clone> Kept<V> {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            max,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.map.lock().ok()?.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, value: V) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= self.max {
                m.clear();
            }
            m.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        let c = Kept::new(MAX_COUNTS);
        c.put("k".into(), 7);
        assert_eq!(c.get("k"), Some(7));
        assert_eq!(c.get("other"), None);
        for i in 0..MAX_COUNTS + 1 {
            c.put(format!("k{i}"), 1);
        }
        assert!(c.map.lock().unwrap().len() <= MAX_COUNTS);
    }
}
