//! The channel between an export's writer and the client reading it: bounded, so memory stays
//! flat however large the file, and ending in a clean end only after the whole file.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

pub type Chunk = Result<Bytes, std::io::Error>;

/// Where an export writes its bytes.
#[derive(Clone)]
pub struct ExportSink {
    pub(super) tx: mpsc::Sender<Chunk>,
    done: Arc<AtomicBool>,
}

/// What the client reads: the file's bytes, then either a clean end (the whole file was
/// written) or an error — never a clean end after a cut-off file.
pub struct ExportBody {
    rx: mpsc::Receiver<Chunk>,
    done: Arc<AtomicBool>,
    ended: bool,
}

pub fn channel() -> (ExportSink, ExportBody) {
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    let done = Arc::new(AtomicBool::new(false));
    (
        ExportSink {
            tx,
            done: done.clone(),
        },
        ExportBody {
            rx,
            done,
            ended: false,
        },
    )
}

impl ExportSink {
    /// Ends the file with an error (best effort: a body whose sink is gone without `done`
    /// fails by itself).
    pub fn fail(&self, message: &str) {
        let _ = self
            .tx
            .try_send(Err(std::io::Error::other(message.to_string())));
    }

    /// Whether the reader went away.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Resolves when the reader goes away.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    pub(super) async fn send(&self, chunk: Bytes) -> Result<(), Gone> {
        self.tx.send(Ok(chunk)).await.map_err(|_| Gone)
    }

    pub(super) fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

/// The reader went away.
pub(super) struct Gone;

impl ExportBody {
    pub async fn next(&mut self) -> Option<Chunk> {
        if self.ended {
            return None;
        }
        match self.rx.recv().await {
            Some(Err(e)) => {
                self.ended = true;
                Some(Err(e))
            }
            Some(ok) => Some(ok),
            None => {
                self.ended = true;
                (!self.done.load(Ordering::SeqCst))
                    .then(|| Err(std::io::Error::other("export stopped before its end")))
            }
        }
    }

    pub fn into_stream(self) -> impl futures_util::Stream<Item = Chunk> + Send + 'static {
        use futures_util::StreamExt as _;
        // Fused: a reader that polls once more after the end (a compressing encoder does) gets
        // the end again instead of a panic.
        futures_util::stream::unfold(self, |mut body| async move {
            body.next().await.map(|chunk| (chunk, body))
        })
        .fuse()
    }
}

/// The next batch, unless the reader left or the query stalled. `Ok(None)`: the end.
pub(super) async fn next_batch<S, T>(
    stream: &mut S,
    sink: &ExportSink,
    idle: Duration,
) -> Result<Option<Result<T, String>>, Gone>
where
    S: futures_util::Stream<Item = Result<T, String>> + Unpin,
{
    tokio::select! {
        biased;
        _ = sink.tx.closed() => Err(Gone),
        next = tokio::time::timeout(idle, stream.next()) => match next {
            Ok(n) => Ok(n),
            Err(_) => Ok(Some(Err(format!(
                "the query delivered no further rows for {} s and was stopped",
                idle.as_secs()
            )))),
        },
    }
}

pub(super) const CHUNK: usize = 256 * 1024;

pub(super) struct ChannelWriter {
    pub(super) tx: mpsc::Sender<Chunk>,
    pub(super) buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}
