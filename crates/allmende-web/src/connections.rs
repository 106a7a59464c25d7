//! The connections a node accepts: how many at once, in all and per client address, how long a
//! client may take over a request's head (and may keep an idle connection), and how long it may
//! leave a response unread. axum's own `serve` bounds none of them, so a client that opens
//! connections and sends nothing (slowloris) held the server's file descriptors and tasks for
//! ever, until no one else got in.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use crate::stall::StallTimer;

/// What one node's connections may hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once; beyond it the node stops accepting until one closes.
    pub max: usize,
    /// Connections one client address (an IPv6 client: its /64) may hold at once; further ones
    /// are closed at once. `0`: no such limit (behind a proxy, every connection is the proxy's).
    pub per_client: usize,
    /// Time a client has to send a request's head; an idle kept-alive connection is closed
    /// after the same time.
    pub header_timeout: Duration,
    /// Time a response may wait for its client to take any of its bytes.
    pub send_stall: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max: 1024,
            per_client: 128,
            header_timeout: Duration::from_secs(20),
            send_stall: Duration::from_secs(60),
        }
    }
}

/// How long a request's head (line and headers) may be; a longer one gets 431. Browsers send a
/// few KB (cookies included); without it, hyper buffers up to 400 KB per connection for a head,
/// which times the connection limit let heads that never end hold 400 MB.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `router` until `shutdown` resolves, then lets open requests finish (the caller bounds
/// how long).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max.max(1)));
    let clients = Arc::new(Clients::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        // A permit first: at the limit, new connections wait in the kernel's queue.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = Clients::enter(&clients, addr.ip(), limits.per_client) else {
            tracing::debug!(client = %addr.ip(), "connection refused: too many from this client");
            continue;
        };
        // Small responses go out at once instead of waiting for the client's acknowledgement.
        let _ = stream.set_nodelay(true);
        while tasks.try_join_next().is_some() {}
        let io = Guarded {
            stream,
            sending: StallTimer::new(limits.send_stall),
            _permit: permit,
            _slot: slot,
        };
        let service = router
            .clone()
            .map_request(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo(addr));
                req
            });
        let mut stop = stop_rx.clone();
        let conn = http1.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
        tasks.spawn(async move {
            tokio::pin!(conn);
            let stopping = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                () = stopping => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(client = %addr, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// A connection that failed before it was accepted is the client's business; anything else
/// (out of file descriptors) is the server's, logged, and given a second before the next try.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Open connections per client address.
#[derive(Default)]
struct Clients {
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl Clients {
    /// A slot for one more connection of `ip`, or none when it holds `per_client` already.
    fn enter(this: &Arc<Self>, ip: IpAddr, per_client: usize) -> Option<ClientSlot> {
        if per_client == 0 {
            return Some(ClientSlot(None));
        }
        let key = client_key(ip);
        let mut open = this.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot(Some((this.clone(), key))))
    }
}

/// One client as the limit counts it: an IPv4 address, or an IPv6 network's first 64 bits
/// (one host gets a whole /64 and can pick any address in it).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// A client's place among its open connections, given back when the connection closes.
struct ClientSlot(Option<(Arc<Clients>, IpAddr)>);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Some((clients, key)) = self.0.take() {
            let mut open = clients.open.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = open.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

/// A connection that holds its permit and client slot, and fails a write that its client
/// leaves waiting for `send_stall`.
struct Guarded {
    stream: TcpStream,
    sending: StallTimer,
    _permit: OwnedSemaphorePermit,
    _slot: ClientSlot,
}

impl Guarded {
    fn waited<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                self.sending.reset();
                Poll::Ready(r)
            }
            Poll::Pending if self.sending.expired(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took nothing of the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.waited(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.waited(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.waited(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::7".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_client_gets_its_slots_back() {
        let clients = Arc::new(Clients::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = Clients::enter(&clients, ip, 2);
        let second = Clients::enter(&clients, ip, 2);
        assert!(first.is_some() && second.is_some());
        assert!(Clients::enter(&clients, ip, 2).is_none());
        assert!(Clients::enter(&clients, "192.0.2.2".parse().unwrap(), 2).is_some());
        drop(first);
        assert!(Clients::enter(&clients, ip, 2).is_some());
        drop(second);
        // Without a limit nothing is counted.
        assert!(Clients::enter(&clients, ip, 0).is_some());
    }

    #[tokio::test]
    async fn a_response_nobody_reads_fails_after_the_stall() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The client connects and never reads.
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let mut io = Guarded {
            stream,
            sending: StallTimer::new(Duration::from_millis(300)),
            _permit: Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap(),
            _slot: ClientSlot(None),
        };
        let chunk = vec![b'x'; 1 << 16];
        let written = tokio::time::timeout(Duration::from_secs(30), async {
            let mut total = 0usize;
            loop {
                match tokio::io::AsyncWriteExt::write(&mut io, &chunk).await {
                    Ok(n) => total += n,
                    Err(e) => return (total, e.kind()),
                }
            }
        })
        .await
        .expect("the stalled write fails instead of waiting for ever");
        assert_eq!(written.1, io::ErrorKind::TimedOut);
        // The kernel's buffers took something first: the stall counts from the first wait.
        assert!(written.0 > 0);
    }
}
