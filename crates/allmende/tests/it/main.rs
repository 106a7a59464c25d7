//! HTTP-level integration tests: a real server on 127.0.0.1 with a temporary data directory.

mod access;
mod audit;
mod backends;
mod bad_input;
mod contract;
mod data;
mod discovery;
mod feedback;
mod files;
mod geo;
mod hardening;
mod harness;
mod history;
mod interop;
mod invitations;
mod lifecycle;
mod matrix;
mod privacy;
mod privacy_rules;
mod publish;
mod quality;
mod resource_edit;
mod schedule;
mod search;
mod showcases;
mod web;
