//! Integration tests of the registry client against a real `docker-registry` process, with
//! proxies in front of it for pagination and fault injection.

mod auth;
mod egress;
mod faults;
mod manifests;
mod observer;
mod referrers;
mod reuse;
mod support;
mod tagging;
mod tags;
