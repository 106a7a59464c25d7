//! Passwords (argon2id), API tokens and session ids. Secrets are random, shown once, and
//! stored only as hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::CatalogError;

pub const TOKEN_PREFIX: &str = "alm_";

pub fn hash_password(password: &str) -> Result<String, CatalogError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CatalogError::Hashing)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to compare against when the user does not exist, so that timing does not reveal
/// which user names are taken.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// A new random secret with a recognisable prefix (so leaked tokens can be found by scanners).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Tokens and session ids are high-entropy, so a fast hash is enough to protect them at rest.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn min_password_ok(password: &str) -> bool {
    password.chars().count() >= 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip() {
        let h = hash_password("korrekt-pferd-batterie").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("korrekt-pferd-batterie", &h));
        assert!(!verify_password("falsch", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_unique() {
        let a = new_secret(TOKEN_PREFIX);
        assert!(a.starts_with("alm_"));
        assert_ne!(a, new_secret(TOKEN_PREFIX));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
