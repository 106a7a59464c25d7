//! Overview images kept per table version and size: a snapshot never changes, so neither does
//! its picture. Bounded: when full, all are dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Images kept (a few tens of kilobytes each); when full, all are dropped.
const MAX_ENTRIES: usize = 128;

#[derive(Default)]
pub(crate) struct Overviews {
    map: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl Overviews {
    pub(crate) fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        self.map.lock().ok()?.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, png: Arc<Vec<u8>>) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, png);
        }
    }
}
