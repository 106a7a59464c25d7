//! Fetching a publisher's external URL for ingestion, guarded against server-side request
//! forgery: every address a host name resolves to (also after redirects) must be a public one,
//! address literals are checked the same way, redirects are bounded, and size and time are
//! limited while the body streams into the file store.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use allmende_catalog::BlobStore;
use allmende_core::i18n::Msg;
use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

const MAX_REDIRECTS: usize = 5;

#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub max_bytes: u64,
    pub timeout: Duration,
    /// Allow loopback and private networks (a portal inside a city network may need it; tests
    /// serve files from 127.0.0.1).
    pub allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL or what it answers is the problem: retrying will not help.
    #[error("{0}")]
    Refused(Msg),
    /// The network or the other server is the problem: worth another try later.
    #[error("{0}")]
    Unavailable(Msg),
}

/// What was stored: content hash, size, and the file name the server suggested.
pub struct Fetched {
    pub sha256: String,
    pub size: u64,
    pub file_name: Option<String>,
}

pub async fn fetch_into(
    url: &str,
    limits: FetchLimits,
    files: &Arc<dyn BlobStore>,
) -> Result<Fetched, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        FetchError::Refused(Msg::new("fetch.bad_url").arg("url", url).arg("detail", e))
    })?;
    check_url(&parsed, limits.allow_private)?;
    let client = client(limits)?;
    let resp = client.get(parsed).send().await.map_err(describe)?;
    let status = resp.status();
    if !status.is_success() {
        let msg = Msg::new("fetch.http_status")
            .arg("status", status)
            .arg("url", url);
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            FetchError::Unavailable(msg)
        } else {
            FetchError::Refused(msg)
        });
    }
    if let Some(len) = resp.content_length()
        && len > limits.max_bytes
    {
        return Err(too_large(limits.max_bytes));
    }
    let file_name = file_name_of(&resp);
    let mut staged = files
        .stage(limits.max_bytes)
        .await
        .map_err(|e| FetchError::Unavailable(Msg::plain(e)))?;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(describe)?;
        staged.write(&chunk).await.map_err(|e| match e {
            allmende_catalog::UploadError::TooLarge { .. } => too_large(limits.max_bytes),
            other => FetchError::Unavailable(Msg::plain(other)),
        })?;
    }
    let (sha256, size, _) = files
        .commit(staged)
        .await
        .map_err(|e| FetchError::Unavailable(Msg::plain(e)))?;
    if size == 0 {
        return Err(FetchError::Refused(Msg::new("fetch.empty").arg("url", url)));
    }
    Ok(Fetched {
        sha256,
        size,
        file_name,
    })
}

/// Whether a link answers: the HTTP status of a `HEAD` (or, for servers that refuse `HEAD`, of a
/// `GET` whose body is not read), with the same guard as a fetch. Redirects are followed.
pub async fn probe(url: &str, limits: FetchLimits) -> Result<u16, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        FetchError::Refused(Msg::new("fetch.bad_url").arg("url", url).arg("detail", e))
    })?;
    check_url(&parsed, limits.allow_private)?;
    let client = client(limits)?;
    let head = client.head(parsed.clone()).send().await.map_err(describe)?;
    let status = head.status().as_u16();
    if !matches!(status, 403 | 405 | 501) {
        return Ok(status);
    }
    let get = client
        .get(parsed)
        .header(reqwest::header::RANGE, "bytes=0-0")
        .send()
        .await
        .map_err(describe)?;
    // Dropping the response closes the connection without reading the body.
    Ok(get.status().as_u16())
}

fn too_large(max: u64) -> FetchError {
    FetchError::Refused(Msg::new("fetch.too_large").arg("mb", max >> 20))
}

fn describe(e: reqwest::Error) -> FetchError {
    // The guard's own refusals travel inside reqwest's error chain.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Forbidden>() {
            return FetchError::Refused(refused.0.clone());
        }
        source = s.source();
    }
    if e.is_redirect() {
        return FetchError::Refused(Msg::new("fetch.redirects").arg("detail", e));
    }
    if e.is_builder() {
        return FetchError::Refused(Msg::plain(e));
    }
    let what = if e.is_timeout() {
        "fetch.timeout"
    } else {
        "fetch.connection_failed"
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    FetchError::Unavailable(Msg::new(what).arg("detail", detail))
}

fn client(limits: FetchLimits) -> Result<reqwest::Client, FetchError> {
    let allow_private = limits.allow_private;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(Forbidden(
                Msg::new("fetch.too_many_redirects").arg("max", MAX_REDIRECTS),
            ));
        }
        match check_url(attempt.url(), allow_private) {
            Ok(()) => attempt.follow(),
            Err(FetchError::Refused(m) | FetchError::Unavailable(m)) => attempt.error(Forbidden(m)),
        }
    });
    reqwest::Client::builder()
        .user_agent(concat!("Allmende/", env!("CARGO_PKG_VERSION")))
        .redirect(policy)
        // A proxy would resolve names itself and undo the address check.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .connect_timeout(Duration::from_secs(10))
        .timeout(limits.timeout)
        .build()
        .map_err(|e| FetchError::Unavailable(Msg::plain(e)))
}

#[derive(Debug)]
struct Forbidden(Msg);

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Forbidden {}

/// Scheme and address literals; names are checked when they resolve.
fn check_url(url: &reqwest::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Refused(
            Msg::new("fetch.scheme").arg("scheme", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Refused(Msg::new("fetch.credentials")));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::Refused(Msg::new("fetch.no_host"))),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(FetchError::Refused(refusal(ip)))
    }
}

fn refusal(ip: IpAddr) -> Msg {
    Msg::new("fetch.not_public").arg("ip", ip)
}

struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let shown = addrs.first().map(|a| a.ip());
                let msg = match shown {
                    Some(ip) => Msg::new("fetch.host_refused")
                        .arg("host", &host)
                        .msg("reason", refusal(ip)),
                    None => Msg::new("fetch.no_address").arg("host", &host),
                };
                return Err(Box::new(Forbidden(msg)) as Box<dyn std::error::Error + Send + Sync>);
            }
            // A name that resolves to public and private addresses alike is suspicious, but
            // connecting only to the public ones is safe.
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return is_public_v4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0)) // IPv4-compatible
}

/// The name from `Content-Disposition`, else the last path segment.
fn file_name_of(resp: &reqwest::Response) -> Option<String> {
    let from_header = resp
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';').find_map(|p| {
                let p = p.trim();
                p.strip_prefix("filename=")
                    .map(|n| n.trim_matches('"').to_string())
            })
        });
    let name = from_header.or_else(|| {
        resp.url()
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
    })?;
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = a.parse().expect("address");
            assert!(!is_public(ip), "{a} must not count as public");
        }
        for a in [
            "93.184.216.34",
            "141.10.1.1",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = a.parse().expect("address");
            assert!(is_public(ip), "{a} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        let check = |u: &str| check_url(&reqwest::Url::parse(u).expect("url"), false);
        assert!(check("https://www.aalen.de/x.csv").is_ok());
        assert!(check("http://127.0.0.1/x.csv").is_err());
        assert!(check("http://[::1]:8080/x.csv").is_err());
        assert!(check("http://2130706433/x.csv").is_err()); // 127.0.0.1 as a number
        assert!(check("file:///etc/passwd").is_err());
        assert!(check("ftp://example.org/x.csv").is_err());
        assert!(check("http://user:pw@example.org/x.csv").is_err());
    }
}
