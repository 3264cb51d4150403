//! relman-storage
