//! OCI Distribution client (arrives with registry sync).
