//! HTTP-level integration tests: a real server on 127.0.0.1 with a temporary data directory.

mod access;
mod backends;
mod bad_input;
mod contract;
mod data;
mod discovery;
mod files;
mod hardening;
mod harness;
mod interop;
mod lifecycle;
mod matrix;
mod privacy;
mod publish;
mod quality;
mod search;
mod web;
