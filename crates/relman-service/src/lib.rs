//! relman-service
