//! relman-test-support
