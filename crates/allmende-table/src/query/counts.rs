//! How many rows a filter matches, kept per table version: a snapshot never changes, so neither
//! does the count, and paging through a filtered result (the OGC API's `numberMatched`, the
//! records API's `total`, a map's view) counts once instead of on every page. Bounded: when
//! full, everything is dropped and counting starts over.

use std::collections::HashMap;
use std::sync::Mutex;

const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub(crate) struct Counts {
    map: Mutex<HashMap<String, u64>>,
}

impl Counts {
    pub(crate) fn get(&self, key: &str) -> Option<u64> {
        self.map.lock().ok()?.get(key).copied()
    }

    pub(crate) fn put(&self, key: String, n: u64) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        let c = Counts::default();
        c.put("k".into(), 7);
        assert_eq!(c.get("k"), Some(7));
        assert_eq!(c.get("other"), None);
        for i in 0..MAX_ENTRIES + 1 {
            c.put(format!("k{i}"), 1);
        }
        assert!(c.map.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
