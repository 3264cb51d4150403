//! relman-http
