//! Following a public dataset by e-mail: a request, a confirmation mail whose link must be
//! used (double opt-in), then a mail when the dataset changed and has been quiet for a while
//! (a publisher's burst of edits makes one mail; data that never rests, at most one a day),
//! each with a link that ends the subscription and deletes the address. Mails go out from
//! a worker, never in a visitor's request.

use std::time::Duration;

use allmende_catalog::{Subscribed, Subscription};
use allmende_core::validate::is_valid_email;
use allmende_core::{FieldErrors, i18n};

use crate::mail::{Followers, Mail};
use crate::{App, AppError, AppResult};

/// Unconfirmed requests are deleted after this long.
const UNCONFIRMED_DAYS: i64 = 7;
/// Mails per kind and round.
const PER_ROUND: i64 = 200;

impl App {
    /// Whether visitors can follow datasets by e-mail (an SMTP relay is configured).
    pub fn follow_by_mail(&self) -> bool {
        self.followers.is_some()
    }

    /// Asks to follow a public dataset. The answer is the same whether the address followed
    /// already or not, so that the form tells no one who follows what.
    pub async fn follow(&self, slug: &str, email: &str, lang: &str) -> AppResult<()> {
        let Some(followers) = &self.followers else {
            return Err(AppError::NotFound);
        };
        let ds = self
            .catalog
            .dataset(slug)
            .await?
            .filter(crate::access::is_public)
            .ok_or(AppError::NotFound)?;
        let email = email.trim();
        if email.is_empty() {
            return Err(AppError::Validation(FieldErrors::single(
                "email", "required",
            )));
        }
        if email.len() > 254 || !is_valid_email(email) {
            let mut e = FieldErrors::default();
            e.add_arg(
                "email",
                "invalid_email",
                Some(email.chars().take(100).collect::<String>()),
            );
            return Err(AppError::Validation(e));
        }
        let lang = if i18n::LANGS.contains(&lang) {
            lang
        } else {
            i18n::DEFAULT_LANG
        };
        let token = new_token();
        let outcome = self
            .catalog
            .subscribe(ds.id, &email.to_lowercase(), lang, &token)
            .await?;
        if outcome != Subscribed::Unchanged {
            followers.wake.notify_one();
        }
        Ok(())
    }

