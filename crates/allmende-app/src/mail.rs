//! Outgoing e-mail over SMTP (the operator's relay), for followers of datasets. Plain text in
//! the reader's language, a bounded time per message, never a mail the caller waits for in a
//! request: the follower worker sends them.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why the mailer cannot start or a mail did not go out.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp_url: {0}")]
    Url(String),
    #[error("mail_from: {0}")]
    From(String),
    #[error("recipient {0:?} is not an e-mail address")]
    Recipient(String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

/// The mailer of the follower e-mails and what they say about the portal.
#[derive(Clone)]
pub struct Followers {
    pub mailer: std::sync::Arc<Mailer>,
    /// The portal's name in the mails.
    pub site_title: String,
    /// Wakes the worker when a confirmation mail is due.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    /// How long a changed dataset must stay unchanged before its followers hear of it.
    pub quiet: Duration,
}

impl Followers {
    /// A mail that fails is logged and not retried: a follower misses one notice rather than
    /// a broken relay repeating every mail each round.
    pub async fn deliver(&self, mail: Mail) -> bool {
        match self.mailer.send(mail).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not send a follower e-mail");
                false
            }
        }
    }
}

/// Where mails go out and who they are from.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// A mail: subject, body and the address that ends what it is about (RFC 2369 and, for
/// one-click clients, RFC 8058).
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub unsubscribe: Option<String>,
}

impl Mailer {
    /// `url` as lettre reads it: `smtp://host:25` (plain, a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = from.parse().map_err(|e| MailError::From(format!("{e}")))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Recipient(mail.to.clone()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .header(AutoSubmitted);
        if let Some(url) = mail.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        let message = builder
            .body(mail.body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }
}

macro_rules! header {
    ($t:ident, $name:literal, $value:expr) => {
        impl Header for $t {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Err("only written".into())
            }
            #[allow(clippy::redundant_closure_call)]
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), ($value)(self))
            }
        }
    };
}

#[derive(Clone)]
struct ListUnsubscribe(String);
header!(
    ListUnsubscribe,
    "List-Unsubscribe",
    |h: &ListUnsubscribe| h.0.clone()
);

/// One-click unsubscription (RFC 8058): the client POSTs to the List-Unsubscribe address.
#[derive(Clone)]
struct ListUnsubscribePost;
header!(ListUnsubscribePost, "List-Unsubscribe-Post", |_| {
    "List-Unsubscribe=One-Click".to_string()
});

/// Machine-sent (RFC 3834): no vacation replies.
#[derive(Clone)]
struct AutoSubmitted;
header!(AutoSubmitted, "Auto-Submitted", |_| "auto-generated"
    .to_string());
