//! A file that is still being written (an upload on its way in), read as it grows: reading
//! can start with the first bytes instead of after the last, and the end of the file is the
//! length its writer declares complete, not the first time a read finds nothing.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Where the writer is: still writing, done at a length, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Growing,
    Complete(u64),
    Aborted,
}

/// What the writer tells the readers of a growing file.
#[derive(Debug)]
pub struct Growth {
    state: Mutex<State>,
    changed: Condvar,
}

/// How long a reader at the current end sleeps before looking again (bytes arrive without a
/// signal: the writer only signals the end): soon at first, less often while nothing comes
/// (a stalled upload costs no more than a few wake-ups a second).
const LOOK_AGAIN: Duration = Duration::from_millis(2);
const LOOK_AGAIN_AT_MOST: Duration = Duration::from_millis(100);

impl Growth {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::Growing),
            changed: Condvar::new(),
        })
    }

    /// Every byte is written: the file ends at `len`.
    pub fn complete(&self, len: u64) {
        self.set(State::Complete(len));
    }

    /// The writer gave up (the upload broke off): readers fail.
    pub fn abort(&self) {
        self.set(State::Aborted);
    }

    fn set(&self, new: State) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *state == State::Growing {
            *state = new;
        }
        self.changed.notify_all();
    }

    fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits a moment for more bytes or for the end; the state after waiting.
    fn wait(&self, pause: Duration) -> State {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *state != State::Growing {
            return *state;
        }
        match self.changed.wait_timeout(state, pause) {
            Ok((s, _)) => *s,
            Err(e) => *e.into_inner().0,
        }
    }

    /// Waits until the file is complete; its length.
    pub fn wait_complete(&self) -> std::io::Result<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match *state {
                State::Complete(len) => return Ok(len),
                State::Aborted => return Err(aborted()),
                State::Growing => {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }
}

fn aborted() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the upload broke off before it was complete",
    )
}

/// Reads a growing file from its start: at the current end it waits for more bytes, and it
/// ends where the writer said the file is complete.
pub struct GrowingFile {
    file: File,
    pos: u64,
    growth: Arc<Growth>,
    /// The next pause at the current end (doubled while nothing arrives).
    pause: Duration,
}

impl GrowingFile {
    pub fn open(path: &Path, growth: Arc<Growth>) -> std::io::Result<Self> {
        Ok(Self {
            file: File::open(path)?,
            pos: 0,
            growth,
            pause: LOOK_AGAIN,
        })
    }
}

impl Read for GrowingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut state = self.growth.state();
        loop {
            // Never past the declared end: a writer that wrote more than it declared is not
            // trusted with the rest.
            let room = match state {
                State::Complete(len) => len.saturating_sub(self.pos),
                _ => u64::MAX,
            };
            if room == 0 {
                return Ok(0);
            }
            let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            let n = self.file.read(&mut buf[..want])?;
            if n > 0 {
                self.pos += n as u64;
                self.pause = LOOK_AGAIN;
                return Ok(n);
            }
            state = match state {
                // Declared complete but shorter than declared: the file was cut.
                State::Complete(len) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("the file ends at {} bytes, not {len}", self.pos),
                    ));
                }
                State::Aborted => return Err(aborted()),
                State::Growing => {
                    let pause = self.pause;
                    self.pause = (pause * 2).min(LOOK_AGAIN_AT_MOST);
                    self.growth.wait(pause)
                }
            };
        }
    }
}

/// How an ingestion opens its input: a finished file, or one still growing.
#[derive(Clone, Default)]
pub(crate) enum Input {
    #[default]
    Whole,
    Growing(Arc<Growth>),
}

impl Input {
    pub(crate) fn open(&self, path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Input::Whole => Box::new(File::open(path)?),
            Input::Growing(g) => Box::new(GrowingFile::open(path, g.clone())?),
        })
    }

    /// Waits for the whole file (readers that seek, or look at its end first).
    pub(crate) fn wait_complete(&self) -> std::io::Result<()> {
        match self {
            Input::Whole => Ok(()),
            Input::Growing(g) => g.wait_complete().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_reader_follows_the_writer_to_the_declared_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        let mut w = File::create(&path).unwrap();
        let growth = Growth::new();
        let reader = {
            let (path, growth) = (path.clone(), growth.clone());
            std::thread::spawn(move || {
                let mut r = GrowingFile::open(&path, growth).unwrap();
                let mut all = Vec::new();
                r.read_to_end(&mut all).map(|_| all)
            })
        };
        let mut written = 0u64;
        for i in 0..50u32 {
            let chunk = format!("zeile {i};{}\n", i * 7);
            w.write_all(chunk.as_bytes()).unwrap();
            written += chunk.len() as u64;
            std::thread::sleep(Duration::from_millis(1));
        }
        // Bytes beyond the declared end are not read.
        w.write_all(b"danach").unwrap();
        growth.complete(written);
        let all = reader.join().unwrap().unwrap();
        assert_eq!(all.len() as u64, written);
        assert!(all.starts_with(b"zeile 0;0\n") && all.ends_with(b"zeile 49;343\n"));
    }

    #[test]
    fn a_broken_off_or_cut_upload_is_an_error_not_an_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        std::fs::write(&path, b"a;b\n1;2\n").unwrap();
        let growth = Growth::new();
        let reader = {
            let (path, growth) = (path.clone(), growth.clone());
            std::thread::spawn(move || {
                let mut all = Vec::new();
                GrowingFile::open(&path, growth)
                    .unwrap()
                    .read_to_end(&mut all)
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        growth.abort();
        assert!(reader.join().unwrap().is_err());

        let growth = Growth::new();
        growth.complete(100);
        let mut all = Vec::new();
        let e = GrowingFile::open(&path, growth)
            .unwrap()
            .read_to_end(&mut all)
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(all, b"a;b\n1;2\n");
    }
}