    /// The subscription a link's token belongs to.
    pub async fn subscription(&self, token: &str) -> AppResult<Subscription> {
        if !plausible_token(token) {
            return Err(AppError::NotFound);
        }
        self.catalog
            .subscription(token)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn confirm_follow(&self, token: &str) -> AppResult<Subscription> {
        let s = self.subscription(token).await?;
        if !s.confirmed {
            self.catalog.confirm_subscription(token).await?;
        }
        Ok(s)
    }

    /// Ends a subscription; its address is deleted.
    pub async fn unfollow(&self, token: &str) -> AppResult<Subscription> {
        let s = self.subscription(token).await?;
        self.catalog.unsubscribe(token).await?;
        Ok(s)
    }

    /// Sends the confirmation and change mails that are due; returns how many went out.
    pub async fn send_follower_mails(&self) -> AppResult<usize> {
        let Some(f) = &self.followers else {
            return Ok(0);
        };
        let mut sent = 0;
        for s in self.catalog.confirmations_due(PER_ROUND).await? {
            if self.catalog.claim_confirmation(s.id).await? {
                sent += usize::from(f.deliver(confirmation(f, self, &s)).await);
            }
        }
        let quiet = chrono::Duration::from_std(f.quiet).unwrap_or(chrono::Duration::minutes(10));
        let now = allmende_core::time::now();
        // A dataset that never rests (live data) is mailed at most once a day.
        let (quiet_since, heard_before) = (now - quiet, now - chrono::Duration::days(1));
        for s in self
            .catalog
            .notifications_due(quiet_since, heard_before, PER_ROUND)
            .await?
        {
            if self.catalog.claim_notification(&s).await? {
                sent += usize::from(f.deliver(update(f, self, &s)).await);
            }
        }
        let before = now - chrono::Duration::days(UNCONFIRMED_DAYS);
        self.catalog.forget_unconfirmed(before).await?;
        Ok(sent)
    }

    /// Runs the follower mails in the background: a round every minute (or every quiet
    /// period, when that is shorter), and at once when a request wants its confirmation.
    pub fn spawn_follower_mails(&self) -> Option<tokio::task::JoinHandle<()>> {
        let f = self.followers.as_ref()?;
        let wake = f.wake.clone();
        let every = f
            .quiet
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        let app = self.clone();
        Some(tokio::spawn(async move {
            loop {
                match app.send_follower_mails().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(mails = n, "sent follower e-mails"),
                    Err(e) => tracing::warn!(error = %e, "follower e-mails failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = wake.notified() => {}
                }
            }
        }))
    }
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens are 48 hex digits; anything else is not looked up.
fn plausible_token(t: &str) -> bool {
    t.len() == 48 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

fn text(lang: &str, key: &str, vars: &[(&str, &str)]) -> String {
    let mut s = i18n::t(lang, key).replace("\\n", "\n");
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn confirmation(f: &Followers, app: &App, s: &Subscription) -> Mail {
    let base = app.catalog.public_url();
    let link = format!("{base}/follow/{}/confirm", s.token);
    let vars = [
        ("title", s.dataset_title.as_str()),
        ("site", f.site_title.as_str()),
        ("link", link.as_str()),
    ];
    Mail {
        to: s.email.clone(),
        subject: text(&s.lang, "mail.follow_confirm.subject", &vars),
        body: text(&s.lang, "mail.follow_confirm.body", &vars),
        unsubscribe: None,
    }
}

fn update(f: &Followers, app: &App, s: &Subscription) -> Mail {
    let base = app.catalog.public_url();
    let url = format!("{base}/dataset/{}", s.dataset_slug);
    let link = format!("{base}/follow/{}/unsubscribe", s.token);
    let modified = local_date(&s.lang, &s.dataset_updated);
    let vars = [
        ("title", s.dataset_title.as_str()),
        ("site", f.site_title.as_str()),
        ("url", url.as_str()),
        ("link", link.as_str()),
        ("modified", modified.as_str()),
    ];
    Mail {
        to: s.email.clone(),
        subject: text(&s.lang, "mail.follow_update.subject", &vars),
        body: text(&s.lang, "mail.follow_update.body", &vars),
        unsubscribe: Some(link.clone()),
    }
}

/// `dct:modified` (a date or a time) as a date the reader writes.
fn local_date(lang: &str, modified: &str) -> String {
    let date = allmende_core::time::from_db(modified)
        .map(|t| t.date_naive())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(modified.get(..10).unwrap_or(""), "%Y-%m-%d").ok()
        });
    match date {
        Some(d) if lang == "de" => d.format("%d.%m.%Y").to_string(),
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => modified.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_dates() {
        let t = new_token();
        assert!(plausible_token(&t), "{t}");
        assert_ne!(t, new_token());
        assert!(!plausible_token("../../etc"));
        assert!(!plausible_token(&t[..47]));
        assert_eq!(
            local_date("de", "2026-11-30T08:00:00.000000Z"),
            "30.11.2026"
        );
        assert_eq!(local_date("en", "2024-05-01"), "2024-05-01");
        assert_eq!(local_date("de", "2024-05-01"), "01.05.2024");
        assert_eq!(local_date("de", "bald"), "bald");
    }

    #[test]
    fn mail_texts_fill_every_placeholder() {
        for lang in i18n::LANGS {
            for key in [
                "mail.follow_confirm.subject",
                "mail.follow_confirm.body",
                "mail.follow_update.subject",
                "mail.follow_update.body",
            ] {
                let vars = [
                    ("title", "T"),
                    ("site", "S"),
                    ("url", "U"),
                    ("link", "L"),
                    ("modified", "M"),
                ];
                let s = text(lang, key, &vars);
                assert!(!s.contains('{') && !s.contains("\\n"), "{lang} {key}: {s}");
                assert_ne!(s, key, "{lang} {key} missing");
            }
        }
    }
}
